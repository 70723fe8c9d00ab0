import { api } from '../api/client.ts';
import type { MonitorDetail, MonitorRollups, MonitorView } from '../api/types.ts';
import { formatDuration } from '../lib/time.ts';
import { useAsync } from '../lib/use-async.ts';
import { ErrorNote } from './Feedback.tsx';

const PERIODS = [
  { key: '24h', label: '24 h' },
  { key: '7d', label: '7 days' },
  { key: '30d', label: '30 days' },
] as const;

const percent = (n: number) => `${n >= 99.995 ? '100' : n.toFixed(2)}%`;

/** Uptime over 24 h / 7 d / 30 d in words, and the last 24 hours' response times as a small chart. */
export function MonitorHistory({ monitor, version }: { monitor: MonitorView; version: number }) {
  const detail = useAsync(() => api.monitor(monitor.id), `monitor:${monitor.id}:${version}`);
  const rollups = useAsync(() => (monitor.type === 'heartbeat' ? Promise.resolve(null) : api.monitorRollups(monitor.id, 'hour')), `rollups:${monitor.id}:${version}`);
  return (
    <>
      <ErrorNote error={detail.error} prefix="Could not load the uptime" />
      {detail.data && <Uptime detail={detail.data} />}
      <ErrorNote error={rollups.error} prefix="Could not load the response times" />
      {rollups.data && <UptimeBar rollups={rollups.data} />}
      {rollups.data && <LatencyChart monitor={monitor} rollups={rollups.data} />}
    </>
  );
}

function Uptime({ detail }: { detail: MonitorDetail }) {
  const uptime = detail.uptime as Record<string, { uptime: number | null; checks?: number; failures?: number; down_seconds?: number }>;
  return (
    <dl className="uptime" aria-label="Uptime">
      {PERIODS.map((p) => {
        const a = uptime[p.key];
        let words: string;
        if (!a || a.uptime === null) words = 'no data yet';
        else if (a.checks !== undefined) words = `${percent(a.uptime)} up (${a.failures ?? 0} of ${a.checks.toLocaleString()} checks failed)`;
        else words = `${percent(a.uptime)} up${a.down_seconds ? ` (down ${formatDuration(a.down_seconds * 1000)})` : ''}`;
        return (
          <div key={p.key} data-period={p.key}>
            <dt>{p.label}</dt>
            <dd>{words}</dd>
          </div>
        );
      })}
    </dl>
  );
}

/** The last 24 hours, one block an hour, coloured by that hour's uptime, each with its text. */
function UptimeBar({ rollups }: { rollups: MonitorRollups }) {
  const HOUR = 3_600_000;
  const first = Math.floor(Date.now() / HOUR) * HOUR - 23 * HOUR;
  const byHour = new Map(rollups.data.map((r) => [Math.floor(Date.parse(r.start) / HOUR) * HOUR, r]));
  const hours = Array.from({ length: 24 }, (_, i) => {
    const start = first + i * HOUR;
    const r = byHour.get(start);
    const uptime = r && r.checks > 0 ? r.uptime : null;
    const tone = uptime === null ? 'none' : uptime >= 100 ? 'up' : uptime >= 99 ? 'minor' : 'down';
    const time = new Date(start).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return { start, tone, text: `${time}: ${uptime === null ? 'no checks' : `${percent(uptime)} up`}` };
  });
  return (
    <div className="hour-bar-wrap">
      <ol className="hour-bar" aria-label="Uptime of the last 24 hours, one block an hour">
        {hours.map((h) => (
          <li key={h.start} className={`hour hour-${h.tone}`} title={h.text}>
            <span className="sr-only">{h.text}</span>
          </li>
        ))}
      </ol>
      <div className="small-text muted spark-axis-labels" aria-hidden="true">
        <span>24 h ago</span>
        <span>now</span>
      </div>
    </div>
  );
}

const CW = 300;
const CH = 70;

/** The last 24 hours of hourly roll-ups: the median (solid) and 95th percentile (dashed) response time. */
function LatencyChart({ monitor, rollups }: { monitor: MonitorView; rollups: MonitorRollups }) {
  const rows = rollups.data.filter((r) => r.checks > 0);
  if (!rows.length) return <p className="small-text muted">No response times in the last 24 hours.</p>;
  const now = Date.now();
  const from = now - 24 * 3_600_000;
  const max = Math.max(1, ...rows.map((r) => r.latency_ms.p95));
  const x = (iso: string) => ((Math.min(Math.max(Date.parse(iso) + 1_800_000, from), now) - from) / (now - from)) * CW;
  const y = (ms: number) => CH - (ms / max) * (CH - 4);
  const line = (pick: (r: (typeof rows)[number]) => number) => rows.map((r) => `${x(r.start).toFixed(1)},${y(pick(r)).toFixed(1)}`).join(' ');
  const p50s = rows.map((r) => r.latency_ms.p50);
  const summary = `Response time of ${monitor.name} over the last 24 hours: median ${Math.min(...p50s)} to ${Math.max(...p50s)} ms, 95th percentile up to ${max} ms.`;
  return (
    <figure className="spark">
      <svg viewBox={`0 0 ${CW} ${CH}`} width="100%" height={CH} preserveAspectRatio="none" role="img" aria-label={summary} className="spark-svg">
        <line x1={0} x2={CW} y1={CH - 0.5} y2={CH - 0.5} className="spark-axis" />
        <line x1={0} x2={CW} y1={y(max)} y2={y(max)} className="spark-grid" />
        <polyline points={line((r) => r.latency_ms.p95)} className="spark-p95" vectorEffect="non-scaling-stroke" />
        <polyline points={line((r) => r.latency_ms.p50)} className="spark-p50" vectorEffect="non-scaling-stroke" />
        {rows.length === 1 && <circle cx={x(rows[0].start)} cy={y(rows[0].latency_ms.p50)} r={2.5} className="spark-dot" />}
      </svg>
      <div className="small-text muted spark-axis-labels" aria-hidden="true">
        <span>24 h ago</span>
        <span>now</span>
      </div>
      <figcaption className="small-text muted">Top line {max} ms · solid: median · dashed: 95th percentile</figcaption>
    </figure>
  );
}
