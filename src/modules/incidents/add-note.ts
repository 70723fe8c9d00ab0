import type { z } from 'zod';
import { withTransaction } from '../../db/transaction.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow, loadTimeline, recordChange } from './repository.ts';
import { noteInput, type TimelineEntryView } from './schemas.ts';

/** Adds a note to the timeline; allowed in every state, closed included (for later annotation). */
export async function addNote(ctx: Ctx, ref: string, input: z.input<typeof noteInput>): Promise<TimelineEntryView> {
  requireRole(ctx, 'responder');
  const data = noteInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const row = await findIncidentRow(tx, ref);
    await recordChange(tx, row, { kind: 'note', body: data.body });
    return (await loadTimeline(tx, row.id)).at(-1)!;
  });
}
