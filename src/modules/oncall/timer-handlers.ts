import { isOpen, loadIncidentViewsById } from '../incidents/index.ts';
import type { TimerHandler } from '../timers/index.ts';
import { ESCALATE_TIMER, lockEscalation, policyOf, REMINDER_TIMER, saveEscalation, STAKEHOLDER_TIMER, type EngineDeps } from './escalation-state.ts';
import { fireStep, stepKey } from './fire-step.ts';
import { notifyGroup, remindCommander } from './stakeholders.ts';

/**
 * The on-call engine's durable timers: the next escalation step, a stakeholder group's "within",
 * the update reminder. Each runs in the transaction that deletes its timer row, so it fires once;
 * each re-reads the incident and does nothing when the incident has moved on.
 */
export function oncallTimerHandlers(engine: EngineDeps): Record<string, TimerHandler> {
  return {
    [ESCALATE_TIMER]: async (tx, timer) => {
      const esc = await lockEscalation(tx, timer.subject_id);
      const [incident] = await loadIncidentViewsById(tx, [timer.subject_id]);
      if (!incident || !esc || esc.state !== 'active' || incident.state !== 'triggered') return;
      const policy = policyOf(esc);
      if (!policy) return;
      let level = Number(timer.data.level);
      let round = Number(timer.data.round);
      // A re-bound policy may have fewer levels than the step the timer was set for.
      if (level > policy.levels.length) {
        if (round > policy.repeat) {
          await saveEscalation(tx, incident.id, { state: 'exhausted', next_step_at: null });
          return;
        }
        level = 1;
        round += 1;
      }
      await fireStep(tx, engine, incident, esc, { level, round, dueAt: timer.due_at, key: stepKey(level, round), scheduleNext: true });
    },
    [STAKEHOLDER_TIMER]: async (tx, timer) => {
      const incidentId = timer.subject_id.slice(0, timer.subject_id.lastIndexOf('/'));
      const group = String(timer.data.group);
      const [incident] = await loadIncidentViewsById(tx, [incidentId]);
      if (!incident || !isOpen(incident.state)) return;
      // Only if the incident's severity (now) still asks for this group.
      if (!tx.config.current.severities[incident.severity].notify.some((n) => n.group === group)) return;
      await notifyGroup(tx, engine, incident, group);
    },
    [REMINDER_TIMER]: async (tx, timer) => {
      const [incident] = await loadIncidentViewsById(tx, [timer.subject_id]);
      if (!incident || !isOpen(incident.state)) return;
      await remindCommander(tx, engine, incident, timer.due_at);
    },
  };
}
