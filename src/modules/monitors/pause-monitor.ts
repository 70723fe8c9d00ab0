import { withTransaction } from '../../db/transaction.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { reconcileSignal } from './monitor-signals.ts';
import { ensureStateRows, insertChange, stateRows, updateState } from './repository.ts';
import { findMonitor, monitorView, type MonitorView } from './monitor-views.ts';

/**
 * Pauses or resumes a monitor. Paused, it is not checked (a heartbeat is not expected) and its
 * open alert resolves; resumed, it starts again as `new` and must confirm its state afresh. A
 * heartbeat's next ping also resumes it, as healthchecks.io does. Audited; idempotent.
 */
export async function setMonitorPaused(ctx: Ctx, id: string, paused: boolean): Promise<MonitorView> {
  requireRole(ctx, 'responder');
  const monitor = findMonitor(ctx, id);
  return withTransaction(ctx, async (tx) => {
    await ensureStateRows(tx, [id]);
    const row = (await stateRows(tx, [id], true)).get(id)!;
    if ((row.paused_at !== null) === paused) return monitorView(monitor, row);
    const now = tx.clock.now();
    const decision = await reconcileSignal(tx, monitor, { status: 'new', signalled: row.signalled, reason: null, message: null, since: now }, null);
    const next = {
      ...row,
      status: 'new',
      changed_at: now,
      streak_status: null,
      streak: 0,
      streak_since: null,
      due_at: null,
      held: null,
      signalled: decision.signalled,
      paused_at: paused ? now : null,
      paused_by: paused ? ctx.actor.name : null,
    };
    const { monitor_id: _id, lease_owner: _o, lease_until: _u, ...patch } = next;
    await updateState(tx, id, patch);
    await insertChange(tx, { monitor_id: id, at: now, from_status: row.paused_at !== null ? 'paused' : row.status, to_status: paused ? 'paused' : 'new', reason: null, message: `${paused ? 'paused' : 'resumed'} by ${ctx.actor.name}`, signal_id: decision.signalId, held: null });
    await writeAudit(tx, { action: paused ? 'monitor.paused' : 'monitor.resumed', entityType: 'monitor', entityId: id });
    return monitorView(monitor, next);
  });
}
