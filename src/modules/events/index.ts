import { fixedInsert } from '../../db/fixed-insert.ts';
import { q } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';

/** A hot path: every change emits one (see fixedInsert). */
const insertOutboxRow = fixedInsert('outbox', ['at', 'topic', 'aggregate_type', 'aggregate_id', 'payload']);

/**
 * Domain events go to the outbox table in the same transaction as the change they describe;
 * reactions (escalation, status page, notifications) consume them from there, so a crash between
 * the change and the reaction loses nothing.
 */
type EventCtx = Pick<Ctx, 'db' | 'trx' | 'clock' | 'actor'>;
type DomainEvent = { topic: string; aggregateType: string; aggregateId: string; payload: Record<string, unknown> };

/** The outbox row an event is stored as. */
export const outboxRow = (ctx: EventCtx, event: DomainEvent) => ({
  at: ctx.clock.now(),
  topic: event.topic,
  aggregate_type: event.aggregateType,
  aggregate_id: event.aggregateId,
  payload: JSON.stringify({ ...event.payload, actor: { type: ctx.actor.type, id: ctx.actor.userId, name: ctx.actor.name } }),
});

export async function emitEvent(ctx: EventCtx, event: DomainEvent): Promise<void> {
  await insertOutboxRow(ctx, outboxRow(ctx, event));
}

/** Appends many events (made by outboxRow) in one statement, in order. */
export async function emitEventRows(ctx: Pick<Ctx, 'db' | 'trx'>, rows: ReturnType<typeof outboxRow>[]): Promise<void> {
  if (rows.length) await q(ctx).insertInto('outbox').values(rows).execute();
}
