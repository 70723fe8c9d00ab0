import type { z } from 'zod';
import { withTransaction } from '../../db/transaction.ts';
import { requireRole, type Ctx } from '../context.ts';
import { assertNotClosed } from './assert-not-closed.ts';
import { findIncidentRow, loadTimeline, recordChange } from './repository.ts';
import { stakeholderUpdateInput, type TimelineEntryView } from './schemas.ts';

/**
 * Posts a stakeholder update: on the timeline, and (as the `incident.stakeholder_update` event) to
 * the stakeholder groups told about the incident; it also restarts the update-cadence reminder.
 */
export async function postStakeholderUpdate(ctx: Ctx, ref: string, input: z.input<typeof stakeholderUpdateInput>): Promise<TimelineEntryView> {
  requireRole(ctx, 'responder');
  const data = stakeholderUpdateInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const row = await findIncidentRow(tx, ref, { forUpdate: true });
    assertNotClosed(row);
    await recordChange(tx, row, { kind: 'stakeholder_update', body: data.body, data: { body: data.body } });
    return (await loadTimeline(tx, row.id)).at(-1)!;
  });
}
