import { displayTimeZone, formatLocalTime, NONE, toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { renderTable } from '../table.ts';

interface MonitorRow {
  id: string;
  type: string;
  service: string;
  status: string;
  held: string | null;
  target: string;
  last_check: { at: string; duration_ms: number | null; reason: string | null } | null;
  heartbeat: { last_ping_at: string | null } | null;
}

/** `firebreak monitor list [--service X]`: every monitor with its state and last check. */
export async function monitorListCommand(args: string[], flags: ClientFlags & { service?: string[]; json?: boolean }, io: Io): Promise<number> {
  if (args.length) throw new CliError(`monitor list takes no arguments (got "${args.join(' ')}")`, 2);
  const api = createApiClient(flags, io.env);
  const qs = flags.service?.[0] ? `?service=${encodeURIComponent(flags.service[0])}` : '';
  const page = await api.request<{ data: MonitorRow[] }>('GET', `/api/v1/monitors${qs}`);
  if (flags.json) {
    io.out(toJson(page));
    return 0;
  }
  if (!page.data.length) {
    io.out('no monitors\n');
    return 0;
  }
  const tz = displayTimeZone(io.env);
  io.out(
    renderTable(page.data, [
      { header: 'MONITOR', value: (m) => m.id },
      { header: 'TYPE', value: (m) => m.type },
      { header: 'SERVICE', value: (m) => m.service },
      { header: 'STATUS', value: (m) => (m.held ? `${m.status} (held: ${m.held})` : m.status) },
      { header: 'LAST', value: (m) => formatLocalTime(m.last_check?.at ?? m.heartbeat?.last_ping_at, tz) },
      { header: 'MS', value: (m) => (m.last_check?.duration_ms != null ? String(m.last_check.duration_ms) : NONE), align: 'right' },
      { header: 'TARGET', value: (m) => m.target, max: 60 },
    ]),
  );
  return 0;
}
