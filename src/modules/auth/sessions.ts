import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { randomSecret } from '../../lib/ids.ts';
import { writeAudit } from '../audit/index.ts';
import type { Actor, Ctx, Role } from '../context.ts';
import { DUMMY_HASH_PROMISE, verifyPassword } from './passwords.ts';
import { RateLimiter } from './rate-limiter.ts';
import { loginInput, type UserView } from './schemas.ts';
import { hashSecret } from './secrets.ts';
import { toUserView } from './users.ts';

export const SESSION_TTL_MS = 7 * 86_400_000;
/** A session unused this long expires even before its absolute lifetime. */
export const SESSION_IDLE_MS = 12 * 3_600_000;

/** Login throttles: per handle and per client address, 10 tries in 5 minutes. */
export function createLoginLimiters() {
  return { byHandle: new RateLimiter(10, 5 * 60_000), byAddress: new RateLimiter(30, 5 * 60_000) };
}
export type LoginLimiters = ReturnType<typeof createLoginLimiters>;

/** Checks the password and opens a session; every failure is audited and answers the same. */
export async function login(
  ctx: Ctx,
  input: z.input<typeof loginInput>,
  opts: { address: string; limiters: LoginLimiters },
): Promise<{ sessionSecret: string; user: UserView; expiresAt: number }> {
  const data = loginInput.parse(input);
  const now = ctx.clock.now();
  const wait = Math.max(opts.limiters.byHandle.hit(data.handle, now), opts.limiters.byAddress.hit(opts.address, now));
  if (wait > 0) {
    await audit(ctx, 'auth.login_throttled', data.handle, opts.address);
    throw new DomainError('RATE_LIMITED', 'Too many sign-in attempts; wait and try again', { retry_after: Math.ceil(wait / 1000) });
  }
  const user = await q(ctx).selectFrom('users').selectAll().where('handle', '=', data.handle).executeTakeFirst();
  const ok = await verifyPassword(data.password, user?.password_hash ?? (await DUMMY_HASH_PROMISE));
  if (!user || !ok || user.disabled_at !== null) {
    await audit(ctx, 'auth.login_failed', data.handle, opts.address);
    throw new DomainError('UNAUTHENTICATED', 'Wrong handle or password');
  }
  opts.limiters.byHandle.reset(data.handle);
  const sessionSecret = randomSecret(32);
  const expiresAt = now + SESSION_TTL_MS;
  await withTransaction({ ...ctx, actor: { type: 'user' as const, userId: user.id, name: user.handle, role: user.role as Role } }, async (tx) => {
    await q(tx).insertInto('sessions').values({ id_hash: hashSecret(sessionSecret), user_id: user.id, created_at: now, expires_at: expiresAt, last_seen_at: now }).execute();
    await writeAudit(tx, { action: 'auth.login', entityType: 'user', entityId: user.id, data: { address: opts.address } });
  });
  return { sessionSecret, user: toUserView(user), expiresAt };
}

async function audit(ctx: Ctx, action: string, handle: string, address: string) {
  await withTransaction({ ...ctx, actor: { type: 'anonymous' as const, userId: null, name: 'anonymous', role: null } }, (tx) =>
    writeAudit(tx, { action, entityType: 'user', entityId: null, data: { handle: handle.slice(0, 64), address } }),
  );
}

export async function logout(ctx: Ctx, sessionSecret: string): Promise<void> {
  await q(ctx).deleteFrom('sessions').where('id_hash', '=', hashSecret(sessionSecret)).execute();
}

/** Resolves a session cookie to an actor, sliding its idle timeout. */
export async function authenticateSession(ctx: Pick<Ctx, 'db' | 'clock'>, secret: string): Promise<Actor | null> {
  if (secret.length > 100) return null;
  const idHash = hashSecret(secret);
  const row = await ctx.db.kysely
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.expires_at', 'sessions.last_seen_at', 'users.id', 'users.handle', 'users.role', 'users.disabled_at', 'users.must_change_password'])
    .where('id_hash', '=', idHash)
    .executeTakeFirst();
  const now = ctx.clock.now();
  if (!row || row.disabled_at !== null || row.expires_at <= now || now - row.last_seen_at > SESSION_IDLE_MS) return null;
  if (now - row.last_seen_at > 60_000) await ctx.db.kysely.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
  return { type: 'user', userId: row.id, name: row.handle, role: row.role as Role, ...(row.must_change_password === 1 ? { mustChangePassword: true } : {}) };
}
