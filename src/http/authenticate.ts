import type { FastifyRequest } from 'fastify';
import { DomainError } from '../lib/errors.ts';
import { authenticateSession, authenticateToken } from '../modules/auth/index.ts';
import type { Actor, Ctx } from '../modules/context.ts';

export const SESSION_COOKIE = 'firebreak_session';
/** The actor of a request that carries no credentials. */
export const ANONYMOUS: Actor = { type: 'anonymous', userId: null, name: 'anonymous', role: null };
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Finds who is calling: a Bearer API token first, then the session cookie. A cookie-authenticated
 * request that changes state must come from our own origin (CSRF defence on top of SameSite=Strict).
 */
export async function authenticateRequest(req: FastifyRequest, ctx: Pick<Ctx, 'db' | 'clock' | 'config'>): Promise<Actor> {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const actor = m ? await authenticateToken(ctx, m[1]) : null;
    if (!actor) throw new DomainError('UNAUTHENTICATED', 'API token is invalid, expired or revoked');
    return actor;
  }
  const cookie = req.cookies?.[SESSION_COOKIE];
  if (!cookie) return ANONYMOUS;
  const actor = await authenticateSession(ctx, cookie);
  if (!actor) throw new DomainError('UNAUTHENTICATED', 'session expired; sign in again');
  if (!SAFE_METHODS.has(req.method)) assertSameOrigin(req, ctx.config.current.organisation.public_url);
  return actor;
}

/** Why a state-changing request does not come from our own pages (Sec-Fetch-Site, then Origin), or null when it does. */
export function crossOriginReason(req: FastifyRequest, publicUrl: string): string | null {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'cross-site request refused';
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  const allowed = new Set([new URL(publicUrl).origin, `${req.protocol}://${req.headers.host}`]);
  return allowed.has(origin) ? null : 'cross-origin request refused';
}

function assertSameOrigin(req: FastifyRequest, publicUrl: string) {
  const reason = crossOriginReason(req, publicUrl);
  if (reason) throw new DomainError('CSRF_REJECTED', reason);
}
