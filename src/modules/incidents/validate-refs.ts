import { q } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import type { Ctx } from '../context.ts';

/** Services must exist in the current config; unknown ids are refused together. */
export function assertKnownServices(ctx: Pick<Ctx, 'config'>, ids: readonly string[]): string[] {
  const known = new Set(ctx.config.current.services.map((s) => s.id));
  const unique = [...new Set(ids)];
  const unknown = unique.filter((id) => !known.has(id));
  if (unknown.length) {
    throw new DomainError('UNKNOWN_SERVICE', `unknown service${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, { unknown, known: [...known] });
  }
  return unique;
}

/** Resolves an active user's handle for role assignment. */
export async function resolveActiveUser(ctx: Pick<Ctx, 'db' | 'trx'>, handle: string): Promise<{ id: string; handle: string }> {
  const user = await q(ctx).selectFrom('users').select(['id', 'handle', 'disabled_at']).where('handle', '=', handle).executeTakeFirst();
  if (!user || user.disabled_at !== null) throw new DomainError('UNKNOWN_USER', `no active user with handle "${handle}"`, { user: handle });
  return user;
}
