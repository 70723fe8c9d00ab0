import type { z } from 'zod';
import { withTransaction } from '../../db/transaction.ts';
import { requireRole, type Ctx } from '../context.ts';
import { assertNotClosed } from './assert-not-closed.ts';
import { findIncidentRow, loadTimeline, recordChange } from './repository.ts';
import { mitigationInput, type TimelineEntryView } from './schemas.ts';

/**
 * Records a workaround or a rollback as a timeline entry of its own kind (`workaround`,
 * `rollback`), with what was changed: the postmortem and the analytics read them apart from notes
 * (what restored service, and how soon).
 */
export async function recordMitigation(ctx: Ctx, ref: string, input: z.input<typeof mitigationInput>): Promise<TimelineEntryView> {
  requireRole(ctx, 'responder');
  const data = mitigationInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const row = await findIncidentRow(tx, ref, { forUpdate: true });
    assertNotClosed(row);
    const label = data.kind === 'rollback' ? 'Rollback' : 'Workaround';
    await recordChange(tx, row, { kind: data.kind, body: `${label}: ${data.body}${data.change ? ` (${data.change})` : ''}`, data: { description: data.body, change: data.change ?? null } });
    return (await loadTimeline(tx, row.id)).at(-1)!;
  });
}
