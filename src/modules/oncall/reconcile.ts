import { isOpen, loadIncidentViewsById, recordChange, type IncidentView } from '../incidents/index.ts';
import { cancelPendingNotifications } from '../notifications/index.ts';
import { cancelTimer } from '../timers/index.ts';
import type { Ctx } from '../context.ts';
import { bindPolicy, ESCALATE_TIMER, insertEscalation, lockEscalation, REMINDER_TIMER, saveEscalation, type EngineDeps, type EscalationRow } from './escalation-state.ts';
import { fireStep, stepKey } from './fire-step.ts';
import { armReminder, cancelStakeholderTimers, followUpChannels, passOnUpdate, scheduleStakeholders } from './stakeholders.ts';

/** A domain event as the reaction consumer hands it over. */
export interface IncidentEvent {
  id: number;
  topic: string;
  at: number;
  payload: { actor?: { name?: string }; body?: string } & Record<string, unknown>;
}

/**
 * Brings an incident's escalation in line with the incident, whatever order its events arrive in
 * (two nodes may take an incident's events in separate batches): it reads the incident as it is
 * now and acts on the difference. New and untouched: bind the policy, page level 1, start the
 * stakeholder and reminder duties. Acknowledged: stop escalating and cancel pages not yet
 * delivered. Resolved: cancel everything pending and tell the paged channels. Severity changed:
 * the new severity's stakeholder duties. Re-notify and stakeholder updates act on their events.
 */
export async function reconcileIncident(tx: Ctx, engine: EngineDeps, incidentId: string, events: IncidentEvent[], preloaded?: IncidentView): Promise<void> {
  // A new incident has no escalation to lock yet: its first reaction inserts one (below), which
  // a concurrent reaction to the same incident then waits on. Everything else locks first.
  const isNew = events.some((e) => e.topic === 'incident.created');
  let esc = isNew ? undefined : await lockEscalation(tx, incidentId);
  const incident = preloaded ?? (await loadIncidentViewsById(tx, [incidentId]))[0];
  if (!incident) return;
  const now = tx.clock.now();
  const open = isOpen(incident.state);

  if (!esc) {
    const policy = bindPolicy(tx.config.current, incident.services);
    const row: EscalationRow = {
      incident_id: incident.id,
      policy_id: policy?.id ?? null,
      policy: policy ? JSON.stringify(policy) : null,
      severity: incident.severity,
      state: !open ? 'resolved' : !policy ? 'none' : incident.state === 'triggered' ? 'active' : 'acknowledged',
      level: 0,
      round: 0,
      next_step_at: null,
      last_update_at: null,
      started_at: now,
      updated_at: now,
    };
    if (!(await insertEscalation(tx, row))) {
      esc = await lockEscalation(tx, incidentId);
    } else {
      if (!open) return;
      if (!policy) {
        await recordChange(
          tx,
          incident,
          { kind: 'escalation', body: `No escalation policy applies to ${incident.services.join(', ') || 'this incident'}: nobody is paged (set services[].escalation_policy, or declare a policy with id "default")`, data: { policy: null } },
          { touch: false },
        );
      }
      await scheduleStakeholders(tx, engine, incident, Date.parse(incident.triggered_at));
      await armReminder(tx, incident, Date.parse(incident.triggered_at));
      if (row.state === 'active') await fireStep(tx, engine, incident, row, { level: 1, round: 1, dueAt: Date.parse(incident.triggered_at), key: stepKey(1, 1), scheduleNext: true, knownNew: true });
      await afterEvents(tx, engine, incident, { ...row }, events);
      return;
    }
  }
  if (!esc) return;

  if (!open) {
    if (esc.state !== 'resolved') await stopOnResolve(tx, engine, incident);
    return;
  }
  if (esc.state === 'resolved') {
    // Reopened: someone is on it again; the update duty resumes.
    await saveEscalation(tx, incident.id, { state: 'acknowledged' });
    await armReminder(tx, incident, now);
    esc = { ...esc, state: 'acknowledged' };
  }
  if (incident.state !== 'triggered' && (esc.state === 'active' || esc.state === 'exhausted')) {
    // Whoever moved it out of `triggered` (acknowledge, or straight to investigating, …).
    const STATE_TOPICS = ['incident.acknowledged', 'incident.investigating', 'incident.identified', 'incident.monitoring'];
    const ack = events.find((e) => STATE_TOPICS.includes(e.topic));
    await stopOnAcknowledge(tx, engine, incident, ack?.payload.actor?.name ?? 'a responder');
    esc = { ...esc, state: 'acknowledged' };
  }
  if (incident.severity !== esc.severity) {
    await saveEscalation(tx, incident.id, { severity: incident.severity });
    // Counted from the start: a P2 raised to P1 after 30 minutes owes the director a notice now.
    await scheduleStakeholders(tx, engine, incident, Date.parse(incident.triggered_at));
    await armReminder(tx, incident, esc.last_update_at ?? Date.parse(incident.triggered_at));
  }
  await afterEvents(tx, engine, incident, esc, events);
}

