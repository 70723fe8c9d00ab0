import { q } from '../../db/transaction.ts';
import { formatDuration } from '../../lib/duration.ts';
import type { Ctx } from '../context.ts';
import { recordChange, type IncidentView } from '../incidents/index.ts';
import { userRecipients, type Recipient } from '../notifications/index.ts';
import { notifyRecipients as send } from './notify-recipients.ts';
import { cancelTimer, setTimer } from '../timers/index.ts';
import { REMINDER_TIMER, STAKEHOLDER_TIMER, type EngineDeps } from './escalation-state.ts';
import { describeRecipients } from './fire-step.ts';
import { groupRecipients } from './recipients.ts';

/**
 * The plan's communication duties around an incident: stakeholder groups told per severity
 * ("executives at once for P0/P1", "director within 30 minutes for P1"), posted updates passed on
 * to the groups that were told, and the commander reminded when no update went out for the
 * severity's cadence.
 */

const groupTimerSubject = (incidentId: string, group: string) => `${incidentId}/${group}`;

/** Tells each of the severity's groups now, or sets a timer for when its `within` comes. Already-told groups are skipped by key. */
export async function scheduleStakeholders(tx: Ctx, engine: EngineDeps, incident: IncidentView, since: number): Promise<void> {
  const config = tx.config.current;
  const now = tx.clock.now();
  for (const duty of config.severities[incident.severity].notify) {
    if (!config.stakeholder_groups.some((g) => g.id === duty.group)) continue;
    const due = since + duty.within;
    if (due <= now) await notifyGroup(tx, engine, incident, duty.group);
    else await setTimer(tx, STAKEHOLDER_TIMER, groupTimerSubject(incident.id, duty.group), due, { group: duty.group });
  }
}

/** Cancels every group timer of an incident (on resolve). */
export async function cancelStakeholderTimers(tx: Ctx, incidentId: string): Promise<void> {
  for (const g of tx.config.current.stakeholder_groups) await cancelTimer(tx, STAKEHOLDER_TIMER, groupTimerSubject(incidentId, g.id));
}

/** Tells one stakeholder group about the incident, once per incident and group. */
export async function notifyGroup(tx: Ctx, engine: EngineDeps, incident: IncidentView, groupId: string): Promise<void> {
  const config = tx.config.current;
  const group = config.stakeholder_groups.find((g) => g.id === groupId);
  if (!group) return;
  const recipients = groupRecipients(tx, groupId, config.severities[incident.severity].urgency);
  const fresh = await send(tx, engine, incident, recipients, 'stakeholder', `stakeholder/${groupId}`, { links: false });
  if (!fresh.length) return;
  await q(tx).updateTable('incidents').set({ stakeholders_notified_at: tx.clock.now() }).where('id', '=', incident.id).where('stakeholders_notified_at', 'is', null).execute();
  await recordChange(
    tx,
    incident,
    { kind: 'stakeholders_notified', body: `${group.name} told (${incident.severity}): ${describeRecipients(fresh) || 'nobody in the group'}`, data: { group: groupId, recipients: fresh.map((r) => r.destination) } },
    { touch: false },
  );
}

/** Passes a posted stakeholder update on to every group already told about the incident. */
export async function passOnUpdate(tx: Ctx, engine: EngineDeps, incident: IncidentView, eventId: number, body: string): Promise<void> {
  const told = await q(tx).selectFrom('notifications').select('key').where('incident_id', '=', incident.id).where('kind', '=', 'stakeholder').execute();
  const groups = new Set(told.map((t) => /\/stakeholder\/([^/]+)\//.exec(t.key)?.[1]).filter((g): g is string => !!g));
  const urgency = 'low' as const;
  const recipients = [...groups].flatMap((g) => groupRecipients(tx, g, urgency));
  const fresh = await send(tx, engine, incident, recipients, 'update', `update/${eventId}`, { links: false, body });
  if (fresh.length) {
    await recordChange(tx, incident, { kind: 'update_sent', body: `Update passed on to ${describeRecipients(fresh)}`, data: { recipients: fresh.map((r) => r.destination) } }, { touch: false });
  }
}

/** Re-arms the update reminder: the severity's cadence after the last update (or the start). */
export async function armReminder(tx: Ctx, incident: IncidentView, lastUpdateAt: number): Promise<void> {
  const cadence = tx.config.current.severities[incident.severity].update_cadence;
  await setTimer(tx, REMINDER_TIMER, incident.id, Math.max(tx.clock.now(), lastUpdateAt + cadence));
}

/**
 * The reminder came due with no update posted: remind the commander (else whoever the last step
 * paged) and re-arm for another cadence.
 */
export async function remindCommander(tx: Ctx, engine: EngineDeps, incident: IncidentView, dueAt: number): Promise<void> {
  const config = tx.config.current;
  const cadence = config.severities[incident.severity].update_cadence;
  let people = incident.roles.commander ? [incident.roles.commander] : [];
  if (!people.length) {
    const last = await q(tx).selectFrom('escalation_steps').select('recipients').where('incident_id', '=', incident.id).orderBy('fired_at', 'desc').limit(1).executeTakeFirst();
    const list = last ? (JSON.parse(last.recipients) as { user: string | null }[]) : [];
    people = [...new Set(list.map((r) => r.user).filter((u): u is string => !!u))];
  }
  const recipients = people.flatMap((h) => userRecipients(config, h, 'low', 'incident commander'));
  const body = `No stakeholder update has been posted on ${incident.ref} for ${formatDuration(cadence)} (the ${incident.severity} cadence). Post one now.`;
  const fresh = await send(tx, engine, incident, recipients, 'reminder', `reminder/${dueAt}`, { links: false, body });
  await recordChange(
    tx,
    incident,
    { kind: 'update_reminder', body: `${body} Reminded: ${describeRecipients(fresh) || 'nobody (no commander, nobody paged)'}`, data: { recipients: fresh.map((r) => r.destination), cadence_ms: cadence } },
    { touch: false },
  );
  await setTimer(tx, REMINDER_TIMER, incident.id, tx.clock.now() + cadence);
}

/** Follow-ups to the channels that received a page ("acknowledged by", "resolved"; PagerDuty needs them to close its side). */
export async function followUpChannels(tx: Ctx, engine: EngineDeps, incident: IncidentView, kind: 'acknowledged' | 'resolved', body: string): Promise<void> {
  const paged = await q(tx)
    .selectFrom('notifications')
    .select(['destination', 'provider'])
    .distinct()
    .where('incident_id', '=', incident.id)
    .where('kind', '=', 'page')
    .where('status', '=', 'sent')
    .where('user_handle', 'is', null)
    .execute();
  const recipients: Recipient[] = paged.map((p) => ({ destination: p.destination, provider: p.provider as Recipient['provider'], user: null, delayMs: 0, reason: 'paged earlier' }));
  await send(tx, engine, incident, recipients, kind, kind, { links: false, body });
}
