import type { z } from 'zod';
import { q } from '../../db/transaction.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow } from '../incidents/index.ts';
import { findActionItemRow, toActionItemViews, userIdByHandle } from './repository.ts';
import { listActionItemsQuery, OPEN_ACTION_ITEM_STATUSES, type ActionItemView } from './schemas.ts';

/**
 * Action items across every incident, soonest due first, filtered by status, priority, owner,
 * incident, overdue (still open and past due) and due before a time; paged by limit and offset
 * (viewer and up).
 */
export async function listActionItems(ctx: Ctx, query: z.input<typeof listActionItemsQuery>): Promise<{ data: ActionItemView[]; next_offset: number | null }> {
  requireRole(ctx, 'viewer');
  const f = listActionItemsQuery.parse(query);
  const now = ctx.clock.now();
  let select = q(ctx).selectFrom('action_items').selectAll();
  if (f.status) select = select.where('status', 'in', f.status.length ? f.status : ['']);
  if (f.priority) select = select.where('priority', 'in', f.priority.length ? f.priority : ['']);
  if (f.owner !== undefined) {
    const ownerId = await userIdByHandle(ctx, f.owner);
    if (!ownerId) return { data: [], next_offset: null };
    select = select.where('owner_id', '=', ownerId);
  }
  if (f.incident !== undefined) select = select.where('incident_id', '=', (await findIncidentRow(ctx, f.incident)).id);
  if (f.overdue === true) select = select.where('status', 'in', [...OPEN_ACTION_ITEM_STATUSES]).where('due_at', '<', now);
  if (f.overdue === false) select = select.where((eb) => eb.or([eb('status', 'not in', [...OPEN_ACTION_ITEM_STATUSES]), eb('due_at', 'is', null), eb('due_at', '>=', now)]));
  if (f.due_before !== undefined) select = select.where('due_at', '<', Date.parse(f.due_before));
  const rows = await select.orderBy('due_at').orderBy('id').limit(f.limit + 1).offset(f.offset).execute();
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  return { data: await toActionItemViews(ctx, page), next_offset: more ? f.offset + f.limit : null };
}

/** One action item (viewer and up). */
export async function getActionItem(ctx: Ctx, id: string): Promise<ActionItemView> {
  requireRole(ctx, 'viewer');
  return (await toActionItemViews(ctx, [await findActionItemRow(ctx, id)]))[0];
}

/** An incident's action items, oldest first (viewer and up). */
export async function listIncidentActionItems(ctx: Ctx, ref: string): Promise<{ data: ActionItemView[] }> {
  requireRole(ctx, 'viewer');
  const incident = await findIncidentRow(ctx, ref);
  const rows = await q(ctx).selectFrom('action_items').selectAll().where('incident_id', '=', incident.id).orderBy('created_at').orderBy('id').execute();
  return { data: await toActionItemViews(ctx, rows) };
}
