import type { PlanStepView, RunDetailView, StepRunView } from '../../modules/runbooks/schemas.ts';
import { formatLocalTime, NONE } from '../format.ts';
import { oneLine } from '../table.ts';

/** Shared text for the runbook commands: a step's one-line summary, durations, the run as a picture. */

/** "1.2s", "3m 05s", "2h 01m". */
export function duration(ms: number | null): string {
  if (ms === null) return NONE;
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** What a step does, in a line: `POST https://…`, `$ aws rds …`, `approval: Continue?`. */
export function describeInputs(type: string, inputs: unknown): string {
  const i = (inputs ?? {}) as Record<string, unknown>;
  switch (type) {
    case 'http':
      return `${String(i.method ?? 'GET')} ${String(i.url)}`;
    case 'command':
      return `$ ${Array.isArray(i.command) ? i.command.map((a) => quote(String(a))).join(' ') : String(i.command)}${i.shell ? ' (shell)' : ''}`;
    case 'sql':
      return `${String(i.connection)}: ${oneLine(String(i.query))}`;
    case 'wait_for':
      return i.monitor !== undefined ? `until monitor ${String(i.monitor)} is ${String(i.state)}` : `until ${String((i.http as { url?: unknown })?.url)} answers as expected`;
    case 'approval':
      return `ask: ${oneLine(String(i.message))}`;
    case 'notify':
      return `to ${[...((i.channels as string[]) ?? []), ...((i.users as string[]) ?? [])].join(', ')}: ${oneLine(String(i.message))}`;
    case 'statuspage':
      return `${String(i.status)}: ${oneLine(String(i.body))}`;
    case 'incident':
      return `${String(i.action)}${i.severity ? ` ${String(i.severity)}` : ''}${i.title ? ` "${String(i.title)}"` : ''}${i.body ? `: ${oneLine(String(i.body))}` : ''}`;
    case 'parallel':
      return `at once: ${((i.steps as string[]) ?? []).join(', ')}`;
  }
  return '';
}

/** The dry-run plan, numbered, with each step's limits. */
export function renderPlan(plan: { steps: PlanStepView[]; rollback: PlanStepView[] }): string {
  const line = (s: PlanStepView, n: string) => {
    const limits = [`timeout ${duration(s.timeout_ms)}`, s.retries ? `retries ${s.retries}` : '', s.on_failure !== 'stop' ? `on failure: ${s.on_failure}` : ''].filter(Boolean).join(', ');
    const what = s.type === 'parallel' ? 'parallel group' : describeInputs(s.type, s.inputs);
    return `${n.padStart(4)} ${s.path}  [${s.type}] ${what}\n       ${limits}\n`;
  };
  let top = 0;
  let child = 0;
  let out = '';
  for (const s of plan.steps) {
    if (s.path.includes('/')) out += line(s, `${top}.${++child}`);
    else {
      child = 0;
      out += line(s, `${++top}.`);
    }
  }
  if (plan.rollback.length) {
    out += '\n  On rollback:\n';
    plan.rollback.forEach((s, i) => (out += line(s, `R${i + 1}.`)));
  }
  return out;
}

const MARK: Record<string, string> = { succeeded: '✓', failed: '✗', rejected: '✗', interrupted: '!', cancelled: '-', running: '…', waiting: '?', skipped: '·' };

/** One line per finished (or running) attempt, for progress output. */
export function stepLine(s: StepRunView): string {
  const attempt = s.attempt > 1 ? ` (attempt ${s.attempt})` : '';
  const who = s.approved_by ? ` by ${s.approved_by}` : '';
  return `  ${MARK[s.status] ?? ' '} ${s.path}${attempt}  ${s.status}${who}  ${duration(s.duration_ms)}${s.error ? `  ${oneLine(s.error).slice(0, 200)}` : ''}\n`;
}

/**
 * The run's steps as a picture on one time axis: each attempt a bar from its start to its end
 * (or now), so waits, retries and parallel steps show at a glance.
 */
export function renderPicture(run: RunDetailView, now: number, width = 40): string {
  if (!run.steps.length) return '';
  const start = Math.min(...run.steps.map((s) => Date.parse(s.started_at)));
  const ends = run.steps.map((s) => (s.finished_at ? Date.parse(s.finished_at) : now));
  const end = Math.max(start + 1, ...ends);
  const span = end - start;
  const col = (t: number) => Math.min(width - 1, Math.floor(((t - start) / span) * width));
  const label = Math.min(32, Math.max(...run.steps.map((s) => s.path.length + (s.attempt > 1 ? 3 : 0))));
  const fill: Record<string, string> = { succeeded: '█', failed: '▒', rejected: '▒', interrupted: '▒', cancelled: '▒', running: '▓', waiting: '░', skipped: '·' };
  let out = `  ${''.padEnd(label)}  ${formatAxis(span, width)}\n`;
  run.steps.forEach((s, i) => {
    const a = col(Date.parse(s.started_at));
    const b = Math.max(a, col(ends[i]));
    const bar = ' '.repeat(a) + (fill[s.status] ?? '█').repeat(b - a + 1);
    const name = `${s.path}${s.attempt > 1 ? ` #${s.attempt}` : ''}`.slice(0, label).padEnd(label);
    out += `  ${name}  ${bar.padEnd(width)}  ${duration(s.duration_ms ?? now - Date.parse(s.started_at))} ${s.status}${s.approved_by ? ` by ${s.approved_by}` : ''}\n`;
  });
  return `${out}  ${''.padEnd(label)}  █ succeeded  ▒ failed/stopped  ▓ running  ░ waiting for approval\n`;
}

function formatAxis(span: number, width: number): string {
  const left = '0';
  const right = duration(span);
  return `${left}${'─'.repeat(Math.max(1, width - left.length - right.length))}${right}`;
}

/** The run's header fields. */
export function runFields(run: RunDetailView | Omit<RunDetailView, 'steps' | 'definition'>, tz: string | undefined): [string, string][] {
  return [
    ['Run', run.id],
    ['Runbook', `${run.runbook_id} (version ${run.version})`],
    ['Status', run.status + (run.waiting_for ? `: waiting for approval of "${run.waiting_for.step}" until ${formatLocalTime(run.waiting_for.deadline_at, tz)}` : '')],
    ['Incident', run.incident ?? NONE],
    ['Started by', run.started_by],
    ['Started', formatLocalTime(run.started_at ?? run.created_at, tz)],
    ['Finished', formatLocalTime(run.finished_at, tz)],
    ...(run.error ? ([['Error', oneLine(run.error)]] as [string, string][]) : []),
  ];
}
