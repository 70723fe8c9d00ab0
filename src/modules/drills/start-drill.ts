import { withTransaction } from '../../db/transaction.ts';
import { newId } from '../../lib/ids.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { serviceObjectives } from '../recovery/index.ts';
import { findRunbook, insertRun, runVariables } from '../runbooks/index.ts';
import { assertSafeTarget, drillRunDefinition, findDrill } from './definition.ts';
import { findDrillRun, insertDrillRun } from './repository.ts';
import { toDrillRunView, type DrillRunView } from './views.ts';

/**
 * Starts a drill (responder and up, or its schedule): a runbook run in mode `drill` is queued with
 * the drill's marker steps and cleanup around the runbook's steps, so approvals, leases,
 * interruption and resume apply as to any run; the drill run records the objectives of the
 * service as they are now. The runner executes it; the drills pass measures it once it ends.
 */
export async function startDrill(ctx: Ctx, drillId: string, opts: { trigger?: 'on_demand' | 'scheduled' } = {}): Promise<DrillRunView> {
  requireRole(ctx, 'responder');
  const config = ctx.config.current;
  const drill = findDrill(config, drillId);
  const rb = findRunbook(ctx, drill.runbook);
  const vars = runVariables(rb.definition, drill.variables);
  assertSafeTarget(config, drill, vars);
  const objectives = serviceObjectives(config, drill.service);
  return withTransaction(ctx, async (tx) => {
    const now = tx.clock.now();
    const runId = newId('rbr', now);
    const id = newId('drl', now);
    await insertRun(tx, {
      id: runId,
      runbook_id: rb.definition.id,
      version: rb.version,
      definition: JSON.stringify(drillRunDefinition(drill, rb.definition, now)),
      status: 'queued',
      mode: 'drill',
      incident_id: null,
      variables: JSON.stringify(vars),
      started_by: `drill ${drill.id} (${tx.actor.name})`,
      started_by_user: tx.actor.userId,
      created_at: now,
      started_at: null,
      finished_at: null,
      updated_at: now,
      current_step: null,
      deadline_at: null,
      error: null,
      lease_owner: null,
    });
    await insertDrillRun(tx, {
      id,
      drill_id: drill.id,
      run_id: runId,
      service_id: drill.service,
      status: 'running',
      trigger: opts.trigger ?? 'on_demand',
      started_at: now,
      finished_at: null,
      rto_ms: null,
      rpo_ms: null,
      rto_objective_ms: objectives.rto_ms,
      rpo_objective_ms: objectives.rpo_ms,
      passed: null,
      report: null,
      action_items: '[]',
      started_by: tx.actor.name,
    });
    await writeAudit(tx, { action: 'drill.started', entityType: 'drill_run', entityId: id, data: { drill: drill.id, run: runId, runbook: rb.definition.id, version: rb.version, target: drill.target } });
    return toDrillRunView(await findDrillRun(tx, id));
  });
}
