import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow, recordChange } from '../incidents/index.ts';
import { armActionItemReminder } from './reminders.ts';
import { findActionItemRow, resolveOwner, toActionItemViews, type ActionItemRow } from './repository.ts';
import { OPEN_ACTION_ITEM_STATUSES, updateActionItemInput, type ActionItemStatus, type ActionItemView } from './schemas.ts';

const CLOSED_LABEL: Record<string, string> = { done: 'done', wont_do: "won't do" };

/**
 * Edits an action item (responder and up). Done and won't-do close it (closed_at set, reminders
 * stop); moving it back to open or in progress reopens it. A new due date re-arms the reminder.
 */
export async function updateActionItem(ctx: Ctx, id: string, input: z.input<typeof updateActionItemInput>): Promise<ActionItemView> {
  requireRole(ctx, 'responder');
  const data = updateActionItemInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const row = await findActionItemRow(tx, id, { forUpdate: true });
    const now = tx.clock.now();
    const ownerId = data.owner === undefined ? row.owner_id : data.owner === null ? null : (await resolveOwner(tx, data.owner)).id;
    const status = data.status ?? row.status;
    const wasOpen = OPEN_ACTION_ITEM_STATUSES.includes(row.status as ActionItemStatus);
    const isOpen = OPEN_ACTION_ITEM_STATUSES.includes(status as ActionItemStatus);
    const dueAt = data.due_at === undefined ? row.due_at : Date.parse(data.due_at);
    const next: ActionItemRow = {
      ...row,
      title: data.title ?? row.title,
      description: data.description ?? row.description,
      owner_id: ownerId,
      due_at: dueAt,
      priority: data.priority ?? row.priority,
      tracker_url: data.tracker_url === undefined ? row.tracker_url : data.tracker_url,
      status,
      updated_at: now,
      closed_at: isOpen ? null : wasOpen ? now : row.closed_at,
      // A new due date starts the reminders afresh.
      reminded_at: dueAt !== row.due_at ? null : row.reminded_at,
    };
    await q(tx)
      .updateTable('action_items')
      .set({ title: next.title, description: next.description, owner_id: next.owner_id, due_at: next.due_at, priority: next.priority, tracker_url: next.tracker_url, status, updated_at: now, closed_at: next.closed_at, reminded_at: next.reminded_at })
      .where('id', '=', row.id)
      .execute();
    const fields = Object.keys(data).filter((k) => data[k as keyof typeof data] !== undefined);
    await writeAudit(tx, { action: 'action_item.updated', entityType: 'action_item', entityId: row.id, data: { fields, status } });
    if (wasOpen !== isOpen) {
      const incident = await findIncidentRow(tx, row.incident_id);
      await recordChange(tx, incident, {
        kind: isOpen ? 'action_item_reopened' : 'action_item_closed',
        body: isOpen ? `Action item reopened: ${next.title}` : `Action item ${CLOSED_LABEL[status]}: ${next.title}`,
        data: { action_item_id: row.id, title: next.title, status },
      });
    }
    if (wasOpen !== isOpen || dueAt !== row.due_at) await armActionItemReminder(tx, next);
    return (await toActionItemViews(tx, [next]))[0];
  });
}
