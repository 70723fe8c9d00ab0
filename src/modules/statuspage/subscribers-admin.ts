import { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { notFound } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { addSubscriberInput, checkSubscription, SUBSCRIBER_KINDS } from './subscriber-input.ts';
import { endSubscription, saveSubscription, type SubscriberRow } from './subscribers.ts';

/**
 * Managing subscribers: responders list them, admins add (an email address confirmed without
 * double opt-in only when they say `confirmed: true`) and remove them. Audited. The config's
 * switches for which kinds may subscribe govern the public form, not admins.
 */

export const SUBSCRIBER_STATES = ['pending', 'confirmed', 'unsubscribed'] as const;

export const subscriberView = z.object({
  id: z.string(),
  kind: z.enum(SUBSCRIBER_KINDS),
  /** The email address or webhook URL. */
  address: z.string(),
  /** Chosen component ids, or null for all. */
  components: z.array(z.string()).nullable(),
  /** pending: email waiting for its confirmation; confirmed: receives updates; unsubscribed. */
  state: z.enum(SUBSCRIBER_STATES),
  confirmed: z.boolean(),
  created_at: z.string(),
  confirmed_at: z.string().nullable(),
  unsubscribed_at: z.string().nullable(),
  created_by: z.string(),
});
export type SubscriberView = z.infer<typeof subscriberView>;

export const listSubscribersQuery = z.strictObject({
  kind: z.enum(SUBSCRIBER_KINDS).optional(),
  state: z.enum(SUBSCRIBER_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** The `next_cursor` of the previous page. */
  cursor: z.string().max(64).optional(),
});

const iso = (ms: number | null) => (ms === null ? null : isoTime(Number(ms)));

export function toSubscriberView(r: SubscriberRow): SubscriberView {
  return {
    id: r.id,
    kind: r.kind as SubscriberView['kind'],
    address: r.address,
    components: r.components === null ? null : (JSON.parse(r.components) as string[]),
    state: r.unsubscribed_at !== null ? 'unsubscribed' : r.confirmed_at !== null ? 'confirmed' : 'pending',
    confirmed: r.confirmed_at !== null && r.unsubscribed_at === null,
    created_at: isoTime(Number(r.created_at)),
    confirmed_at: iso(r.confirmed_at),
    unsubscribed_at: iso(r.unsubscribed_at),
    created_by: r.created_by,
  };
}

/** Subscribers, newest first, a page at a time (responder and up). */
export async function listSubscribers(ctx: Ctx, input: unknown): Promise<{ data: SubscriberView[]; next_cursor: string | null }> {
  requireRole(ctx, 'responder');
  const { kind, state, limit, cursor } = listSubscribersQuery.parse(input ?? {});
  let select = q(ctx).selectFrom('status_subscribers').selectAll().orderBy('id', 'desc').limit(limit + 1);
  if (kind) select = select.where('kind', '=', kind);
  if (cursor) select = select.where('id', '<', cursor);
  if (state === 'unsubscribed') select = select.where('unsubscribed_at', 'is not', null);
  else if (state) select = select.where('unsubscribed_at', 'is', null).where('confirmed_at', state === 'confirmed' ? 'is not' : 'is', null);
  const rows = await select.execute();
  const page = rows.slice(0, limit);
  return { data: page.map(toSubscriberView), next_cursor: rows.length > limit ? page[page.length - 1].id : null };
}

/**
 * Adds a subscriber (admin), or updates one with the same address (a removed one is subscribed
 * again). Email is stored confirmed only with `confirmed: true`; otherwise the confirmation link
 * is mailed (at most once per five minutes). Webhooks are confirmed at once.
 */
export async function addSubscriber(ctx: Ctx, input: unknown): Promise<SubscriberView> {
  requireRole(ctx, 'admin');
  const data = addSubscriberInput.parse(input ?? {});
  const sub = await checkSubscription(ctx.config.current, data);
  return withTransaction(ctx, async (tx) => {
    const result = await saveSubscription(tx, sub, { confirmNow: sub.kind === 'webhook' || data.confirmed === true, updateActive: true });
    const view = toSubscriberView(result.subscriber);
    await writeAudit(tx, { action: 'status_subscriber.added', entityType: 'status_subscriber', entityId: view.id, data: { kind: view.kind, components: view.components, state: view.state, confirmation_sent: result.confirmationQueued } });
    return view;
  });
}

/** Unsubscribes a subscriber (admin) and cancels what is queued for them; idempotent. */
export async function removeSubscriber(ctx: Ctx, id: string): Promise<SubscriberView> {
  requireRole(ctx, 'admin');
  return withTransaction(ctx, async (tx) => {
    if ((await endSubscription(tx, id)) === null) throw notFound('status page subscriber', id);
    return toSubscriberView(await q(tx).selectFrom('status_subscribers').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
  });
}
