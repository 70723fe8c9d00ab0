import type { RunDetailView, StartRunResult } from '../../modules/runbooks/schemas.ts';
import { displayTimeZone, toJson } from '../format.ts';
import { createApiClient, type ApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { renderFields } from '../table.ts';
import { renderPlan, runFields, stepLine } from './runbook-format.ts';

const USAGE = 'usage: firebreak runbook run <runbook> [--incident INC-n] [--var name=value …] [--dry-run] [--detach]';
const SETTLED = new Set(['succeeded', 'failed', 'interrupted', 'cancelled', 'waiting_approval']);

/** `name=value` pairs; numbers and booleans stay text (the runbook's templates decide). */
export function parseVars(pairs: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`--var "${pair}" must be name=value\n${USAGE}`, 2);
    vars[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return vars;
}

/**
 * `firebreak runbook run <id>`: starts a run and follows it, a line per step as it finishes, until
 * it ends or waits for an approval (`--detach`: print the run id and return). `--dry-run` prints the
 * resolved plan; nothing runs.
 */
export async function runbookRunCommand(
  args: string[],
  flags: ClientFlags & { json?: boolean; incident?: string; var?: string[]; 'dry-run'?: boolean; detach?: boolean },
  io: Io,
  opts: { pollMs?: number } = {},
): Promise<number> {
  const [id, ...extra] = args;
  if (!id || extra.length) throw new CliError(USAGE, 2);
  const api = createApiClient(flags, io.env);
  const body = { ...(flags.incident ? { incident: flags.incident } : {}), variables: parseVars(flags.var ?? []), dry_run: flags['dry-run'] === true };
  const started = await api.request<StartRunResult>('POST', `/api/v1/runbooks/${encodeURIComponent(id)}/runs`, body);
  if (started.plan) {
    io.out(flags.json ? toJson(started) : `Dry run of ${id} (version ${started.run.version}): nothing was executed.\n\n${renderPlan(started.plan)}`);
    return 0;
  }
  if (flags.detach) {
    io.out(flags.json ? toJson(started) : `run ${started.run.id} queued\n`);
    return 0;
  }
  if (!flags.json) io.out(`run ${started.run.id} of ${id} (version ${started.run.version}) queued\n`);
  const run = await follow(api, started.run.id, flags.json ? () => {} : (t) => io.out(t), opts.pollMs ?? 1000);
  if (flags.json) {
    io.out(toJson(run));
  } else {
    io.out(`\n${renderFields(runFields(run, displayTimeZone(io.env)))}`);
    if (run.waiting_for) io.out(`\nApprove (as someone else): firebreak runbook approve ${run.id} ${run.waiting_for.step}\n`);
    if (run.status === 'failed' || run.status === 'interrupted') io.out(`\nResume from the step it stopped at: firebreak runbook resume ${run.id}\n`);
  }
  return run.status === 'succeeded' || run.status === 'waiting_approval' ? 0 : 1;
}

/** Polls the run, printing each attempt once it ends, until the run settles. */
export async function follow(api: ApiClient, runId: string, print: (text: string) => void, pollMs: number): Promise<RunDetailView> {
  const shown = new Set<string>();
  for (;;) {
    const run = await api.request<RunDetailView>('GET', `/api/v1/runbook-runs/${encodeURIComponent(runId)}`);
    for (const s of run.steps) {
      const key = `${s.path}#${s.attempt}#${s.started_at}`;
      if (s.status === 'running' || s.status === 'waiting' || shown.has(key)) continue;
      shown.add(key);
      print(stepLine(s));
    }
    if (SETTLED.has(run.status)) return run;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
