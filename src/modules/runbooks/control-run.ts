import { withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { recordChange } from '../incidents/index.ts';
import { closeOpenSteps, findRun, incidentRefOf, updateRun } from './repository.ts';
import { getRun } from './queries.ts';
import type { RunDetailView } from './schemas.ts';

/**
 * Resumes a failed or interrupted run from the step it stopped at: that step runs again (a new
 * attempt), then the rest. The steps before it are not repeated; their recorded outputs feed the rest.
 */
export async function resumeRun(ctx: Ctx, runId: string): Promise<RunDetailView> {
  requireRole(ctx, 'responder');
  await withTransaction(ctx, async (tx) => {
    const run = await findRun(tx, runId, { forUpdate: true });
    if (run.mode !== 'run' || (run.status !== 'failed' && run.status !== 'interrupted')) throw new DomainError('INVALID_TRANSITION', `only a failed or interrupted run can be resumed; run ${runId} is ${run.mode === 'run' ? run.status : `a ${run.mode}`}`, { status: run.status });
    const now = tx.clock.now();
    await updateRun(tx, runId, { status: 'queued', rerun_current: 1, error: null, finished_at: null, updated_at: now, lease_owner: null, lease_until: 0 });
    await writeAudit(tx, { action: 'runbook.resumed', entityType: 'runbook_run', entityId: runId, data: { step: run.current_step } });
    const incident = await incidentRefOf(tx, run.incident_id);
    if (incident) await recordChange(tx, incident, { kind: 'runbook_started', body: `Runbook ${run.runbook_id} resumed from step "${run.current_step ?? 'the first'}" by ${tx.actor.name}`, data: { run: runId, runbook: run.runbook_id, resumed_from: run.current_step } }, { touch: false });
  });
  return getRun(ctx, runId);
}

/**
 * Cancels a run that has not finished (or a failed or interrupted one, so it is not resumed). A
 * step in progress is stopped by its node within a third of the lease (a command's process group killed).
 */
export async function cancelRun(ctx: Ctx, runId: string): Promise<RunDetailView> {
  requireRole(ctx, 'responder');
  await withTransaction(ctx, async (tx) => {
    const run = await findRun(tx, runId, { forUpdate: true });
    if (run.status === 'succeeded' || run.status === 'cancelled') throw new DomainError('INVALID_TRANSITION', `run ${runId} is already ${run.status}`, { status: run.status });
    const now = tx.clock.now();
    await closeOpenSteps(tx, runId, 'cancelled', now, `cancelled by ${tx.actor.name}`);
    await updateRun(tx, runId, { status: 'cancelled', error: `cancelled by ${tx.actor.name}`, finished_at: now, updated_at: now, lease_owner: null, lease_until: 0, deadline_at: null });
    await writeAudit(tx, { action: 'runbook.cancelled', entityType: 'runbook_run', entityId: runId, data: { step: run.current_step } });
    const incident = await incidentRefOf(tx, run.incident_id);
    if (incident) await recordChange(tx, incident, { kind: 'runbook_finished', body: `Runbook ${run.runbook_id} cancelled by ${tx.actor.name}`, data: { run: runId, runbook: run.runbook_id, status: 'cancelled', step: run.current_step } }, { touch: false });
  });
  return getRun(ctx, runId);
}
