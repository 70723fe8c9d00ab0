import type { RunDetailView } from '../../modules/runbooks/schemas.ts';
import { displayTimeZone, formatLocalTime, NONE, toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { renderFields, renderTable } from '../table.ts';
import { describeInputs, duration, renderPicture, runFields } from './runbook-format.ts';

/** `firebreak runbook status <run-id>`: the run, every attempt of every step with its times, and the steps as a picture. */
export async function runbookStatusCommand(args: string[], flags: ClientFlags & { json?: boolean }, io: Io): Promise<number> {
  const [id, ...extra] = args;
  if (!id || extra.length) throw new CliError('usage: firebreak runbook status <run-id>', 2);
  const run = await createApiClient(flags, io.env).request<RunDetailView>('GET', `/api/v1/runbook-runs/${encodeURIComponent(id)}`);
  if (flags.json) {
    io.out(toJson(run));
    return 0;
  }
  const tz = displayTimeZone(io.env);
  io.out(renderFields(runFields(run, tz)));
  if (!run.steps.length) {
    io.out('\n  no step has started\n');
    return 0;
  }
  io.out('\n');
  io.out(
    renderTable(
      run.steps,
      [
        { header: 'STEP', value: (s) => s.path },
        { header: 'TRY', value: (s) => String(s.attempt), align: 'right' },
        { header: 'STATUS', value: (s) => s.status },
        { header: 'STARTED', value: (s) => formatLocalTime(s.started_at, tz) },
        { header: 'TOOK', value: (s) => duration(s.duration_ms), align: 'right' },
        { header: 'BY', value: (s) => s.approved_by ?? NONE },
        { header: 'WHAT', value: (s) => (s.error ? `${describeInputs(s.type, s.inputs)} — ${s.error}` : describeInputs(s.type, s.inputs)), max: 90 },
      ],
      '  ',
    ),
  );
  io.out(`\n${renderPicture(run, Date.now())}`);
  return 0;
}
