import type { DrillRunView } from '../../modules/drills/index.ts';
import { displayTimeZone, formatLocalTime, NONE, toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { renderTable } from '../table.ts';
import { ms, rtoTrend } from './drill-format.ts';
import { colorWanted } from './oncall-picture.ts';

/** `firebreak drill history [--service X] [--drill D]`: drill runs, newest first, and the RTO trend as a picture. */
export async function drillHistoryCommand(args: string[], flags: ClientFlags & { json?: boolean; service?: string[]; drill?: string; limit?: string }, io: Io): Promise<number> {
  if (args.length) throw new CliError('usage: firebreak drill history [--service X] [--drill D] [--limit N]', 2);
  if ((flags.service?.length ?? 0) > 1) throw new CliError('give one --service', 2);
  const query = new URLSearchParams();
  if (flags.service?.[0]) query.set('service', flags.service[0]);
  if (flags.drill) query.set('drill', flags.drill);
  if (flags.limit) query.set('limit', flags.limit);
  const api = createApiClient(flags, io.env);
  const { data } = await api.request<{ data: DrillRunView[] }>('GET', `/api/v1/drill-runs${query.size ? `?${query}` : ''}`);
  if (flags.json) {
    io.out(toJson({ data }));
    return 0;
  }
  if (!data.length) {
    io.out('no drill runs\n');
    return 0;
  }
  const tz = displayTimeZone(io.env);
  io.out(
    renderTable(data, [
      { header: 'STARTED', value: (r) => formatLocalTime(r.started_at, tz) },
      { header: 'DRILL', value: (r) => r.drill },
      { header: 'SERVICE', value: (r) => r.service },
      { header: 'RESULT', value: (r) => (r.status === 'running' ? 'running' : r.passed ? 'passed' : 'FAILED') },
      { header: 'RTO', value: (r) => `${ms(r.rto_ms)} / ${ms(r.rto_objective_ms)}` },
      { header: 'RPO', value: (r) => `${ms(r.rpo_ms)} / ${ms(r.rpo_objective_ms)}` },
      { header: 'TRIGGER', value: (r) => r.trigger },
      { header: 'ID', value: (r) => r.id ?? NONE },
    ]),
  );
  const color = colorWanted(io.env, process.stdout.isTTY === true);
  io.out(`\nRTO per drill (oldest first):\n${rtoTrend(data, 40, color)}`);
  return 0;
}
