import { displayTimeZone, formatLocalTime, NONE, toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { renderFields } from '../table.ts';

interface Rollup {
  start: string;
  checks: number;
  uptime: number | null;
  latency_ms: { p95: number };
}
interface Availability {
  uptime: number | null;
  checks: number;
}

/** One block per bucket: full when every check passed, lower as more failed, a dot without checks. */
export function uptimeBar(rollups: Rollup[], buckets: number, size: number, end: number): string {
  const byStart = new Map(rollups.map((r) => [Math.floor(Date.parse(r.start) / size) * size, r]));
  let bar = '';
  const first = Math.floor(end / size) * size - (buckets - 1) * size;
  for (let i = 0; i < buckets; i++) {
    const r = byStart.get(first + i * size);
    bar += !r || r.uptime === null ? '·' : r.uptime >= 100 ? '█' : r.uptime >= 99 ? '▆' : r.uptime >= 90 ? '▄' : r.uptime > 0 ? '▂' : '▁';
  }
  return bar;
}

/** A latency sparkline of p95 per bucket, scaled to the largest. */
export function sparkline(values: (number | null)[]): string {
  const marks = '▁▂▃▄▅▆▇█';
  const max = Math.max(1, ...values.map((v) => v ?? 0));
  return values.map((v) => (v === null ? ' ' : marks[Math.min(7, Math.floor((v / max) * 7.999))])).join('');
}

/** `firebreak monitor show <id>`: state, uptime per period, and the last 24 hours as a picture. */
export async function monitorShowCommand(args: string[], flags: ClientFlags & { json?: boolean }, io: Io): Promise<number> {
  if (args.length !== 1) throw new CliError('usage: firebreak monitor show <id>', 2);
  const api = createApiClient(flags, io.env);
  const path = `/api/v1/monitors/${encodeURIComponent(args[0])}`;
  const monitor = await api.request<Record<string, any>>('GET', path);
  const hours = monitor.type === 'heartbeat' ? null : await api.request<{ data: Rollup[] }>('GET', `${path}/rollups?size=hour`);
  if (flags.json) {
    io.out(toJson({ ...monitor, hourly: hours?.data ?? null }));
    return 0;
  }
  const tz = displayTimeZone(io.env);
  const last = monitor.last_check;
  const fields: [string, string][] = [
    ['monitor', `${monitor.id} (${monitor.type}) on ${monitor.service}`],
    ['target', monitor.target],
    ['status', `${monitor.status}${monitor.held ? ` (held: ${monitor.held})` : ''} since ${formatLocalTime(monitor.changed_at, tz)}`],
    ['last check', last ? `${last.status}${last.duration_ms != null ? ` in ${last.duration_ms} ms` : ''} at ${formatLocalTime(last.at, tz)}${last.reason ? ` — ${last.reason}: ${last.message ?? ''}` : ''}` : NONE],
  ];
  if (monitor.uptime) {
    const u = monitor.uptime as Record<string, Availability>;
    fields.push(['uptime', Object.entries(u).map(([p, a]) => `${p} ${a.uptime === null ? NONE : `${a.uptime}%`}`).join('  ')]);
  }
  if (monitor.heartbeat) fields.push(['last ping', formatLocalTime(monitor.heartbeat.last_ping_at, tz)], ['deadline', formatLocalTime(monitor.heartbeat.next_deadline_at, tz)]);
  io.out(renderFields(fields, ''));
  if (hours) {
    const end = Date.now();
    io.out(`\n  last 24 h, one block an hour (█ all up · ▆ ≥99% · ▄ ≥90% · ▂ some · ▁ none up · · no checks)\n  ${uptimeBar(hours.data, 24, 3_600_000, end)}\n`);
    const byStart = new Map(hours.data.map((r) => [Math.floor(Date.parse(r.start) / 3_600_000), r.latency_ms.p95]));
    const first = Math.floor(end / 3_600_000) - 23;
    const p95 = Array.from({ length: 24 }, (_, i) => byStart.get(first + i) ?? null);
    io.out(`  p95 latency (max ${Math.max(0, ...p95.map((v) => v ?? 0))} ms)\n  ${sparkline(p95)}\n`);
  }
  const changes = (monitor.changes as { at: string; from: string; to: string; message: string | null; held: string | null }[]).slice(0, 5);
  if (changes.length) {
    io.out('\n  recent changes\n');
    for (const c of changes) io.out(`  ${formatLocalTime(c.at, tz)}  ${c.from} → ${c.to}${c.held ? ` (held: ${c.held})` : ''}${c.message ? `  ${c.message}` : ''}\n`);
  }
  return 0;
}
