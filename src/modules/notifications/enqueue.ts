import type { ProviderType } from '../../config/oncall-schema.ts';
import type { Insertable } from 'kysely';
import type { NotificationsTable } from '../../db/schema.ts';
import { q } from '../../db/transaction.ts';
import { newId } from '../../lib/ids.ts';
import type { Ctx } from '../context.ts';
import { resolveDestination } from './destinations.ts';
import type { NotificationMessage } from './provider.ts';

/** One message to queue for one destination. */
export interface Outgoing {
  /** Idempotency key: the same key is queued once, however often it is asked for. */
  key: string;
  incidentId: string | null;
  destination: string;
  provider: ProviderType;
  user: string | null;
  message: NotificationMessage;
  /** Not before this time (a delayed contact rule). */
  notBefore: number;
}

/** Insert batches stay well under both engines' parameter limits. */
const CHUNK = 200;

/**
 * Queues notifications in the caller's transaction (the transactional outbox): they are sent
 * after that commit, by whichever node's dispatcher claims them, and survive any restart. Returns
 * the keys that were new.
 */
export async function enqueueNotifications(ctx: Ctx, items: Outgoing[], opts: { keysAreNew?: boolean } = {}): Promise<string[]> {
  if (!items.length) return [];
  const now = ctx.clock.now();
  const config = ctx.config.current;
  const fresh: string[] = [];
  for (let i = 0; i < items.length; i += CHUNK) {
    const rows = items.slice(i, i + CHUNK).map((o) => {
      const resolved = resolveDestination(config, o.destination);
      const giveUpAfter = resolved.ok ? resolved.limits.giveUpAfter : config.notifications.give_up_after;
      return pendingNotificationRow(now, {
        key: o.key,
        incidentId: o.incidentId,
        kind: o.message.kind,
        destination: o.destination,
        provider: o.provider,
        user: o.user,
        message: JSON.stringify(o.message),
        dueAt: Math.max(now, o.notBefore),
        giveUpAfter,
      });
    });
    // Keys nobody can have queued yet (an escalation step's, guarded by its step row) may wait for
    // the batch's one multi-row insert.
    if (opts.keysAreNew && ctx.deferred) {
      ctx.deferred.notifications.push(...rows);
      fresh.push(...rows.map((r) => r.key));
      continue;
    }
    const inserted = await q(ctx).insertInto('notifications').values(rows).onConflict((oc) => oc.column('key').doNothing()).returning('key').execute();
    fresh.push(...inserted.map((r) => r.key));
  }
  return fresh;
}

/** A new outbox row, due at `dueAt` and given up `giveUpAfter` later. */
export function pendingNotificationRow(
  now: number,
  m: { key: string; incidentId: string | null; kind: string; destination: string; provider: string; user: string | null; message: string; dueAt: number; giveUpAfter: number },
): Insertable<NotificationsTable> {
  return {
    id: newId('ntf', now),
    key: m.key,
    incident_id: m.incidentId,
    kind: m.kind,
    destination: m.destination,
    provider: m.provider,
    user_handle: m.user,
    message: m.message,
    status: 'pending',
    attempts: 0,
    next_attempt_at: m.dueAt,
    give_up_at: m.dueAt + m.giveUpAfter,
    lease_owner: null,
    lease_until: null,
    last_error: null,
    created_at: now,
    sent_at: null,
    updated_at: now,
  };
}

/**
 * Cancels an incident's queued messages of the given kinds, retries included (acknowledged: the
 * pages not yet delivered; resolved: everything still waiting). Returns how many.
 */
export async function cancelPendingNotifications(ctx: Ctx, incidentId: string, kinds: string[]): Promise<number> {
  const now = ctx.clock.now();
  const res = await q(ctx)
    .updateTable('notifications')
    .set({ status: 'cancelled', next_attempt_at: null, lease_owner: null, lease_until: null, updated_at: now })
    .where('incident_id', '=', incidentId)
    .where('status', '=', 'pending')
    .where('kind', 'in', kinds)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Inserts deferred outbox rows (see enqueueNotifications' keysAreNew), a key already there left alone. */
export async function insertNotificationRows(ctx: Pick<Ctx, 'db' | 'trx'>, rows: Insertable<NotificationsTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await q(ctx).insertInto('notifications').values(rows.slice(i, i + CHUNK)).onConflict((oc) => oc.column('key').doNothing()).execute();
}
