import { withTransaction } from '../../db/transaction.ts';
import { notFound } from '../../lib/errors.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { emitEvent } from '../events/index.ts';
import { findSilence, markExpired, stateOf, toView } from './repository.ts';
import type { SilenceView } from './schemas.ts';

/**
 * Expires a silence now (responder and up). Idempotent: a silence already expired (by hand or by
 * its end time) is left as it is, with no second audit row. Alerts it suppressed stay without an
 * incident until their next repeat (see openOrRepeatAlert).
 */
export async function expireSilence(ctx: Ctx, id: string): Promise<SilenceView> {
  requireRole(ctx, 'responder');
  return withTransaction(ctx, async (tx) => {
    const row = await findSilence(tx, id);
    if (!row) throw notFound('silence', id);
    const now = tx.clock.now();
    if (stateOf(row, now) === 'expired') return toView(row, now);
    await markExpired(tx, id, now);
    const view = toView({ ...row, expired_at: now }, now);
    await writeAudit(tx, { action: 'silence.expired', entityType: 'silence', entityId: id, data: { matchers: view.matchers, comment: row.comment } });
    await emitEvent(tx, { topic: 'silence.expired', aggregateType: 'silence', aggregateId: id, payload: { silence: view } });
    return view;
  });
}
