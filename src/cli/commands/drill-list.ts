import type { DrillView } from '../../modules/drills/index.ts';
import { formatDuration } from '../../lib/duration.ts';
import { NONE, toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { renderTable } from '../table.ts';
import { ms } from './drill-format.ts';

/** `firebreak drill list`: the configured drills with their schedule and last result. */
export async function drillListCommand(args: string[], flags: ClientFlags & { json?: boolean }, io: Io): Promise<number> {
  if (args.length) throw new CliError('usage: firebreak drill list', 2);
  const { data } = await createApiClient(flags, io.env).request<{ data: DrillView[] }>('GET', '/api/v1/drills');
  if (flags.json) {
    io.out(toJson({ data }));
    return 0;
  }
  io.out(
    renderTable(data, [
      { header: 'DRILL', value: (d) => d.id },
      { header: 'RUNBOOK', value: (d) => d.runbook },
      { header: 'SERVICE', value: (d) => d.service },
      { header: 'TARGET', value: (d) => `${d.target}${d.production ? ' (production)' : ''}` },
      { header: 'EVERY', value: (d) => (d.every_ms ? formatDuration(d.every_ms) : 'on demand') },
      { header: 'LAST', value: (d) => (d.last_run ? `${d.last_run.started_at.slice(0, 10)} ${d.last_run.status === 'running' ? 'running' : d.last_run.passed ? 'passed' : 'FAILED'}` : NONE) },
      { header: 'RTO', value: (d) => (d.last_run ? ms(d.last_run.rto_ms) : NONE) },
    ]),
  );
  return 0;
}
