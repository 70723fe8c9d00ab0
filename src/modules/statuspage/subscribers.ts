import type { Selectable } from 'kysely';
import type { StatusSubscribersTable } from '../../db/schema.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { writeAudit } from '../audit/index.ts';
import type { Ctx } from '../context.ts';
import { cancelPreparedFor, enqueuePrepared } from '../notifications/index.ts';
import { checkSubscription, inferKind, subscribeInput, type Subscription } from './subscriber-input.ts';
import { confirmationEmail } from './subscriber-messages.ts';
import { checkToken, confirmToken, confirmUrl, subscriptionKey } from './subscriber-tokens.ts';

/**
 * Subscribing to the status page, as the public does it: email with double opt-in (stored
 * unconfirmed, a confirmation link mailed, confirmed when it is followed), webhooks confirmed at
 * once (as Statuspage does) and sent nothing until there is news; unsubscribing from a signed link.
 * Answers never say whether an address was already subscribed.
 */

export type SubscriberRow = Selectable<StatusSubscribersTable>;

/** A confirmation is mailed again to the same address at most this often. */
export const RESEND_AFTER_MS = 5 * 60_000;

/** What a subscribe request did; the public answer is the same whatever it was. */
export interface SubscribeResult {
  kind: Subscription['kind'];
  subscriber: SubscriberRow;
  /** Whether a confirmation email was queued now. */
  confirmationQueued: boolean;
}

/**
 * The public subscribe form (anyone; rate-limited by the route). Refuses a kind the config turns
 * off (FORBIDDEN) and anything malformed (VALIDATION_FAILED), storing nothing then.
 */
export async function subscribe(ctx: Ctx, input: unknown): Promise<SubscribeResult> {
  const data = subscribeInput.parse(input ?? {});
  const config = ctx.config.current;
  const allowed = config.status_page.subscribers;
  const kind = inferKind(data);
  if (kind && !allowed[kind]) throw new DomainError('FORBIDDEN', `${kind === 'email' ? 'Email' : 'Webhook'} subscriptions are turned off on this status page`, { kind });
  const sub = await checkSubscription(config, data);
  return withTransaction(ctx, (tx) => saveSubscription(tx, sub, { confirmNow: sub.kind === 'webhook', updateActive: false }));
}

/**
 * Stores a subscription (shared by the public form and the admin API), in the caller's
 * transaction. A new address is inserted; one that unsubscribed starts over with the new choice
 * (email must confirm again); an unconfirmed one takes the new choice; a confirmed, active one is
 * changed only when `updateActive` (an admin), so a stranger cannot rewrite someone's choice.
 * Email that is not confirmed gets a confirmation link, at most once per RESEND_AFTER_MS.
 */
export async function saveSubscription(tx: Ctx, sub: Subscription, opts: { confirmNow: boolean; updateActive: boolean }): Promise<SubscribeResult> {
  const now = tx.clock.now();
  const components = sub.components === null ? null : JSON.stringify(sub.components);
  const find = () => q(tx).selectFrom('status_subscribers').selectAll().where('kind', '=', sub.kind).where('address', '=', sub.address).executeTakeFirst();
  let row = await find();
  if (!row) {
    await q(tx)
      .insertInto('status_subscribers')
      .values({ id: newId('sub', now), kind: sub.kind, address: sub.address, components, created_at: now, confirmed_at: opts.confirmNow ? now : null, confirm_sent_at: null, unsubscribed_at: null, created_by: tx.actor.name })
      // Two requests for the same address at once: the second finds the first's row.
      .onConflict((oc) => oc.columns(['kind', 'address']).doNothing())
      .execute();
    row = (await find())!;
  } else if (row.unsubscribed_at !== null) {
    row = { ...row, components, unsubscribed_at: null, confirmed_at: opts.confirmNow ? now : null };
  } else if (row.confirmed_at === null || opts.updateActive) {
    row = { ...row, components, confirmed_at: row.confirmed_at ?? (opts.confirmNow ? now : null) };
  }
  let confirmationQueued = false;
  if (row.kind === 'email' && row.confirmed_at === null && (row.confirm_sent_at === null || now - Number(row.confirm_sent_at) >= RESEND_AFTER_MS)) {
    await queueConfirmation(tx, row.id, now);
    row = { ...row, confirm_sent_at: now };
    confirmationQueued = true;
  }
  await q(tx)
    .updateTable('status_subscribers')
    .set({ components: row.components, confirmed_at: row.confirmed_at, unsubscribed_at: row.unsubscribed_at, confirm_sent_at: row.confirm_sent_at })
    .where('id', '=', row.id)
    .execute();
  return { kind: sub.kind, subscriber: row, confirmationQueued };
}

