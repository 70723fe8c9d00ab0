import type { Selectable } from 'kysely';
import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { isUniqueViolation } from '../../db/dialect.ts';
import type { UsersTable } from '../../db/schema.ts';
import { DomainError, notFound } from '../../lib/errors.ts';
import { newId, randomSecret } from '../../lib/ids.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx, type Role } from '../context.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { hashSecret } from './secrets.ts';
import { changePasswordInput, createUserInput, updateMeInput, updateUserInput, type UserView } from './schemas.ts';

export type UserRow = Selectable<UsersTable>;

export const toUserView = (u: UserRow): UserView => ({
  id: u.id,
  handle: u.handle,
  name: u.name,
  email: u.email,
  time_zone: u.time_zone,
  role: u.role as Role,
  disabled: u.disabled_at !== null,
  must_change_password: u.must_change_password === 1,
  created_at: new Date(u.created_at).toISOString(),
});

export async function findUserByHandle(ctx: Pick<Ctx, 'db' | 'trx'>, handle: string): Promise<UserRow | undefined> {
  return q(ctx).selectFrom('users').selectAll().where('handle', '=', handle).executeTakeFirst();
}

export async function getUserByHandle(ctx: Pick<Ctx, 'db' | 'trx'>, handle: string): Promise<UserRow> {
  const user = await findUserByHandle(ctx, handle);
  if (!user) throw notFound('user', handle);
  return user;
}

export async function getUser(ctx: Ctx, handle: string): Promise<UserView> {
  requireRole(ctx, 'viewer');
  return toUserView(await getUserByHandle(ctx, handle));
}

