import { q } from '../../db/transaction.ts';
import { requireRole, type Ctx } from '../context.ts';
import { toView } from './repository.ts';
import { listSilencesQuery, type SilenceView } from './schemas.ts';

/** Silences, newest first (viewer and up), optionally only those active, pending or expired now. */
export async function listSilences(ctx: Ctx, input: unknown): Promise<{ data: SilenceView[] }> {
  requireRole(ctx, 'viewer');
  const { state, limit } = listSilencesQuery.parse(input ?? {});
  const now = ctx.clock.now();
  let query = q(ctx).selectFrom('silences').selectAll();
  if (state === 'active') query = query.where('expired_at', 'is', null).where('starts_at', '<=', now).where('ends_at', '>', now);
  if (state === 'pending') query = query.where('expired_at', 'is', null).where('starts_at', '>', now).where('ends_at', '>', now);
  if (state === 'expired') query = query.where((eb) => eb.or([eb('expired_at', 'is not', null), eb('ends_at', '<=', now)]));
  const rows = await query.orderBy('id', 'desc').limit(limit).execute();
  return { data: rows.map((r) => toView(r, now)) };
}
