import { fixedInsert } from '../../db/fixed-insert.ts';
import type { Ctx } from '../context.ts';

/** A hot path: every change emits one (see fixedInsert). */
const insertOutboxRow = fixedInsert('outbox', ['at', 'topic', 'aggregate_type', 'aggregate_id', 'payload']);

/**
 * Domain events go to the outbox table in the same transaction as the change they describe;
 * reactions (escalation, status page, notifications) consume them from there, so a crash between
 * the change and the reaction loses nothing.
 */
export async function emitEvent(
  ctx: Pick<Ctx, 'db' | 'trx' | 'clock' | 'actor'>,
  event: { topic: string; aggregateType: string; aggregateId: string; payload: Record<string, unknown> },
): Promise<void> {
  await insertOutboxRow(ctx, {
    at: ctx.clock.now(),
    topic: event.topic,
    aggregate_type: event.aggregateType,
    aggregate_id: event.aggregateId,
    payload: JSON.stringify({ ...event.payload, actor: { type: ctx.actor.type, id: ctx.actor.userId, name: ctx.actor.name } }),
  });
}
