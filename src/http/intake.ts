import type { IntegrationRateLimits, SignalProcessor } from '../modules/signals/index.ts';

/**
 * What every alert receiver shares on one node: the per-integration rate limits, and the step
 * after a signal is stored, which kicks the signal processor and waits (briefly) for it.
 */
export interface Intake {
  limits: IntegrationRateLimits;
  /** Call once the signal is durable; resolves when it is applied or the wait budget is spent. */
  accepted(signalId: number): Promise<void>;
}

export function createIntake(limits: IntegrationRateLimits, processor: SignalProcessor, waitMs: () => number): Intake {
  return {
    limits,
    accepted: (signalId) => processor.accepted(signalId, waitMs()),
  };
}
