import { q } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';
import { loadUpdates, publicIncident } from './build-snapshot.ts';
import type { PublicIncident } from './snapshot-types.ts';

/** Incidents and maintenances per history page. */
export const HISTORY_PAGE_SIZE = 25;

/** One page of history (1-based), newest first, and whether an older page exists. */
export async function loadHistoryPage(ctx: Ctx, page: number): Promise<{ incidents: PublicIncident[]; hasNext: boolean }> {
  const rows = await q(ctx)
    .selectFrom('status_incidents')
    .selectAll()
    .where((eb) => eb.or([eb('kind', '=', 'incident'), eb('status', '!=', 'scheduled')]))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(HISTORY_PAGE_SIZE + 1)
    .offset((page - 1) * HISTORY_PAGE_SIZE)
    .execute();
  const shown = rows.slice(0, HISTORY_PAGE_SIZE);
  const updates = await loadUpdates(ctx, shown.map((r) => r.id));
  return { incidents: shown.map((r) => publicIncident(r, updates.get(r.id) ?? [])), hasNext: rows.length > HISTORY_PAGE_SIZE };
}

/** One public incident or maintenance by its public id, or null. */
export async function loadPublicIncident(ctx: Ctx, id: string): Promise<PublicIncident | null> {
  const row = await q(ctx).selectFrom('status_incidents').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  return publicIncident(row, (await loadUpdates(ctx, [id])).get(id) ?? []);
}
