import type { Selectable } from 'kysely';
import type { NotificationsTable } from '../../db/schema.ts';
import { q } from '../../db/transaction.ts';
import { pendingNotificationRow } from './enqueue.ts';
import type { Ctx } from '../context.ts';
import type { SendResult } from './provider.ts';
import { emailMessageId, sender, submitMail } from './providers/email.ts';
import { postJson } from './providers/http-post.ts';
import { checkPublicTarget } from './target-guard.ts';

/**
 * Prepared messages: rendered in full when queued (by the status page, for its subscribers), not
 * by a provider at send time. The outbox row names the subscriber (`subscriber:<id>`), never the
 * address: the address is read when the message is sent, so an unsubscribe before then stops it,
 * and no email address or webhook URL is copied into the outbox.
 */

/** Destinations of prepared messages start with this. */
export const SUBSCRIBER_PREFIX = 'subscriber:';
export const subscriberDestination = (id: string) => `${SUBSCRIBER_PREFIX}${id}`;
export const isPreparedDestination = (destination: string) => destination.startsWith(SUBSCRIBER_PREFIX);

export interface PreparedEmail {
  subject: string;
  text: string;
  html: string;
  /** Extra headers (List-Unsubscribe…); fixed names and values we made, never user text. */
  headers: Record<string, string>;
  /** The sender's display name (the status page's name). */
  fromName: string;
}

export interface PreparedMessage {
  kind: 'subscriber';
  /** The outbox key: also the webhook's idempotency-key header and the email's Message-ID. */
  idempotencyKey: string;
  /** What it is: a confirmation request, an incident or maintenance notice, a component change. */
  event: 'confirmation' | 'incident' | 'component';
  /** A confirmation goes to a subscriber not yet confirmed; everything else only to confirmed ones. */
  audience: 'unconfirmed' | 'confirmed';
  email?: PreparedEmail;
  /** The exact JSON body to POST. */
  webhook?: { body: string };
}

export interface PreparedOutgoing {
  key: string;
  subscriberId: string;
  message: PreparedMessage;
}

const CHUNK = 200;

/**
 * Queues prepared messages in the caller's transaction (the outbox), each key once however often
 * it is asked for. Returns the keys that were new.
 */
export async function enqueuePrepared(ctx: Ctx, items: PreparedOutgoing[]): Promise<string[]> {
  const now = ctx.clock.now();
  const giveUpAfter = ctx.config.current.notifications.give_up_after;
  const fresh: string[] = [];
  for (let i = 0; i < items.length; i += CHUNK) {
    const rows = items.slice(i, i + CHUNK).map((o) =>
      pendingNotificationRow(now, {
        key: o.key,
        incidentId: null,
        kind: `subscriber.${o.message.event}`,
        destination: subscriberDestination(o.subscriberId),
        provider: o.message.email ? 'email' : 'webhook',
        user: null,
        message: JSON.stringify(o.message),
        dueAt: now,
        giveUpAfter,
      }),
    );
    const inserted = await q(ctx).insertInto('notifications').values(rows).onConflict((oc) => oc.column('key').doNothing()).returning('key').execute();
    fresh.push(...inserted.map((r) => r.key));
  }
  return fresh;
}

/** Cancels a subscriber's queued messages, retries included (they unsubscribed). Returns how many. */
export async function cancelPreparedFor(ctx: Ctx, subscriberId: string, reason: string): Promise<number> {
  const now = ctx.clock.now();
  const res = await q(ctx)
    .updateTable('notifications')
    .set({ status: 'cancelled', next_attempt_at: null, lease_owner: null, lease_until: null, last_error: reason, updated_at: now })
    .where('destination', '=', subscriberDestination(subscriberId))
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** One attempt's result, or why the message should not be sent at all any more. */
export type PreparedOutcome = SendResult | { cancelled: string };

/**
 * One attempt at a prepared message: the subscriber's current address and state are read now (a
 * subscriber gone or unsubscribed cancels the message), then the email is submitted over SMTP or
 * the webhook POSTed (2xx in time is success; 3xx, 4xx and 5xx are failures, as Statuspage counts
 * them). Webhook targets are checked against private addresses again, after a fresh DNS lookup.
 */
export async function sendPrepared(ctx: Ctx, row: Selectable<NotificationsTable>, opts: { timeoutMs: number; now: () => number }): Promise<PreparedOutcome> {
  const config = ctx.config.current;
  const message = JSON.parse(row.message) as PreparedMessage;
  const id = row.destination.slice(SUBSCRIBER_PREFIX.length);
  const sub = await q(ctx).selectFrom('status_subscribers').select(['kind', 'address', 'confirmed_at', 'unsubscribed_at']).where('id', '=', id).executeTakeFirst();
  if (!sub) return { cancelled: 'subscriber no longer exists' };
  if (sub.unsubscribed_at !== null) return { cancelled: 'unsubscribed' };
  if (message.audience === 'confirmed' && sub.confirmed_at === null) return { cancelled: 'subscription not confirmed' };
  if (message.audience === 'unconfirmed' && sub.confirmed_at !== null) return { cancelled: 'already confirmed' };

  if (sub.kind === 'email' && message.email) {
    const smtp = config.notifications.smtp;
    if (!smtp) return { ok: false, retryable: false, error: 'no SMTP server configured (notifications.smtp)' };
    const m = message.email;
    return submitMail(smtp, opts.timeoutMs, {
      from: sender(smtp.from, config.organisation.name, m.fromName),
      to: [sub.address],
      subject: m.subject,
      text: m.text,
      html: m.html,
      messageId: emailMessageId(message.idempotencyKey),
      date: new Date(opts.now()),
      // RFC 3834: no out-of-office replies to a status notice.
      headers: { ...m.headers, 'Auto-Submitted': 'auto-generated', 'X-Firebreak-Event': `status-${message.event}` },
    });
  }
  if (sub.kind === 'webhook' && message.webhook) {
    if (!config.status_page.subscribers.allow_private_targets) {
      const target = await checkPublicTarget(sub.address);
      if (!target.ok) return { ok: false, retryable: target.retryable, error: target.reason };
    }
    const headers = { 'content-type': 'application/json', 'user-agent': 'Firebreak', 'idempotency-key': message.idempotencyKey, 'x-firebreak-event': `status-${message.event}` };
    return postJson({ url: sub.address, body: message.webhook.body, headers, timeoutMs: opts.timeoutMs, now: opts.now });
  }
  // The subscriber's kind and the message's medium disagree: a bug, never worth retrying.
  return { ok: false, retryable: false, error: `a ${message.email ? 'email' : 'webhook'} message for a ${sub.kind} subscriber` };
}
