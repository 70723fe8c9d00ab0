import { q } from '../../db/transaction.ts';
import { formatDuration } from '../../lib/duration.ts';
import { isoTime } from '../../lib/iso-time.ts';
import type { Ctx } from '../context.ts';
import { findIncidentRow, loadIncidentViewsById, recordChange } from '../incidents/index.ts';
import { buildMessage, enqueueNotifications, userRecipients } from '../notifications/index.ts';
import { cancelTimer, setTimer, type TimerHandler } from '../timers/index.ts';
import { usersById, type ActionItemRow, type PostmortemRow } from './repository.ts';
import { OPEN_ACTION_ITEM_STATUSES, type ActionItemStatus } from './schemas.ts';

/** A postmortem's reminder: `due_soon` (remind_before ahead of the deadline), then `overdue`. */
export const POSTMORTEM_REMINDER_TIMER = 'postmortems.remind';
/** An open action item past its due date: reminded when due passes, then once a day. */
export const ACTION_ITEM_REMINDER_TIMER = 'postmortems.action_item_overdue';
const DAY = 86_400_000;

/** Sets the postmortem's next reminder from its deadline (none once completed). */
export async function armPostmortemReminder(tx: Ctx, row: Pick<PostmortemRow, 'id' | 'due_at' | 'status'>): Promise<void> {
  if (row.status === 'completed') {
    await cancelTimer(tx, POSTMORTEM_REMINDER_TIMER, row.id);
    return;
  }
  const now = tx.clock.now();
  const due = Number(row.due_at);
  const soon = due - tx.config.current.postmortems.remind_before;
  if (now < due) await setTimer(tx, POSTMORTEM_REMINDER_TIMER, row.id, Math.max(now, soon), { phase: 'due_soon' });
  else await setTimer(tx, POSTMORTEM_REMINDER_TIMER, row.id, now, { phase: 'overdue' });
}

/** Sets an action item's overdue reminder at its due date, or cancels it once the item is closed. */
export async function armActionItemReminder(tx: Ctx, row: Pick<ActionItemRow, 'id' | 'due_at' | 'status'>): Promise<void> {
  if (row.due_at === null || !OPEN_ACTION_ITEM_STATUSES.includes(row.status as ActionItemStatus)) {
    await cancelTimer(tx, ACTION_ITEM_REMINDER_TIMER, row.id);
    return;
  }
  await setTimer(tx, ACTION_ITEM_REMINDER_TIMER, row.id, Math.max(tx.clock.now(), Number(row.due_at)));
}

/**
 * Queues a reminder about one of an incident's follow-ups to a person, through the notification
 * outbox, keyed so a timer fired twice queues it once. Returns the destinations newly queued.
 */
async function remind(tx: Ctx, incidentId: string, ownerId: string | null, purpose: string, body: string): Promise<string[]> {
  if (!ownerId) return [];
  const owner = (await usersById(tx, [ownerId])).get(ownerId);
  const [incident] = await loadIncidentViewsById(tx, [incidentId]);
  if (!owner || !incident) return [];
  const config = tx.config.current;
  const now = tx.clock.now();
  const recipients = userRecipients(config, owner.handle, 'low', 'owner');
  const keyOf = (destination: string) => `${incident.id}/${purpose}/${destination}`;
  return enqueueNotifications(
    tx,
    recipients.map((r) => ({
      key: keyOf(r.destination),
      incidentId: incident.id,
      destination: r.destination,
      provider: r.provider,
      user: r.user,
      notBefore: now + r.delayMs,
      message: buildMessage(config, now, { kind: 'reminder', key: keyOf(r.destination), incident, body, recipient: config.users.find((u) => u.handle === owner.handle)?.name ?? owner.name }),
    })),
  );
}

/** The timers' handlers, for the server's timer loop. Each re-reads the row, so a stale timer does nothing. */
export const postmortemTimerHandlers: Record<string, TimerHandler> = {
  [POSTMORTEM_REMINDER_TIMER]: async (tx, timer) => {
    const row = await q(tx).selectFrom('postmortems').selectAll().where('id', '=', timer.subject_id).executeTakeFirst();
    if (!row || row.status === 'completed') return;
    const now = tx.clock.now();
    const due = Number(row.due_at);
    const overdue = now >= due;
    const incident = await findIncidentRow(tx, row.incident_id);
    const ref = `INC-${incident.number}`;
    const body = overdue
      ? `The postmortem of ${ref} was due ${isoTime(due)} and is not completed yet.`
      : `The postmortem of ${ref} is due ${isoTime(due)} (in ${formatDuration(due - now)}).`;
    const sent = await remind(tx, row.incident_id, row.owner_id, `postmortem/${row.id}/${overdue ? 'overdue' : 'due_soon'}`, body);
    await q(tx).updateTable('postmortems').set({ reminded_at: now }).where('id', '=', row.id).execute();
    await recordChange(tx, incident, { kind: 'postmortem_reminder', body: `${body} Reminded: ${sent.length ? 'its owner' : 'nobody (no owner)'}`, data: { postmortem_id: row.id, overdue, recipients: sent.length } }, { touch: false });
    // One reminder ahead of the deadline and one once it has passed.
    if (!overdue) await setTimer(tx, POSTMORTEM_REMINDER_TIMER, row.id, due, { phase: 'overdue' });
  },
  [ACTION_ITEM_REMINDER_TIMER]: async (tx, timer) => {
    const row = await q(tx).selectFrom('action_items').selectAll().where('id', '=', timer.subject_id).executeTakeFirst();
    if (!row || row.due_at === null || !OPEN_ACTION_ITEM_STATUSES.includes(row.status as ActionItemStatus)) return;
    const now = tx.clock.now();
    const due = Number(row.due_at);
    // Moved later since the timer was set: the edit armed a timer of its own.
    if (due > now) return;
    // At most once a day, however the timer came to fire.
    if (row.reminded_at !== null && Number(row.reminded_at) > now - DAY && Number(row.reminded_at) >= due) {
      await setTimer(tx, ACTION_ITEM_REMINDER_TIMER, row.id, Number(row.reminded_at) + DAY);
      return;
    }
    const incident = await findIncidentRow(tx, row.incident_id);
    const body = `Action item "${row.title}" from INC-${incident.number} was due ${isoTime(due)} and is still ${row.status.replace('_', ' ')}.`;
    await remind(tx, row.incident_id, row.owner_id, `action-item/${row.id}/${due}/${Math.floor((now - due) / DAY)}`, body);
    await q(tx).updateTable('action_items').set({ reminded_at: now }).where('id', '=', row.id).execute();
    await setTimer(tx, ACTION_ITEM_REMINDER_TIMER, row.id, now + DAY);
  },
};
