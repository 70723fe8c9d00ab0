import { q } from '../../db/transaction.ts';
import { formatDuration } from '../../lib/duration.ts';
import type { Ctx } from '../context.ts';
import { STABLE_PERIOD_TIMER, transitionIncident } from '../incidents/index.ts';
import type { TimerHandler } from '../timers/index.ts';
import { recordValidation } from './resolve-incident.ts';
import { validateResolution } from './validate-resolution.ts';

/**
 * Resolves an incident automatically (after a quiet period, or the stable period in monitoring),
 * validated against the latest check results; a failing validation is recorded and the incident
 * stays open. True when it resolved.
 */
export async function resolveIfValid(tx: Ctx, incidentId: string, note: string): Promise<boolean> {
  if (!tx.config.current.resolution.validate) {
    await transitionIncident(tx, incidentId, 'resolve', { note });
    return true;
  }
  const incident = await q(tx).selectFrom('incidents').select(['id', 'number']).where('id', '=', incidentId).executeTakeFirstOrThrow();
  const validation = await validateResolution(tx, incidentId);
  await recordValidation(tx, { id: incident.id, number: Number(incident.number) }, validation);
  if (!validation.passed) return false;
  await transitionIncident(tx, incidentId, 'resolve', { note }, { data: { validated: true } });
  return true;
}

/**
 * The stable period is over: an incident still in `monitoring` resolves if its validation passes;
 * if not, the fix did not hold and it goes back to investigating (its responders see why).
 */
const stablePeriodEnded: TimerHandler = async (tx, timer) => {
  const incident = await q(tx).selectFrom('incidents').select(['id', 'state']).where('id', '=', timer.subject_id).executeTakeFirst();
  if (incident?.state !== 'monitoring') return;
  const period = formatDuration(tx.config.current.resolution.stable_period);
  const resolved = await resolveIfValid(tx, incident.id, `stable for ${period} in monitoring, validation passed`);
  if (!resolved) await transitionIncident(tx, incident.id, 'investigate', { note: `the fix did not hold: validation failed after ${period} in monitoring` });
};

/** The resolution module's timers, by kind, for the timer loop. */
export const resolutionTimerHandlers: Record<string, TimerHandler> = { [STABLE_PERIOD_TIMER]: stablePeriodEnded };
