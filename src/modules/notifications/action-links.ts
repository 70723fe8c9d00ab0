import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * One-click acknowledge and resolve links in messages. The token carries what it does, for which
 * incident, for whom and until when, signed with HMAC-SHA256; the nonce makes it act once (see
 * action_link_uses). The recipient is the person the message went to (null for a channel: the
 * one who clicks must then be signed in, so the timeline still says who acted).
 */
export const LINK_ACTIONS = ['acknowledge', 'resolve'] as const;
export type LinkAction = (typeof LINK_ACTIONS)[number];

export interface LinkClaims {
  /** Incident id. */
  i: string;
  a: LinkAction;
  /** Recipient's handle, or null for a channel. */
  u: string | null;
  /** Expiry, epoch ms. */
  e: number;
  /** Nonce: the notification id and action. */
  n: string;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const sign = (key: Buffer, body: string) => createHmac('sha256', key).update(`firebreak-link.${body}`).digest();

export function signLink(key: Buffer, claims: LinkClaims): string {
  const body = b64(JSON.stringify(claims));
  return `${body}.${b64(sign(key, body))}`;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: 'malformed' | 'forged' | 'expired'; claims?: LinkClaims };

/** Verifies a token's signature and expiry; never throws. */
export function verifyLink(key: Buffer, token: string, now: number): LinkCheck {
  const m = /^([A-Za-z0-9_-]{10,2000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const [, body, mac] = m;
  const given = Buffer.from(mac, 'base64url');
  const want = sign(key, body);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return { ok: false, reason: 'forged' };
  let claims: LinkClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LinkClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof claims?.i !== 'string' || !LINK_ACTIONS.includes(claims.a) || typeof claims.e !== 'number' || typeof claims.n !== 'string' || (claims.u !== null && typeof claims.u !== 'string')) {
    return { ok: false, reason: 'malformed' };
  }
  if (now >= claims.e) return { ok: false, reason: 'expired', claims };
  return { ok: true, claims };
}
