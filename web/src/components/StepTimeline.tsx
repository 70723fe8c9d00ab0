import { formatMeasured, formatUtc, useNow } from '../lib/time.ts';

export interface TimelineItem {
  key: string;
  label: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  /** Words after the duration: "by bob", "attempt 2". */
  note?: string;
}

const TONE: Record<string, string> = { succeeded: 'ok', failed: 'bad', rejected: 'bad', interrupted: 'bad', cancelled: 'light', waiting: 'wait', running: 'accent' };

/**
 * Steps on one time axis, a bar each from its start to its end (to now while it runs), as the
 * CLI's `runbook status` draws them. The picture is decorative: every row says its duration and
 * status in words.
 */
export function StepTimeline({ items, label }: { items: TimelineItem[]; label: string }) {
  const now = useNow();
  if (!items.length) return <p className="empty">No steps have started yet.</p>;
  const startOf = (i: TimelineItem) => Date.parse(i.started_at);
  const endOf = (i: TimelineItem) => (i.finished_at ? Date.parse(i.finished_at) : Math.max(now, Date.now()));
  const from = Math.min(...items.map(startOf));
  const span = Math.max(1, Math.max(...items.map(endOf)) - from);
  return (
    <figure className="step-tl">
      <figcaption className="small-text muted">
        {label}: {formatMeasured(span)} from the first step's start to the last one's end.
      </figcaption>
      <ol className="plain">
        {items.map((i) => {
          const left = ((startOf(i) - from) / span) * 100;
          const width = Math.max(0.5, ((endOf(i) - startOf(i)) / span) * 100);
          return (
            <li key={i.key} className="step-tl-row" data-step={i.label}>
              <span className="step-tl-label">{i.label}</span>
              <span className="step-tl-track" aria-hidden="true">
                <span className={`step-tl-bar an-${TONE[i.status] ?? 'accent'}`} style={{ left: `${left}%`, width: `${Math.min(width, 100 - left)}%` }} title={`${formatUtc(i.started_at)} → ${i.finished_at ? formatUtc(i.finished_at) : 'now'}`} />
              </span>
              <span className="step-tl-text small-text">
                {i.finished_at ? formatMeasured(endOf(i) - startOf(i)) : `${formatMeasured(endOf(i) - startOf(i))} so far`} · {i.status}
                {i.note ? ` · ${i.note}` : ''}
              </span>
            </li>
          );
        })}
      </ol>
    </figure>
  );
}
