import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { requireRole, type Ctx } from '../context.ts';
import { assertNotClosed } from './assert-not-closed.ts';
import { findIncidentRow, loadIncidentView, recordChange } from './repository.ts';
import { updateIncidentInput, type IncidentView } from './schemas.ts';

/** Edits title, description or the war-room link; the timeline keeps the old values. */
export async function updateIncident(ctx: Ctx, ref: string, input: z.input<typeof updateIncidentInput>): Promise<IncidentView> {
  requireRole(ctx, 'responder');
  const data = updateIncidentInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const row = await findIncidentRow(tx, ref, { forUpdate: true });
    assertNotClosed(row);
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const key of ['title', 'description', 'war_room_url'] as const) {
      if (data[key] !== undefined && data[key] !== row[key]) changes[key] = { from: row[key], to: data[key] };
    }
    if (Object.keys(changes).length === 0) return loadIncidentView(tx, row.id);
    await q(tx)
      .updateTable('incidents')
      .set(Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, v.to])))
      .where('id', '=', row.id)
      .execute();
    const body = changes.war_room_url && Object.keys(changes).length === 1
      ? data.war_room_url ? `War room: ${data.war_room_url}` : 'War room link removed'
      : `Updated ${Object.keys(changes).join(', ')}`;
    await recordChange(tx, row, { kind: 'updated', body, data: { changes } });
    return loadIncidentView(tx, row.id);
  });
}
