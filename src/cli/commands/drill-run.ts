import type { DrillReport, DrillRunView } from '../../modules/drills/index.ts';
import { displayTimeZone, toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { renderReport } from './drill-format.ts';
import { follow } from './runbook-run.ts';

/**
 * `firebreak drill run <id>`: starts the drill, follows its run step by step (cleanup included),
 * then prints the report. Exits 0 when the drill passed, 1 when it failed, 3 when its run waits
 * for an approval.
 */
export async function drillRunCommand(args: string[], flags: ClientFlags & { json?: boolean }, io: Io, opts: { pollMs?: number } = {}): Promise<number> {
  const [id, ...extra] = args;
  if (!id || extra.length) throw new CliError('usage: firebreak drill run <drill>', 2);
  const api = createApiClient(flags, io.env);
  const pollMs = opts.pollMs ?? 1000;
  const started = await api.request<DrillRunView>('POST', `/api/v1/drills/${encodeURIComponent(id)}/runs`, {});
  const print = flags.json ? () => {} : (t: string) => io.out(t);
  print(`drill ${started.id} of ${id} started (run ${started.run})\n`);
  const run = await follow(api, started.run, print, pollMs);
  if (run.status === 'waiting_approval') {
    print(`\nThe drill waits for approval of "${run.waiting_for?.step}": firebreak runbook approve ${run.id} ${run.waiting_for?.step} (as someone else); the report follows once it ends.\n`);
    if (flags.json) io.out(toJson({ drill_run: started, run }));
    return 3;
  }
  if (run.status === 'interrupted') {
    print(`\nThe drill's run was interrupted: firebreak runbook resume ${run.id}\n`);
    if (flags.json) io.out(toJson({ drill_run: started, run }));
    return 1;
  }
  for (;;) {
    const done = await api.request<DrillRunView & { report: DrillReport | null }>('GET', `/api/v1/drill-runs/${encodeURIComponent(started.id)}`);
    if (done.report) {
      io.out(flags.json ? toJson(done) : `\n${renderReport(done.report, displayTimeZone(io.env))}`);
      return done.report.passed ? 0 : 1;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
