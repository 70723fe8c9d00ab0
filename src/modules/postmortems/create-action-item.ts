import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { newId } from '../../lib/ids.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow, recordChange } from '../incidents/index.ts';
import { armActionItemReminder } from './reminders.ts';
import { findPostmortemOfIncident, resolveOwner, toActionItemViews, type ActionItemRow } from './repository.ts';
import { createActionItemInput, type ActionItemView } from './schemas.ts';

/**
 * Files an action item on an incident (and its postmortem, when it has one) (responder and up).
 * Without a due date it is due `postmortems.action_item_due` from now; once due passes, its owner
 * is reminded.
 */
export async function createActionItem(ctx: Ctx, input: z.input<typeof createActionItemInput>): Promise<ActionItemView> {
  requireRole(ctx, 'responder');
  const data = createActionItemInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const incident = await findIncidentRow(tx, data.incident);
    const owner = data.owner === undefined ? undefined : await resolveOwner(tx, data.owner);
    const postmortem = await findPostmortemOfIncident(tx, incident.id);
    const now = tx.clock.now();
    const row: ActionItemRow = {
      id: newId('act', now),
      incident_id: incident.id,
      postmortem_id: postmortem?.id ?? null,
      title: data.title,
      description: data.description,
      owner_id: owner?.id ?? null,
      due_at: data.due_at === undefined ? now + tx.config.current.postmortems.action_item_due : Date.parse(data.due_at),
      priority: data.priority,
      tracker_url: data.tracker_url ?? null,
      status: 'open',
      created_at: now,
      updated_at: now,
      closed_at: null,
      reminded_at: null,
      created_by: tx.actor.name,
    };
    await q(tx).insertInto('action_items').values(row).execute();
    await armActionItemReminder(tx, row);
    await recordChange(tx, incident, {
      kind: 'action_item_added',
      body: `Action item: ${data.title} (${data.priority}, owner ${owner?.handle ?? 'nobody yet'}, due ${isoTime(row.due_at!)})`,
      data: { action_item_id: row.id, title: data.title, owner: owner?.handle ?? null, priority: data.priority, due_at: isoTime(row.due_at!) },
    });
    return (await toActionItemViews(tx, [row]))[0];
  });
}
