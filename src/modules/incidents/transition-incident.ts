import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow, loadIncidentView, recordChange, type IncidentRow } from './repository.ts';
import { transitionInput, type IncidentView } from './schemas.ts';
import { assertTransition, type IncidentState, type LifecycleVerb } from './state-machine.ts';

/**
 * Moves an incident through its lifecycle (acknowledge, investigate, identify, monitor, resolve,
 * close, reopen), keeping the timestamps the KPIs need: the first acknowledgement stays.
 */
export async function transitionIncident(ctx: Ctx, ref: string, verb: LifecycleVerb, input: z.input<typeof transitionInput> = {}): Promise<IncidentView> {
  requireRole(ctx, 'responder');
  const data = transitionInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const row = await findIncidentRow(tx, ref, { forUpdate: true });
    const from = row.state as IncidentState;
    const to = assertTransition(from, verb);
    const now = tx.clock.now();
    const patch: Partial<IncidentRow> = { state: to };
    if (row.acknowledged_at === null && to !== 'resolved' && to !== 'closed') patch.acknowledged_at = now;
    if (to === 'resolved') patch.resolved_at = now;
    if (to === 'closed') patch.closed_at = now;
    if (verb === 'reopen') {
      patch.resolved_at = null;
      patch.reopen_count = row.reopen_count + 1;
    }
    await q(tx).updateTable('incidents').set(patch).where('id', '=', row.id).where('state', '=', from).execute();
    const kind = verb === 'reopen' ? 'reopened' : to;
    const note = data.note?.trim();
    await recordChange(tx, row, {
      kind,
      body: `${verb === 'reopen' ? 'Reopened' : `State ${from} → ${to}`}${note ? `: ${note}` : ''}`,
      data: { from, to, verb, ...(note ? { note } : {}) },
    });
    return loadIncidentView(tx, row.id);
  });
}
