import type { z } from 'zod';
import { withTransaction } from '../../db/transaction.ts';
import { newId } from '../../lib/ids.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow } from '../incidents/index.ts';
import { planOf, runVariables } from './definition.ts';
import { findRun, insertRun } from './repository.ts';
import { findRunbook } from './queries.ts';
import { startRunInput, type StartRunResult } from './schemas.ts';
import { toRunView } from './views.ts';

/**
 * Starts a runbook (responder and up): the run is queued with the exact definition and version it
 * will execute, and a runner picks it up. A dry run resolves the plan and returns it: nothing is
 * executed, sent or written to any incident (only the run's own record, mode dry_run).
 */
export async function startRun(ctx: Ctx, runbookId: string, input: unknown): Promise<StartRunResult> {
  requireRole(ctx, 'responder');
  const data = startRunInput.parse(input ?? {});
  const rb = findRunbook(ctx, runbookId);
  const vars = runVariables(rb.definition, data.variables);
  return withTransaction(ctx, async (tx) => {
    const incident = data.incident ? await findIncidentRow(tx, data.incident) : null;
    const ref = incident ? `INC-${incident.number}` : null;
    const plan = data.dry_run ? planOf(rb.definition, vars, ref ? { ref } : null) : null;
    const now = tx.clock.now();
    const id = newId('rbr', now);
    await insertRun(tx, {
      id,
      runbook_id: rb.definition.id,
      version: rb.version,
      definition: JSON.stringify(rb.definition),
      status: data.dry_run ? 'succeeded' : 'queued',
      mode: data.dry_run ? 'dry_run' : 'run',
      incident_id: incident?.id ?? null,
      variables: JSON.stringify(vars),
      started_by: tx.actor.name,
      started_by_user: tx.actor.userId,
      created_at: now,
      started_at: data.dry_run ? now : null,
      finished_at: data.dry_run ? now : null,
      updated_at: now,
      current_step: null,
      deadline_at: null,
      error: null,
      lease_owner: null,
    });
    await writeAudit(tx, { action: data.dry_run ? 'runbook.dry_run' : 'runbook.run_queued', entityType: 'runbook_run', entityId: id, data: { runbook: rb.definition.id, version: rb.version, incident: ref } });
    return { run: toRunView(await findRun(tx, id), ref, undefined), plan };
  });
}
