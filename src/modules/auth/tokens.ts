import { hashSecret } from './secrets.ts';
import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError, notFound } from '../../lib/errors.ts';
import { newId, randomSecret } from '../../lib/ids.ts';
import { writeAudit } from '../audit/index.ts';
import { minRole, requireRole, type Actor, type Ctx, type Role } from '../context.ts';
import { createTokenInput, TOKEN_SCOPES, type TokenView } from './schemas.ts';
import { getUserByHandle } from './users.ts';

type Scope = (typeof TOKEN_SCOPES)[number];
const SCOPE_ROLE: Record<Scope, Role> = { read: 'viewer', write: 'responder', admin: 'admin' };


const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

export async function createToken(ctx: Ctx, input: z.input<typeof createTokenInput>): Promise<{ token: string; view: TokenView }> {
  requireRole(ctx, 'admin');
  const data = createTokenInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const user = data.user ? await getUserByHandle(tx, data.user) : await q(tx).selectFrom('users').selectAll().where('id', '=', tx.actor.userId ?? '').executeTakeFirst();
    if (!user) throw new DomainError('VALIDATION_FAILED', 'name the user the token acts as', { field: 'user' });
    const now = tx.clock.now();
    const secret = `fbk_${randomSecret(32)}`;
    const scopes = [...new Set(data.scopes)];
    const row = {
      id: newId('tok', now),
      user_id: user.id,
      name: data.name,
      token_hash: hashSecret(secret),
      prefix: secret.slice(0, 12),
      scopes: JSON.stringify(scopes),
      created_at: now,
      created_by: tx.actor.userId,
      expires_at: data.expires_in_days ? now + data.expires_in_days * 86_400_000 : null,
      last_used_at: null,
      revoked_at: null,
    };
    await q(tx).insertInto('api_tokens').values(row).execute();
    await writeAudit(tx, { action: 'token.created', entityType: 'api_token', entityId: row.id, data: { name: row.name, user: user.handle, scopes } });
    return { token: secret, view: { id: row.id, name: row.name, user: user.handle, prefix: row.prefix, scopes, created_at: iso(now)!, expires_at: iso(row.expires_at), last_used_at: null, revoked_at: null } };
  });
}

export async function listTokens(ctx: Ctx): Promise<TokenView[]> {
  requireRole(ctx, 'admin');
  const rows = await q(ctx)
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id', 'api_tokens.name', 'users.handle', 'prefix', 'scopes', 'api_tokens.created_at', 'expires_at', 'last_used_at', 'revoked_at'])
    .orderBy('api_tokens.created_at', 'desc')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, user: r.handle, prefix: r.prefix, scopes: JSON.parse(r.scopes), created_at: iso(r.created_at)!, expires_at: iso(r.expires_at), last_used_at: iso(r.last_used_at), revoked_at: iso(r.revoked_at) }));
}

export async function revokeToken(ctx: Ctx, id: string): Promise<void> {
  requireRole(ctx, 'admin');
  await withTransaction(ctx, async (tx) => {
    const row = await q(tx).selectFrom('api_tokens').select(['id', 'revoked_at', 'name']).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('token', id);
    if (row.revoked_at !== null) return;
    await q(tx).updateTable('api_tokens').set({ revoked_at: tx.clock.now() }).where('id', '=', id).execute();
    await writeAudit(tx, { action: 'token.revoked', entityType: 'api_token', entityId: id, data: { name: row.name } });
  });
}

/** Resolves a bearer token to an actor, or null when unknown, revoked, expired or its user is disabled. */
export async function authenticateToken(ctx: Pick<Ctx, 'db' | 'clock'>, secret: string): Promise<Actor | null> {
  if (!secret.startsWith('fbk_') || secret.length > 100) return null;
  const row = await ctx.db.kysely
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id', 'api_tokens.name', 'scopes', 'expires_at', 'revoked_at', 'last_used_at', 'users.id as user_id', 'users.handle', 'users.role', 'users.disabled_at'])
    .where('token_hash', '=', hashSecret(secret))
    .executeTakeFirst();
  const now = ctx.clock.now();
  if (!row || row.revoked_at !== null || row.disabled_at !== null || (row.expires_at !== null && row.expires_at <= now)) return null;
  // Recording use at most once a minute keeps authentication read-only on the hot path.
  if (row.last_used_at === null || now - row.last_used_at > 60_000) {
    await ctx.db.kysely.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  const scopes = JSON.parse(row.scopes) as Scope[];
  const scopeRole = scopes.map((s) => SCOPE_ROLE[s]).reduce((a, b) => (a === 'admin' || b === 'admin' ? 'admin' : a === 'responder' || b === 'responder' ? 'responder' : 'viewer'), 'viewer' as Role);
  return { type: 'token', userId: row.user_id, name: `${row.handle} (token ${row.name})`, role: minRole(row.role as Role, scopeRole), tokenId: row.id };
}
