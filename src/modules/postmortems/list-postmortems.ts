import type { z } from 'zod';
import { q } from '../../db/transaction.ts';
import { requireRole, type Ctx } from '../context.ts';
import { toSummaryViews, userIdByHandle } from './repository.ts';
import { listPostmortemsQuery, type PostmortemSummaryView } from './schemas.ts';

/**
 * Postmortems across incidents, newest first, filtered by status, owner and overdue (not completed
 * and past due), paged by limit and offset (viewer and up).
 */
export async function listPostmortems(ctx: Ctx, query: z.input<typeof listPostmortemsQuery>): Promise<{ data: PostmortemSummaryView[]; next_offset: number | null }> {
  requireRole(ctx, 'viewer');
  const f = listPostmortemsQuery.parse(query);
  const now = ctx.clock.now();
  let select = q(ctx).selectFrom('postmortems').selectAll();
  if (f.status) select = select.where('status', 'in', f.status.length ? f.status : ['']);
  if (f.owner !== undefined) {
    const ownerId = await userIdByHandle(ctx, f.owner);
    if (!ownerId) return { data: [], next_offset: null };
    select = select.where('owner_id', '=', ownerId);
  }
  if (f.overdue === true) select = select.where('status', '!=', 'completed').where('due_at', '<', now);
  if (f.overdue === false) select = select.where((eb) => eb.or([eb('status', '=', 'completed'), eb('due_at', '>=', now)]));
  const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit + 1).offset(f.offset).execute();
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  return { data: await toSummaryViews(ctx, page), next_offset: more ? f.offset + f.limit : null };
}
