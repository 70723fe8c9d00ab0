import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { requireRole, type Ctx } from '../context.ts';
import { cancelTimer, setTimer } from '../timers/index.ts';
import { findIncidentRow, loadIncidentView, recordChange, type IncidentRow } from './repository.ts';
import { transitionInput, type IncidentView, type Resolution } from './schemas.ts';
import { assertTransition, type IncidentState, type LifecycleVerb } from './state-machine.ts';

/**
 * Resolves an incident that has stayed in `monitoring` for the stable period with its validation
 * passing (or sends it back to investigating when the validation fails). Set on entering
 * `monitoring`, cancelled on leaving it; the handler lives with the resolution validation.
 */
export const STABLE_PERIOD_TIMER = 'incident.stable_period';

/**
 * Moves an incident through its lifecycle (acknowledge, investigate, identify, monitor, resolve,
 * close, reopen), keeping the timestamps the KPIs need: the first acknowledgement stays. This is
 * the plain state change; resolving through the API validates first (see the resolution module).
 */
export async function transitionIncident(
  ctx: Ctx,
  ref: string,
  verb: LifecycleVerb,
  input: z.input<typeof transitionInput> = {},
  opts: { resolution?: Resolution; data?: Record<string, unknown> } = {},
): Promise<IncidentView> {
  requireRole(ctx, 'responder');
  const data = transitionInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const row = await findIncidentRow(tx, ref, { forUpdate: true });
    const from = row.state as IncidentState;
    const to = assertTransition(from, verb);
    const now = tx.clock.now();
    const patch: Partial<IncidentRow> = { state: to };
    if (row.acknowledged_at === null && to !== 'resolved' && to !== 'closed') patch.acknowledged_at = now;
    if (to === 'resolved') {
      patch.resolved_at = now;
      patch.resolution = opts.resolution ?? 'fixed';
    }
    if (to === 'closed') patch.closed_at = now;
    if (verb === 'reopen') {
      patch.resolved_at = null;
      patch.resolution = null;
      patch.reopen_count = row.reopen_count + 1;
    }
    await q(tx).updateTable('incidents').set(patch).where('id', '=', row.id).where('state', '=', from).execute();
    const kind = verb === 'reopen' ? 'reopened' : to;
    const note = data.note?.trim();
    await recordChange(tx, row, {
      kind,
      body: `${verb === 'reopen' ? 'Reopened' : `State ${from} → ${to}`}${note ? `: ${note}` : ''}`,
      data: { from, to, verb, ...(note ? { note } : {}), ...(to === 'resolved' ? { resolution: patch.resolution } : {}), ...opts.data },
    });
    await armStablePeriod(tx, row.id, from, to);
    return loadIncidentView(tx, row.id);
  });
}

/** Entering `monitoring` starts the stable period (when resolutions are validated); leaving it ends it. */
async function armStablePeriod(tx: Ctx, incidentId: string, from: IncidentState, to: IncidentState): Promise<void> {
  const settings = tx.config.current.resolution;
  if (to === 'monitoring' && settings.validate) await setTimer(tx, STABLE_PERIOD_TIMER, incidentId, tx.clock.now() + settings.stable_period, { since: tx.clock.now() });
  else if (from === 'monitoring' && to !== 'monitoring') await cancelTimer(tx, STABLE_PERIOD_TIMER, incidentId);
}