export async function countUsers(ctx: Pick<Ctx, 'db' | 'trx'>): Promise<number> {
  const row = await q(ctx).selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listUsers(ctx: Ctx): Promise<UserView[]> {
  requireRole(ctx, 'viewer');
  const rows = await q(ctx).selectFrom('users').selectAll().orderBy('handle').execute();
  return rows.map(toUserView);
}

/** Creates a user; when no password is given one is generated and returned once. */
export async function createUser(ctx: Ctx, input: z.input<typeof createUserInput>, opts: { mustChangePassword?: boolean } = {}): Promise<{ user: UserView; generatedPassword: string | null }> {
  requireRole(ctx, 'admin');
  const data = createUserInput.parse(input);
  const generatedPassword = data.password ? null : randomSecret(15);
  const passwordHash = await hashPassword(data.password ?? generatedPassword!);
  return withTransaction(ctx, async (tx) => {
    const now = tx.clock.now();
    const row: UserRow = {
      id: newId('usr', now),
      handle: data.handle,
      name: data.name,
      email: data.email,
      time_zone: data.time_zone,
      role: data.role,
      password_hash: passwordHash,
      must_change_password: (opts.mustChangePassword ?? generatedPassword !== null) ? 1 : 0,
      created_at: now,
      updated_at: now,
      disabled_at: null,
    };
    try {
      await q(tx).insertInto('users').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a user with handle "${data.handle}" already exists`, { handle: data.handle });
      throw e;
    }
    await writeAudit(tx, { action: 'user.created', entityType: 'user', entityId: row.id, data: { handle: row.handle, role: row.role } });
    return { user: toUserView(row), generatedPassword };
  });
}

export async function updateUser(ctx: Ctx, handle: string, input: z.input<typeof updateUserInput>): Promise<UserView> {
  requireRole(ctx, 'admin');
  const data = updateUserInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const user = await getUserByHandle(tx, handle);
    if (user.id === tx.actor.userId && (data.role !== undefined && data.role !== 'admin' || data.disabled)) {
      throw new DomainError('CONFLICT', 'you cannot demote or disable yourself; ask another admin');
    }
    const now = tx.clock.now();
    const patch = {
      ...(data.name !== undefined && { name: data.name }),
      ...(data.email !== undefined && { email: data.email }),
      ...(data.time_zone !== undefined && { time_zone: data.time_zone }),
      ...(data.role !== undefined && { role: data.role }),
      ...(data.disabled !== undefined && { disabled_at: data.disabled ? (user.disabled_at ?? now) : null }),
      updated_at: now,
    };
    await q(tx).updateTable('users').set(patch).where('id', '=', user.id).execute();
    if (data.disabled) await q(tx).deleteFrom('sessions').where('user_id', '=', user.id).execute();
    await writeAudit(tx, { action: 'user.updated', entityType: 'user', entityId: user.id, data: { handle, changes: Object.keys(data) } });
    return toUserView({ ...user, ...patch });
  });
}

export async function updateMe(ctx: Ctx, input: z.input<typeof updateMeInput>): Promise<UserView> {
  requireRole(ctx, 'viewer');
  const data = updateMeInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const user = await requireSelf(tx);
    const patch = { ...data, updated_at: tx.clock.now() };
    await q(tx).updateTable('users').set(patch).where('id', '=', user.id).execute();
    await writeAudit(tx, { action: 'user.updated_self', entityType: 'user', entityId: user.id, data: { changes: Object.keys(data) } });
    return toUserView({ ...user, ...patch });
  });
}

/**
 * Changes the caller's password and ends every other session of theirs (a stolen session must not
 * survive a password change); `keepSessionSecret` is the session making the change, if any.
 */
export async function changePassword(ctx: Ctx, input: z.input<typeof changePasswordInput>, opts: { keepSessionSecret?: string } = {}): Promise<void> {
  requireRole(ctx, 'viewer');
  const data = changePasswordInput.parse(input);
  const user = await requireSelf(ctx);
  if (!user.password_hash || !(await verifyPassword(data.current_password, user.password_hash))) {
    throw new DomainError('FORBIDDEN', 'current password is wrong');
  }
  const hash = await hashPassword(data.new_password);
  await withTransaction(ctx, async (tx) => {
    await q(tx).updateTable('users').set({ password_hash: hash, must_change_password: 0, updated_at: tx.clock.now() }).where('id', '=', user.id).execute();
    let others = q(tx).deleteFrom('sessions').where('user_id', '=', user.id);
    if (opts.keepSessionSecret) others = others.where('id_hash', '!=', hashSecret(opts.keepSessionSecret));
    await others.execute();
    await writeAudit(tx, { action: 'user.password_changed', entityType: 'user', entityId: user.id });
  });
}

export async function getMe(ctx: Ctx): Promise<UserView> {
  requireRole(ctx, 'viewer');
  return toUserView(await requireSelf(ctx));
}

async function requireSelf(ctx: Pick<Ctx, 'db' | 'trx' | 'actor'>): Promise<UserRow> {
  if (!ctx.actor.userId) throw new DomainError('FORBIDDEN', 'this needs a signed-in user');
  const user = await q(ctx).selectFrom('users').selectAll().where('id', '=', ctx.actor.userId).executeTakeFirst();
  if (!user) throw notFound('user', ctx.actor.userId);
  return user;
}

/**
 * An admin gives a user a new one-time password (returned once; they must change it at sign-in)
 * and signs them out everywhere. How people declared in firebreak.yaml, created without a
 * password, get their first one.
 */
export async function resetPassword(ctx: Ctx, handle: string): Promise<{ user: UserView; generatedPassword: string }> {
  requireRole(ctx, 'admin');
  const generatedPassword = randomSecret(15);
  const hash = await hashPassword(generatedPassword);
  return withTransaction(ctx, async (tx) => {
    const user = await getUserByHandle(tx, handle);
    const now = tx.clock.now();
    await q(tx).updateTable('users').set({ password_hash: hash, must_change_password: 1, updated_at: now }).where('id', '=', user.id).execute();
    await q(tx).deleteFrom('sessions').where('user_id', '=', user.id).execute();
    await writeAudit(tx, { action: 'user.password_reset', entityType: 'user', entityId: user.id, data: { handle } });
    return { user: toUserView({ ...user, password_hash: hash, must_change_password: 1, updated_at: now }), generatedPassword };
  });
}
