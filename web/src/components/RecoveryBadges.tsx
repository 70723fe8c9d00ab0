import type { RunStatus } from '../api/types.ts';

export const RUN_STATUS_WORDS: Record<RunStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  waiting_approval: 'Waiting for approval',
  succeeded: 'Succeeded',
  failed: 'Failed',
  interrupted: 'Interrupted',
  cancelled: 'Cancelled',
};

/** Runs that are not over yet: their pages keep reading. */
export const ACTIVE_RUN: ReadonlySet<string> = new Set(['queued', 'running', 'waiting_approval']);

const toneOf = (status: string) =>
  status === 'succeeded' || status === 'passed' || status === 'ok'
    ? 'ok'
    : status === 'failed' || status === 'rejected' || status === 'breached'
      ? 'bad'
      : status === 'cancelled' || status === 'unknown'
        ? 'muted'
        : 'wait';

/** A run's status in words; a drill report carries it as plain text, hence `string`. */
export function RunStatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge run-status tone-${toneOf(status)}`} data-status={status}>
      {RUN_STATUS_WORDS[status as RunStatus] ?? status}
    </span>
  );
}

const STEP_WORDS: Record<string, string> = { running: 'Running', succeeded: 'Succeeded', failed: 'Failed', waiting: 'Waiting for approval', rejected: 'Rejected', interrupted: 'Interrupted', cancelled: 'Cancelled' };

/** One attempt of a step, in words. */
export function StepStatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge step-status tone-${toneOf(status)}`} data-status={status}>
      {STEP_WORDS[status] ?? status}
    </span>
  );
}

/** A drill's verdict: passed, failed, or not yet known while its run goes on. */
export function PassBadge({ passed }: { passed: boolean | null }) {
  const status = passed === null ? 'running' : passed ? 'passed' : 'failed';
  return (
    <span className={`badge pass tone-${toneOf(status)}`} data-passed={String(passed)}>
      {passed === null ? 'In progress' : passed ? 'Passed' : 'Failed'}
    </span>
  );
}

const RPO_WORDS: Record<string, string> = { ok: 'Within objective', warning: 'Near objective', breached: 'Objective breached', unknown: 'No recovery point yet' };

export function RpoStatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge rpo-status tone-${toneOf(status)}`} data-status={status}>
      {RPO_WORDS[status] ?? status}
    </span>
  );
}

/** The tone of a bar for a figure against its objective (ok under 80%, warning to 100%, over it bad). */
export function objectiveTone(value: number | null, objective: number): 'ok' | 'warn' | 'bad' | 'light' {
  if (value === null) return 'light';
  return value > objective ? 'bad' : value >= objective * 0.8 ? 'warn' : 'ok';
}
