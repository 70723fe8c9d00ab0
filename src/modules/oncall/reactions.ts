import { sql } from 'kysely';
import type { Logger } from '../../lib/logger.ts';
import type { Ctx, DeferredWrites } from '../context.ts';
import { recordChanges } from '../incidents/index.ts';
import { setTimers } from '../timers/index.ts';
import { insertNotificationRows } from '../notifications/index.ts';
import { consumeEvents, markEventsReacted, type PendingEvent } from '../events/index.ts';
import { q } from '../../db/transaction.ts';
import type { EngineDeps } from './escalation-state.ts';
import { reconcileIncident, type IncidentEvent } from './reconcile.ts';
import { loadIncidentViewsById, type IncidentView } from '../incidents/index.ts';

/** An event whose reaction failed this often is given up (logged as an error) so it cannot block the rest. */
const MAX_FAILURES = 5;

/**
 * Takes a batch of incident events and reconciles each incident they touch, in one transaction.
 * Incidents are handled in id order, so two nodes locking the same incidents cannot deadlock. If
 * the batch fails, each event is retried alone, so one poisoned event never holds up the paging
 * of the others. Returns how many events were taken.
 */
/** Another module's reaction to the same batch of incident events (the status page's auto-post), in the same transaction. */
export type IncidentReactor = (batch: Ctx, incidents: Map<string, IncidentView>, events: Map<string, IncidentEvent[]>) => Promise<void>;

export async function runOncallReactions(ctx: Ctx, engine: EngineDeps, opts: { logger: Logger; failures: Map<number, number>; limit?: number; reactors?: IncidentReactor[] }): Promise<number> {
  const react = async (tx: Ctx, events: PendingEvent[]) => {
    const byIncident = new Map<string, IncidentEvent[]>();
    for (const e of events) {
      if (e.aggregate_type !== 'incident') continue;
      const list = byIncident.get(e.aggregate_id) ?? [];
      list.push({ id: e.id, topic: e.topic, at: e.at, payload: JSON.parse(e.payload) });
      byIncident.set(e.aggregate_id, list);
    }
    // One read of every incident the batch touches, and its timeline entries and timers written
    // at the end in multi-row statements: on PostgreSQL every statement is a round trip.
    const ids = [...byIncident.keys()].sort();
    const views = new Map((await loadIncidentViewsById(tx, ids)).map((v) => [v.id, v]));
    const deferred: DeferredWrites = { notifications: [], steps: [], stepStates: new Map(), changes: [], timers: new Map() };
    const batch: Ctx = { ...tx, deferred };
    for (const id of ids) if (views.has(id)) await reconcileIncident(batch, engine, id, byIncident.get(id)!, views.get(id));
    for (const reactor of opts.reactors ?? []) await reactor(batch, views, byIncident);
    await writeDeferred(tx, deferred);
  };
  const limit = opts.limit ?? 200;
  try {
    return await consumeEvents(ctx, react, { limit });
  } catch (err) {
    opts.logger.error({ err }, 'on-call reactions: a batch failed; retrying its events one by one');
    const pending = await q(ctx).selectFrom('outbox').select('id').where('reacted_at', 'is', null).orderBy('id').limit(limit).execute();
    let taken = 0;
    for (const { id } of pending) {
      const eventId = Number(id);
      try {
        taken += await consumeEvents(ctx, react, { only: [eventId] });
        opts.failures.delete(eventId);
      } catch (e) {
        const n = (opts.failures.get(eventId) ?? 0) + 1;
        opts.failures.set(eventId, n);
        if (n >= MAX_FAILURES) {
          opts.logger.error({ err: e, event: eventId }, 'on-call reactions: giving up on an event that keeps failing');
          await markEventsReacted(ctx, [eventId]);
          opts.failures.delete(eventId);
        } else opts.logger.warn({ err: e, event: eventId, failures: n }, 'on-call reactions: event failed; will retry');
      }
    }
    return taken;
  }
}

/** Writes what a reaction batch deferred: its pages, its timers in one upsert, its timeline entries (with audit rows and events) in one each. */
async function writeDeferred(tx: Ctx, deferred: DeferredWrites): Promise<void> {
  for (let i = 0; i < deferred.steps.length; i += 200) {
    await q(tx).insertInto('escalation_steps').values(deferred.steps.slice(i, i + 200)).onConflict((oc) => oc.columns(['incident_id', 'step_key']).doNothing()).execute();
  }
  await saveStepStates(tx, [...deferred.stepStates]);
  await insertNotificationRows(tx, deferred.notifications);
  await setTimers(tx, [...deferred.timers.values()]);
  await recordChanges(tx, deferred.changes, { touch: false });
  const touched = [...new Set(deferred.changes.filter((c) => c.touch).map((c) => c.incident.id))];
  if (touched.length) await q(tx).updateTable('incidents').set({ updated_at: tx.clock.now() }).where('id', 'in', touched).execute();
}

/** Where each escalation's first step left it, in one UPDATE … FROM (VALUES …) per hundred. */
async function saveStepStates(tx: Ctx, states: [string, { level: number; round: number; next_step_at: number | null; state: string }][]): Promise<void> {
  const now = tx.clock.now();
  for (let i = 0; i < states.length; i += 100) {
    const values = sql.join(
      states.slice(i, i + 100).map(([id, s]) => sql`(cast(${id} as text), cast(${s.level} as integer), cast(${s.round} as integer), cast(${s.next_step_at} as bigint), cast(${s.state} as text))`),
    );
    await sql`
      update escalations set "level" = v.column2, "round" = v.column3, next_step_at = v.column4, "state" = v.column5, updated_at = ${now}
      from (values ${values}) as v
      where escalations.incident_id = v.column1`.execute(q(tx));
  }
}
