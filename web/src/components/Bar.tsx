/** A horizontal bar, 0..max, with an optional marker (a target); decorative: the number is always in the text beside it. */
export function Bar({ value, max, tone = 'accent', marker }: { value: number; max: number; tone?: string; marker?: number }) {
  const w = max > 0 ? Math.max(0, Math.min(100, (value / max) * 100)) : 0;
  return (
    <span className="an-bar" aria-hidden="true">
      <span className={`an-bar-fill an-${tone}`} style={{ width: `${w}%` }} />
      {marker !== undefined && max > 0 && <span className="an-bar-marker" style={{ left: `${Math.min(100, (marker / max) * 100)}%` }} />}
    </span>
  );
}
