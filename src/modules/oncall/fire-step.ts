import type { Urgency } from '../../config/oncall-schema.ts';
import { q } from '../../db/transaction.ts';
import { formatDuration } from '../../lib/duration.ts';
import type { Ctx } from '../context.ts';
import { recordChange, type IncidentView } from '../incidents/index.ts';
import type { Recipient } from '../notifications/index.ts';
import { notifyRecipients } from './notify-recipients.ts';
import { setTimer } from '../timers/index.ts';
import { ESCALATE_TIMER, nextStep, policyOf, saveEscalation, type EngineDeps, type EscalationRow } from './escalation-state.ts';
import { resolveTargets } from './recipients.ts';
import type { EscalationTarget } from '../../config/oncall-schema.ts';

export interface StepRequest {
  level: number;
  round: number;
  /** When the step was due (its lateness is measured against this). */
  dueAt: number;
  /** The step's idempotency key within the incident; `L<level>R<round>` for automatic steps. */
  key: string;
  /** Who asked, for manual steps and reassignment ("escalated by alice"). */
  why?: string;
  /** Targets instead of the level's (reassignment). */
  targets?: EscalationTarget[];
  /** Schedule the following step (automatic escalation); manual steps leave the timer alone. */
  scheduleNext: boolean;
  /**
   * Nobody else can run this step (the escalation was created by this very transaction, or the key
   * is one event's): in a reaction batch its rows may wait for the batch's multi-row writes.
   */
  knownNew?: boolean;
}

export const stepKey = (level: number, round: number) => `L${level}R${round}`;

/**
 * Runs one escalation step exactly once: the (incident, step key) row is inserted first, and a
 * second attempt (another node, a replayed timer) finds it and does nothing. Pages every target of
 * the level through the notification outbox, writes the step on the timeline, and sets the timer
 * for the next step. Returns false when the step had already run.
 */
export async function fireStep(tx: Ctx, engine: EngineDeps, incident: IncidentView, esc: EscalationRow, step: StepRequest): Promise<boolean> {
  const config = tx.config.current;
  const policy = policyOf(esc);
  const severity = config.severities[incident.severity];
  const level = policy?.levels[step.level - 1];
  const targets = step.targets ?? level?.notify ?? [];
  const now = tx.clock.now();
  const urgency: Urgency = severity.urgency;
  const resolved = await resolveTargets(tx, targets, urgency, now);
  const { notes } = resolved;
  // A reassignment names its target; "named in the escalation policy" would be wrong.
  const recipients = step.targets ? resolved.recipients.map((r) => (r.reason.startsWith('on call') ? r : { ...r, reason: 'reassigned to them' })) : resolved.recipients;

  const stepRow = {
    incident_id: incident.id,
    step_key: step.key,
    level: step.level,
    round: step.round,
    due_at: step.dueAt,
    fired_at: now,
    node: engine.nodeId,
    recipients: JSON.stringify(recipients.map((r) => ({ destination: r.destination, user: r.user, reason: r.reason, delay_ms: r.delayMs }))),
  };
  const deferred = step.knownNew ? tx.deferred : undefined;
  if (deferred) deferred.steps.push(stepRow);
  else {
    const inserted = await q(tx).insertInto('escalation_steps').values(stepRow).onConflict((oc) => oc.columns(['incident_id', 'step_key']).doNothing()).returning('step_key').execute();
    if (!inserted.length) return false;
  }

  // The step row above is new, so its messages' keys are too.
  await notifyRecipients(tx, engine, incident, recipients, 'page', step.key, { links: true, escalation: { level: step.level, round: step.round }, keysAreNew: true });

  const late = Math.max(0, now - step.dueAt);
  let next: { level: number; round: number } | null = null;
  if (step.scheduleNext && policy) {
    next = nextStep(policy, step.level, step.round, severity.escalate);
    const timeout = level?.timeout ?? severity.ack_target;
    if (next) await setTimer(tx, ESCALATE_TIMER, incident.id, now + timeout, { level: next.level, round: next.round });
    const state = { level: step.level, round: step.round, next_step_at: next ? now + timeout : null, state: next ? 'active' : 'exhausted' };
    if (deferred) deferred.stepStates.set(incident.id, state);
    else await saveEscalation(tx, incident.id, state);
  }

  const who = describeRecipients(recipients);
  const lines = [
    `${step.why ?? `Escalation level ${step.level}${step.round > 1 ? `, round ${step.round}` : ''}`}: ${who || 'nobody to notify'}`,
    ...notes.map((n) => `(${n})`),
  ];
  if (step.scheduleNext) {
    if (next) lines.push(`next: level ${next.level}${next.round > 1 ? ` (round ${next.round})` : ''} in ${formatDuration(level?.timeout ?? severity.ack_target)} unless acknowledged`);
    else lines.push(severity.escalate ? 'this was the last step of the policy' : `${incident.severity} does not escalate beyond the first level`);
  }
  await recordChange(
    tx,
    incident,
    {
      kind: 'escalation',
      body: lines.join('; '),
      data: {
        level: step.level,
        round: step.round,
        step: step.key,
        policy: policy?.id ?? null,
        due_at: new Date(step.dueAt).toISOString(),
        late_ms: late,
        recipients: recipients.map((r) => ({ destination: r.destination, user: r.user, reason: r.reason, delay_ms: r.delayMs })),
        notes,
        next,
      },
    },
    { touch: false },
  );
  return true;
}

/** "alice (on call for Database primary) via email, ntfy; channel ops-slack". */
export function describeRecipients(recipients: Recipient[]): string {
  const people = new Map<string, { reason: string; via: string[] }>();
  const channels: string[] = [];
  for (const r of recipients) {
    if (r.user) {
      const p = people.get(r.user) ?? { reason: r.reason, via: [] };
      p.via.push(`${r.destination.split(':')[2]}${r.delayMs ? ` after ${formatDuration(r.delayMs)}` : ''}`);
      people.set(r.user, p);
    } else channels.push(r.destination.slice('channel:'.length));
  }
  const parts = [...people].map(([user, p]) => `${user} (${p.reason}) via ${p.via.join(', ')}`);
  if (channels.length) parts.push(`channel${channels.length > 1 ? 's' : ''} ${channels.join(', ')}`);
  return parts.join('; ');
}
