import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Ctx } from '../context.ts';
import { loadSigningKey } from '../notifications/signing-key.ts';

/**
 * The links in subscription mail and webhook payloads: confirm (expires after
 * status_page.subscribers.confirm_within) and unsubscribe (never expires: a link in a mail from
 * last year must still work). Each is an HMAC-SHA256 over its purpose, the subscriber id and, for
 * confirm, the expiry, with a key of its own kept in the database, so every node checks alike.
 */

export const SUBSCRIPTION_KEY_NAME = 'status-subscriptions';
export type TokenPurpose = 'confirm' | 'unsubscribe';
export type TokenCheck = 'ok' | 'invalid' | 'expired';

export const subscriptionKey = (ctx: Pick<Ctx, 'db' | 'trx' | 'clock'>) => loadSigningKey(ctx, SUBSCRIPTION_KEY_NAME);

const mac = (key: Buffer, purpose: TokenPurpose, id: string, expires: string) => createHmac('sha256', key).update(`firebreak-status-subscription\n${purpose}\n${id}\n${expires}`).digest();

/** `<expiry, base 36>.<mac>`. */
export function confirmToken(key: Buffer, id: string, expiresAt: number): string {
  const expires = expiresAt.toString(36);
  return `${expires}.${mac(key, 'confirm', id, expires).toString('base64url')}`;
}

export function unsubscribeToken(key: Buffer, id: string): string {
  return mac(key, 'unsubscribe', id, '').toString('base64url');
}

const SHAPES: Record<TokenPurpose, RegExp> = { confirm: /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/, unsubscribe: /^()([A-Za-z0-9_-]{43})$/ };

/** Checks a token from a link (anything a stranger sent: a string or not) in constant time; never throws. */
export function checkToken(key: Buffer, purpose: TokenPurpose, id: string, token: unknown, now: number): TokenCheck {
  if (typeof token !== 'string') return 'invalid';
  const m = SHAPES[purpose].exec(token);
  if (!m) return 'invalid';
  const [, expires, given] = m;
  const want = mac(key, purpose, id, expires);
  const got = Buffer.from(given, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return 'invalid';
  // The expiry is read only once the MAC proved it is ours.
  if (purpose === 'confirm' && now >= parseInt(expires, 36)) return 'expired';
  return 'ok';
}

/** Where a subscriber confirms: `${page url}/subscriptions/<id>/confirm?token=…`. */
export const confirmUrl = (pageUrl: string, id: string, token: string) => `${pageUrl}/subscriptions/${encodeURIComponent(id)}/confirm?token=${encodeURIComponent(token)}`;

/** Where a subscriber unsubscribes: GET shows a button, POST (also RFC 8058 one-click) acts. */
export const unsubscribeUrl = (pageUrl: string, id: string, token: string) => `${pageUrl}/subscriptions/${encodeURIComponent(id)}/unsubscribe?token=${encodeURIComponent(token)}`;
