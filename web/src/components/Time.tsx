import { formatLocal, formatRelative, formatUtc, useNow } from '../lib/time.ts';

/** An absolute time in the viewer's zone, with UTC on hover. */
export function Time({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={formatUtc(iso)}>
      {formatLocal(iso)}
    </time>
  );
}

/** "12 min ago", moving on every 30 s, with the exact time (local and UTC) on hover. */
export function Ago({ iso }: { iso: string }) {
  const now = useNow();
  return (
    <time dateTime={iso} title={`${formatLocal(iso)} (${formatUtc(iso)})`}>
      {formatRelative(iso, now)}
    </time>
  );
}
