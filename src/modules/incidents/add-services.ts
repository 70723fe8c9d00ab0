import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { requireRole, type Ctx } from '../context.ts';
import { computeImpact } from '../services/index.ts';
import { assertNotClosed } from './assert-not-closed.ts';
import { findIncidentRow, loadIncidentView, recordChange } from './repository.ts';
import { addServicesInput, type IncidentView } from './schemas.ts';
import { assertKnownServices } from './validate-refs.ts';

/** Adds affected services and recomputes the impact from them and their dependents. */
export async function addServices(ctx: Ctx, ref: string, input: z.input<typeof addServicesInput>): Promise<IncidentView> {
  requireRole(ctx, 'responder');
  const data = addServicesInput.parse(input);
  const wanted = assertKnownServices(ctx, data.services);
  return withTransaction(ctx, async (tx) => {
    const row = await findIncidentRow(tx, ref, { forUpdate: true });
    assertNotClosed(row);
    const existing = (await q(tx).selectFrom('incident_services').select('service_id').where('incident_id', '=', row.id).execute()).map((r) => r.service_id);
    const added = wanted.filter((s) => !existing.includes(s));
    if (added.length === 0) return loadIncidentView(tx, row.id);
    const now = tx.clock.now();
    await q(tx)
      .insertInto('incident_services')
      .values(added.map((service_id) => ({ incident_id: row.id, incident_number: row.number, service_id, added_at: now })))
      .execute();
    const impact = computeImpact(tx.config.current, [...existing, ...added]);
    await q(tx)
      .updateTable('incidents')
      .set({ customer_facing: impact.customer_facing ? 1 : 0, user_share: impact.user_share, impact: JSON.stringify({ impacted_services: impact.impacted_services, highest_tier: impact.highest_tier }) })
      .where('id', '=', row.id)
      .execute();
    for (const service of added) {
      await recordChange(tx, row, { kind: 'service_added', body: `Service ${service} added`, data: { service, impact } });
    }
    return loadIncidentView(tx, row.id);
  });
}