/** Mails the confirmation link; the address is read when it is sent (see prepared.ts). */
async function queueConfirmation(tx: Ctx, id: string, now: number): Promise<void> {
  const page = tx.config.current.status_page;
  const expiresAt = now + page.subscribers.confirm_within;
  const link = confirmUrl(page.url, id, confirmToken(await subscriptionKey(tx), id, expiresAt));
  const key = `status-sub:confirm:${id}:${now}`;
  await enqueuePrepared(tx, [{ key, subscriberId: id, message: { kind: 'subscriber', idempotencyKey: key, event: 'confirmation', audience: 'unconfirmed', email: confirmationEmail(page, link, expiresAt) } }]);
}

/** How following a confirm or unsubscribe link went. */
export type LinkResult = 'confirmed' | 'already_confirmed' | 'unsubscribed' | 'already_unsubscribed';

/** An invalid or expired link: the same answer whether or not the subscriber exists. */
function badLink(check: 'invalid' | 'expired'): DomainError {
  return check === 'expired'
    ? new DomainError('VALIDATION_FAILED', 'This confirmation link has expired. Subscribe again to get a new one.', { reason: 'expired_token' })
    : new DomainError('VALIDATION_FAILED', 'This link is not valid. Check that it was copied whole.', { reason: 'invalid_token' });
}

/** Follows a confirmation link (anyone holding it). Idempotent; an unsubscribed subscriber must subscribe again. */
export async function confirmSubscription(ctx: Ctx, id: string, token: unknown): Promise<LinkResult> {
  return withTransaction(ctx, async (tx) => {
    const check = checkToken(await subscriptionKey(tx), 'confirm', id, token, tx.clock.now());
    if (check !== 'ok') throw badLink(check);
    const row = await q(tx).selectFrom('status_subscribers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw badLink('invalid');
    if (row.unsubscribed_at !== null) throw new DomainError('CONFLICT', 'This subscription was cancelled. Subscribe again from the status page.', { reason: 'unsubscribed' });
    if (row.confirmed_at !== null) return 'already_confirmed';
    await q(tx).updateTable('status_subscribers').set({ confirmed_at: tx.clock.now() }).where('id', '=', id).execute();
    await writeAudit(tx, { action: 'status_subscriber.confirmed', entityType: 'status_subscriber', entityId: id, data: { kind: row.kind } });
    return 'confirmed';
  });
}

/** Checks an unsubscribe link without acting (the page that shows the button). */
export async function inspectUnsubscribe(ctx: Ctx, id: string, token: unknown): Promise<'subscribed' | 'already_unsubscribed'> {
  const check = checkToken(await subscriptionKey(ctx), 'unsubscribe', id, token, ctx.clock.now());
  if (check !== 'ok') throw badLink(check);
  const row = await q(ctx).selectFrom('status_subscribers').select('unsubscribed_at').where('id', '=', id).executeTakeFirst();
  if (!row) throw badLink('invalid');
  return row.unsubscribed_at === null ? 'subscribed' : 'already_unsubscribed';
}

/** Follows an unsubscribe link (a button, or an RFC 8058 one-click POST). Idempotent. */
export async function unsubscribeWithToken(ctx: Ctx, id: string, token: unknown): Promise<LinkResult> {
  return withTransaction(ctx, async (tx) => {
    const check = checkToken(await subscriptionKey(tx), 'unsubscribe', id, token, tx.clock.now());
    if (check !== 'ok') throw badLink(check);
    const done = await endSubscription(tx, id);
    if (done === null) throw badLink('invalid');
    return done ? 'unsubscribed' : 'already_unsubscribed';
  });
}

/**
 * Marks a subscriber unsubscribed and cancels what is queued for them (a message being sent right
 * now is stopped too: the sender reads the subscriber again). Returns null when there is no such
 * subscriber, false when already unsubscribed. Audited.
 */
export async function endSubscription(tx: Ctx, id: string): Promise<boolean | null> {
  const row = await q(tx).selectFrom('status_subscribers').select(['kind', 'unsubscribed_at']).where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  if (row.unsubscribed_at !== null) return false;
  await q(tx).updateTable('status_subscribers').set({ unsubscribed_at: tx.clock.now() }).where('id', '=', id).where('unsubscribed_at', 'is', null).execute();
  const cancelled = await cancelPreparedFor(tx, id, 'unsubscribed');
  await writeAudit(tx, { action: 'status_subscriber.unsubscribed', entityType: 'status_subscriber', entityId: id, data: { kind: row.kind, cancelled_messages: cancelled } });
  return true;
}

/**
 * Deletes subscriptions never confirmed whose confirmation link has expired: addresses someone
 * typed (perhaps not their own) are not kept, and a flood of form posts does not stay in the table.
 */
export async function pruneUnconfirmedSubscribers(ctx: Ctx): Promise<number> {
  const cutoff = ctx.clock.now() - ctx.config.current.status_page.subscribers.confirm_within;
  const res = await q(ctx).deleteFrom('status_subscribers').where('kind', '=', 'email').where('confirmed_at', 'is', null).where('unsubscribed_at', 'is', null).where('created_at', '<', cutoff).executeTakeFirst();
  return Number(res.numDeletedRows);
}
