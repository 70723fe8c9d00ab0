import { fixedInsert } from '../../db/fixed-insert.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';

/** A hot path: every change emits one (see fixedInsert). */
const insertOutboxRow = fixedInsert('outbox', ['at', 'topic', 'aggregate_type', 'aggregate_id', 'payload', 'reacted_at']);

/**
 * Topics a reaction consumes (escalation and paging, stakeholder notifications, update reminders).
 * Every other event is stored as already reacted to, so the consumer's queue holds only these and
 * the ingest hot path's alert bookkeeping never reaches it.
 */
export const REACTION_TOPICS: ReadonlySet<string> = new Set([
  'incident.created',
  'incident.acknowledged',
  'incident.investigating',
  'incident.identified',
  'incident.monitoring',
  'incident.resolved',
  'incident.closed',
  'incident.reopened',
  'incident.severity_changed',
  // The status page: an incident that grows may newly qualify for its automatic public post.
  'incident.service_added',
  'incident.absorbed',
  'incident.renotify',
  'incident.stakeholder_update',
]);

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
  reacted_at: REACTION_TOPICS.has(event.topic) ? null : ctx.clock.now(),
});

export async function emitEvent(ctx: EventCtx, event: DomainEvent): Promise<void> {
  await insertOutboxRow(ctx, outboxRow(ctx, event));
}

/** Appends many events (made by outboxRow) in one statement, in order. */
export async function emitEventRows(ctx: Pick<Ctx, 'db' | 'trx'>, rows: ReturnType<typeof outboxRow>[]): Promise<void> {
  if (rows.length) await q(ctx).insertInto('outbox').values(rows).execute();
}

/** A stored domain event that no reaction has taken yet. */
export interface PendingEvent {
  id: number;
  at: number;
  topic: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: string;
}

/**
 * Claims up to `limit` events no reaction has taken (oldest first), runs `react` on them and marks
 * them taken, all in one transaction: what the reaction writes and the mark commit together, so an
 * event is acted on once, after a crash too. On PostgreSQL, nodes skip each other's claimed rows.
 * `only` narrows the claim to the given event ids (to isolate one that fails).
 */
export async function consumeEvents(ctx: Ctx, react: (tx: Ctx, events: PendingEvent[]) => Promise<void>, opts: { limit?: number; only?: number[] } = {}): Promise<number> {
  return withTransaction(ctx, async (tx) => {
    let select = q(tx).selectFrom('outbox').select(['id', 'at', 'topic', 'aggregate_type', 'aggregate_id', 'payload']).where('reacted_at', 'is', null);
    if (opts.only) select = select.where('id', 'in', opts.only);
    select = select.orderBy('id').limit(opts.limit ?? 200);
    if (tx.db.dialect.supportsSkipLocked) select = select.forUpdate().skipLocked();
    const rows = (await select.execute()).map((r) => ({ ...r, id: Number(r.id), at: Number(r.at) }));
    if (!rows.length) return 0;
    await react(tx, rows);
    await q(tx).updateTable('outbox').set({ reacted_at: tx.clock.now() }).where('id', 'in', rows.map((r) => r.id)).execute();
    return rows.length;
  });
}

/** Marks events taken without acting on them (a reaction that keeps failing is given up, loudly, by its caller). */
export async function markEventsReacted(ctx: Ctx, ids: number[]): Promise<void> {
  if (ids.length) await q(ctx).updateTable('outbox').set({ reacted_at: ctx.clock.now() }).where('id', 'in', ids).execute();
}

/** An incident's domain event as the live stream sends it. */
export interface IncidentEventSummary {
  id: number;
  at: number;
  topic: string;
  incident_id: string;
  ref: string | null;
}

/**
 * Incident events after `afterId`, oldest first, at most `limit` (the live stream's poll). On
 * PostgreSQL ids can commit out of order, so callers re-read a margin below their cursor and
 * drop what they have seen.
 */
export async function readIncidentEvents(ctx: Pick<Ctx, 'db' | 'trx'>, afterId: number, limit: number): Promise<IncidentEventSummary[]> {
  const rows = await q(ctx).selectFrom('outbox').select(['id', 'at', 'topic', 'aggregate_id', 'payload']).where('id', '>', afterId).where('aggregate_type', '=', 'incident').orderBy('id').limit(limit).execute();
  return rows.map((r) => {
    let ref: string | null = null;
    try {
      const p = JSON.parse(r.payload) as { ref?: unknown };
      if (typeof p.ref === 'string') ref = p.ref;
    } catch {
      // A payload that is not JSON still tells the console something changed.
    }
    return { id: Number(r.id), at: Number(r.at), topic: r.topic, incident_id: r.aggregate_id, ref };
  });
}

/** The newest event id (0 when there is none): where a new live stream starts. */
export async function newestEventId(ctx: Pick<Ctx, 'db' | 'trx'>): Promise<number> {
  const row = await q(ctx).selectFrom('outbox').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
  return Number(row?.id ?? 0);
}