/** Acts on the events that ask for something themselves: re-notify, stakeholder updates. */
async function afterEvents(tx: Ctx, engine: EngineDeps, incident: IncidentView, esc: EscalationRow, events: IncidentEvent[]): Promise<void> {
  for (const e of events) {
    if (e.topic === 'incident.renotify' && esc.policy) {
      await fireStep(tx, engine, incident, esc, { level: Math.max(1, esc.level), round: Math.max(1, esc.round), dueAt: e.at, key: `renotify-${e.id}`, why: 'Re-notification (a new alert on an incident already being handled)', scheduleNext: false, knownNew: true });
    } else if (e.topic === 'incident.stakeholder_update') {
      await passOnUpdate(tx, engine, incident, e.id, typeof e.payload.body === 'string' ? e.payload.body : '');
      await saveEscalation(tx, incident.id, { last_update_at: e.at });
      await armReminder(tx, incident, e.at);
    }
  }
}

async function stopOnAcknowledge(tx: Ctx, engine: EngineDeps, incident: IncidentView, by: string): Promise<void> {
  await cancelTimer(tx, ESCALATE_TIMER, incident.id);
  const cancelled = await cancelPendingNotifications(tx, incident.id, ['page']);
  await saveEscalation(tx, incident.id, { state: 'acknowledged', next_step_at: null });
  await followUpChannels(tx, engine, incident, 'acknowledged', `Acknowledged by ${by}`);
  await recordChange(
    tx,
    incident,
    { kind: 'escalation_stopped', body: `Escalation stopped: acknowledged by ${by}${cancelled ? `; ${cancelled} page${cancelled > 1 ? 's' : ''} not yet delivered cancelled` : ''}`, data: { reason: 'acknowledged', by, cancelled } },
    { touch: false },
  );
}

async function stopOnResolve(tx: Ctx, engine: EngineDeps, incident: IncidentView): Promise<void> {
  await cancelTimer(tx, ESCALATE_TIMER, incident.id);
  await cancelTimer(tx, REMINDER_TIMER, incident.id);
  await cancelStakeholderTimers(tx, incident.id);
  const cancelled = await cancelPendingNotifications(tx, incident.id, ['page', 'stakeholder', 'update', 'reminder']);
  await saveEscalation(tx, incident.id, { state: 'resolved', next_step_at: null });
  await followUpChannels(tx, engine, incident, 'resolved', `${incident.ref} is ${incident.state}`);
  await recordChange(
    tx,
    incident,
    { kind: 'escalation_stopped', body: `Escalation and reminders stopped: ${incident.state}${cancelled ? `; ${cancelled} queued message${cancelled > 1 ? 's' : ''} cancelled` : ''}`, data: { reason: incident.state, cancelled } },
    { touch: false },
  );
}
