import type { Ctx } from '../../context.ts';

/** What a step gets besides its own (resolved) fields. */
export interface StepEnv {
  /** Aborted at the step's timeout, or when the run is cancelled or its lease is lost. */
  signal: AbortSignal;
  /** Acts as the run (a responder named after the runbook and who started it). */
  ctx: Ctx;
  /** The environment commands inherit. */
  env: Readonly<Record<string, string | undefined>>;
  incident: { id: string; number: number } | null;
  /** A step that created an incident links the run to it. */
  linkIncident(incident: { id: string; number: number }): Promise<void>;
  runId: string;
  stepPath: string;
  /** When the run was started (queued): conditions such as "an incident opened since" count from here. */
  runCreatedAt: number;
  /** Set when the run is a drill: steps that reach customers hold back unless the drill allows them. */
  drill: { id: string; status_page: 'hold' | 'publish' } | null;
}

/** A step that did not do what it should: the message is recorded (masked) and on_failure applies. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly output?: unknown,
  ) {
    super(message);
  }
}

/** Text kept from an answer or a process stream, so one chatty step cannot fill the database. */
export const OUTPUT_LIMIT = 64 * 1024;

export const clip = (text: string) => (text.length > OUTPUT_LIMIT ? `${text.slice(0, OUTPUT_LIMIT)}… (${text.length - OUTPUT_LIMIT} more characters)` : text);

/** Resolves after `ms`, or rejects when the signal aborts first. */
export function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
