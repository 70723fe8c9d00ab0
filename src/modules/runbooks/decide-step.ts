import { hasRole, isHuman, requireRole, type Ctx } from '../context.ts';
import { withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { writeAudit } from '../audit/index.ts';
import { recordChange } from '../incidents/index.ts';
import type { RunbookDefinition } from '../../config/runbook-schema.ts';
import { findRun, incidentRefOf, stepRunsOf, updateRun, updateStepRun, userHandle } from './repository.ts';
import { decisionInput, type RunDetailView } from './schemas.ts';
import { getRun } from './queries.ts';

/**
 * Approves or rejects the step a run waits on. The approver is a person other than whoever
 * started the run, and one the step allows (its users, or its least role; any responder when it
 * names neither). The run is queued again: a runner goes on (approved) or applies the step's
 * on_failure (rejected).
 */
export async function decideStep(ctx: Ctx, runId: string, decision: 'approve' | 'reject', input: unknown): Promise<RunDetailView> {
  requireRole(ctx, 'responder');
  const data = decisionInput.parse(input);
  if (!isHuman(ctx.actor) || ctx.actor.userId === null) throw new DomainError('FORBIDDEN', 'only a person can approve or reject a runbook step');
  await withTransaction(ctx, async (tx) => {
    const run = await findRun(tx, runId, { forUpdate: true });
    if (run.status !== 'waiting_approval') throw new DomainError('INVALID_TRANSITION', `run ${runId} is ${run.status}, not waiting for an approval`, { status: run.status });
    if (run.current_step !== data.step) throw new DomainError('CONFLICT', `run ${runId} waits on step "${run.current_step}", not "${data.step}"`, { waiting_on: run.current_step });
    if (run.started_by_user !== null && run.started_by_user === tx.actor.userId) throw new DomainError('FORBIDDEN', 'the approver must be someone other than who started the run', { started_by: run.started_by });
    const def = JSON.parse(run.definition) as RunbookDefinition;
    const step = def.steps.find((s) => s.id === data.step);
    const handle = (await userHandle(tx, tx.actor.userId!)) ?? tx.actor.name;
    if (step?.type === 'approval' && step.approvers && (step.approvers.users || step.approvers.role)) {
      const byName = step.approvers.users?.includes(handle) ?? false;
      const byRole = step.approvers.role !== undefined && hasRole(tx.actor, step.approvers.role);
      if (!byName && !byRole) {
        const who = [...(step.approvers.users ?? []), ...(step.approvers.role ? [`any ${step.approvers.role}`] : [])].join(', ');
        throw new DomainError('FORBIDDEN', `step "${data.step}" may be approved by ${who}`, { approvers: step.approvers });
      }
    }
    const waiting = (await stepRunsOf(tx, runId)).filter((s) => s.status === 'waiting' && s.step_path === data.step);
    const now = tx.clock.now();
    for (const s of waiting) {
      await updateStepRun(tx, s.id, {
        status: decision === 'approve' ? 'succeeded' : 'rejected',
        approved_by: handle,
        comment: data.comment ?? null,
        finished_at: now,
        outputs: JSON.stringify({ decision, by: handle, comment: data.comment ?? null }),
        error: decision === 'reject' ? `rejected by ${handle}${data.comment ? `: ${data.comment}` : ''}` : null,
      });
    }
    await updateRun(tx, runId, { status: 'queued', deadline_at: null, rerun_current: 0, updated_at: now });
    const verb = decision === 'approve' ? 'approved' : 'rejected';
    await writeAudit(tx, { action: `runbook.step_${verb}`, entityType: 'runbook_run', entityId: runId, data: { step: data.step, by: handle } });
    const incident = await incidentRefOf(tx, run.incident_id);
    if (incident) await recordChange(tx, incident, { kind: 'runbook_approval', body: `${handle} ${verb} "${data.step}" of runbook ${run.runbook_id}${data.comment ? `: ${data.comment}` : ''}`, data: { run: runId, runbook: run.runbook_id, step: data.step, state: verb, by: handle, comment: data.comment ?? null } }, { touch: false });
  });
  return getRun(ctx, runId);
}
