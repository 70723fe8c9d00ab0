import type { Selectable } from 'kysely';
import type { EscalationLevelConfig } from '../../config/oncall-schema.ts';
import { DEFAULT_POLICY_ID } from '../../config/oncall-schema.ts';
import type { FirebreakConfig } from '../../config/schema.ts';
import { forUpdate } from '../../db/dialect.ts';
import type { EscalationsTable } from '../../db/schema.ts';
import { q } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';

export type EscalationRow = Selectable<EscalationsTable>;

/** The policy an escalation is bound to, copied when bound: later edits apply to new incidents. */
export interface BoundPolicy {
  id: string;
  name: string;
  levels: EscalationLevelConfig[];
  repeat: number;
}

/** What the engine needs besides a transaction: the link-signing key and this node's name. */
export interface EngineDeps {
  signingKey: Buffer;
  nodeId: string;
}

export const ESCALATE_TIMER = 'oncall.escalate';
export const STAKEHOLDER_TIMER = 'oncall.stakeholders';
export const REMINDER_TIMER = 'oncall.reminder';

/**
 * The policy for an incident: that of its first service (in the order they joined) that names
 * one, else the policy with id `default`, else none.
 */
export function bindPolicy(config: FirebreakConfig, services: string[]): BoundPolicy | null {
  for (const id of services) {
    const name = config.services.find((s) => s.id === id)?.escalation_policy;
    const policy = name && config.escalation_policies.find((p) => p.id === name);
    if (policy) return { id: policy.id, name: policy.name, levels: policy.levels, repeat: policy.repeat };
  }
  const fallback = config.escalation_policies.find((p) => p.id === DEFAULT_POLICY_ID);
  return fallback ? { id: fallback.id, name: fallback.name, levels: fallback.levels, repeat: fallback.repeat } : null;
}

export const policyOf = (row: EscalationRow): BoundPolicy | null => (row.policy ? (JSON.parse(row.policy) as BoundPolicy) : null);

/**
 * Locks an incident's pending escalation timer, then its escalation row, in that order everywhere
 * (the timer loop holds the timer row when it calls the engine), so two nodes never deadlock.
 */
export async function lockEscalation(ctx: Ctx, incidentId: string): Promise<EscalationRow | undefined> {
  await forUpdate(q(ctx).selectFrom('timers').select('subject_id').where('kind', '=', ESCALATE_TIMER).where('subject_id', '=', incidentId), ctx.db.dialect).execute();
  return forUpdate(q(ctx).selectFrom('escalations').selectAll().where('incident_id', '=', incidentId), ctx.db.dialect).executeTakeFirst();
}

/** Inserts the escalation row unless another node just did; returns whether this call made it. */
export async function insertEscalation(ctx: Ctx, row: EscalationRow): Promise<boolean> {
  const made = await q(ctx).insertInto('escalations').values(row).onConflict((oc) => oc.column('incident_id').doNothing()).returning('incident_id').execute();
  return made.length > 0;
}

export async function saveEscalation(ctx: Ctx, incidentId: string, patch: Partial<EscalationRow>): Promise<void> {
  await q(ctx).updateTable('escalations').set({ ...patch, updated_at: ctx.clock.now() }).where('incident_id', '=', incidentId).execute();
}

/**
 * The step after (level, round): the next level, or the first level of the next round while
 * repeats remain; null when the policy is done, or at once when the severity does not escalate.
 */
export function nextStep(policy: BoundPolicy, level: number, round: number, escalate: boolean): { level: number; round: number } | null {
  if (!escalate) return null;
  if (level < policy.levels.length) return { level: level + 1, round };
  if (round <= policy.repeat) return { level: 1, round: round + 1 };
  return null;
}
