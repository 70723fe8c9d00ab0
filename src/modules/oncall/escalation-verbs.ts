import { z } from 'zod';
import { handle } from '../../config/oncall-schema.ts';
import { slug } from '../../config/primitives.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow, isOpen, loadIncidentViewsById, recordChange } from '../incidents/index.ts';
import { cancelTimer } from '../timers/index.ts';
import { bindPolicy, ESCALATE_TIMER, lockEscalation, policyOf, saveEscalation, type EngineDeps, type EscalationRow } from './escalation-state.ts';
import { fireStep } from './fire-step.ts';

export const escalateInput = z.strictObject({ note: z.string().trim().max(1000).optional() });
export const reassignInput = z
  .strictObject({ user: handle.optional(), schedule: slug.optional(), note: z.string().trim().max(1000).optional() })
  .refine((v) => (v.user ? 1 : 0) + (v.schedule ? 1 : 0) === 1, 'give exactly one of user or schedule');

/** Loads and locks what a manual escalation verb needs; refuses incidents that are not open. */
async function openEscalation(tx: Ctx, ref: string) {
  const row = await findIncidentRow(tx, ref);
  const esc = await lockEscalation(tx, row.id);
  const [incident] = await loadIncidentViewsById(tx, [row.id]);
  if (!isOpen(incident.state)) throw new DomainError('INVALID_TRANSITION', `${incident.ref} is ${incident.state}: nothing to escalate`, { state: incident.state });
  if (!esc) throw new DomainError('CONFLICT', `${incident.ref} has no escalation yet; try again in a moment`);
  return { incident, esc };
}

/** How many manual steps an incident has had: the next one's key. */
async function manualCount(tx: Ctx, incidentId: string, prefix: string): Promise<number> {
  const rows = await q(tx).selectFrom('escalation_steps').select('step_key').where('incident_id', '=', incidentId).where('step_key', 'like', `${prefix}-%`).execute();
  return rows.length;
}

/**
 * A responder escalates by hand: the next level of the bound policy is paged now (the last level
 * again when there is none), whether or not the incident is acknowledged. Automatic escalation is
 * left as it was.
 */
export async function escalateNow(ctx: Ctx, engine: EngineDeps, ref: string, input: z.input<typeof escalateInput> = {}): Promise<{ level: number; step: string }> {
  requireRole(ctx, 'responder');
  const data = escalateInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const { incident, esc } = await openEscalation(tx, ref);
    const policy = policyOf(esc);
    if (!policy) throw new DomainError('CONFLICT', `${incident.ref} has no escalation policy to escalate along (reassign to a user or schedule instead)`);
    const level = Math.min(Math.max(esc.level, 0) + 1, policy.levels.length);
    const key = `manual-${(await manualCount(tx, incident.id, 'manual')) + 1}`;
    const why = `Escalated by hand to level ${level} by ${tx.actor.name}${data.note ? ` (${data.note})` : ''}`;
    await fireStep(tx, engine, incident, esc, { level, round: Math.max(1, esc.round), dueAt: tx.clock.now(), key, why, scheduleNext: false });
    await saveEscalation(tx, incident.id, { level });
    await writeAudit(tx, { action: 'incident.escalated', entityType: 'incident', entityId: incident.id, data: { ref: incident.ref, level, note: data.note ?? null } });
    return { level, step: key };
  });
}

/**
 * Reassigns the incident to a user or a schedule: they are paged now, and the policy's automatic
 * escalation stops (the new assignee owns it; escalate by hand if they do not answer).
 */
export async function reassignIncident(ctx: Ctx, engine: EngineDeps, ref: string, input: z.input<typeof reassignInput>): Promise<{ step: string }> {
  requireRole(ctx, 'responder');
  const data = reassignInput.parse(input);
  const config = ctx.config.current;
  if (data.schedule && !config.schedules.some((s) => s.id === data.schedule)) throw new DomainError('NOT_FOUND', `no schedule "${data.schedule}"`, { schedule: data.schedule });
  return withTransaction(ctx, async (tx) => {
    if (data.user) {
      const user = await q(tx).selectFrom('users').select(['handle', 'disabled_at']).where('handle', '=', data.user).executeTakeFirst();
      if (!user || user.disabled_at !== null) throw new DomainError('NOT_FOUND', `no active user "${data.user}"`, { user: data.user });
    }
    const { incident, esc } = await openEscalation(tx, ref);
    const target = data.user ? { user: data.user } : { schedule: data.schedule! };
    const key = `reassign-${(await manualCount(tx, incident.id, 'reassign')) + 1}`;
    const who = data.user ?? `schedule ${data.schedule}`;
    await cancelTimer(tx, ESCALATE_TIMER, incident.id);
    await fireStep(tx, engine, incident, esc, { level: Math.max(1, esc.level), round: Math.max(1, esc.round), dueAt: tx.clock.now(), key, why: `Reassigned to ${who} by ${tx.actor.name}${data.note ? ` (${data.note})` : ''}`, targets: [target], scheduleNext: false });
    await saveEscalation(tx, incident.id, { state: 'reassigned', next_step_at: null });
    await writeAudit(tx, { action: 'incident.reassigned', entityType: 'incident', entityId: incident.id, data: { ref: incident.ref, to: who } });
    return { step: key };
  });
}

/**
 * Re-binds an open incident to the policy its services have now (policy edits otherwise apply only
 * to new incidents). A pending automatic step then runs along the new policy.
 */
export async function rebindEscalation(ctx: Ctx, ref: string): Promise<{ policy: string | null; previous: string | null }> {
  requireRole(ctx, 'responder');
  return withTransaction(ctx, async (tx) => {
    const { incident, esc } = await openEscalation(tx, ref);
    const policy = bindPolicy(tx.config.current, incident.services);
    const patch: Partial<EscalationRow> = { policy_id: policy?.id ?? null, policy: policy ? JSON.stringify(policy) : null };
    if (!policy && esc.state === 'active') {
      await cancelTimer(tx, ESCALATE_TIMER, incident.id);
      patch.state = 'none';
    }
    await saveEscalation(tx, incident.id, patch);
    await recordChange(
      tx,
      incident,
      { kind: 'escalation_rebound', body: policy ? `Escalation re-bound to the current policy "${policy.name}" (${policy.levels.length} level${policy.levels.length > 1 ? 's' : ''}, repeat ${policy.repeat})` : 'Escalation re-bound: no policy applies now', data: { policy: policy?.id ?? null, previous: esc.policy_id } },
    );
    return { policy: policy?.id ?? null, previous: esc.policy_id };
  });
}
