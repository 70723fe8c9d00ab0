import type { Insertable, Selectable, Updateable } from 'kysely';
import { forUpdate } from '../../db/dialect.ts';
import type { RunbookRunsTable, RunbookStepRunsTable } from '../../db/schema.ts';
import { q } from '../../db/transaction.ts';
import { notFound } from '../../lib/errors.ts';
import { incidentExercise } from '../incidents/index.ts';
import type { Ctx } from '../context.ts';

export type RunRow = Selectable<RunbookRunsTable>;
export type StepRunRow = Selectable<RunbookStepRunsTable>;
type Db = Pick<Ctx, 'db' | 'trx'>;

export async function insertRun(ctx: Db, row: Insertable<RunbookRunsTable>): Promise<void> {
  await q(ctx).insertInto('runbook_runs').values(row).execute();
}

export async function findRun(ctx: Db, id: string, opts: { forUpdate?: boolean } = {}): Promise<RunRow> {
  const select = q(ctx).selectFrom('runbook_runs').selectAll().where('id', '=', id);
  const row = await (opts.forUpdate ? forUpdate(select, ctx.db.dialect) : select).executeTakeFirst();
  if (!row) throw notFound('runbook run', id);
  return row;
}

export async function listRunRows(ctx: Db, filter: { status?: string; incidentId?: string; runbookId?: string; limit: number }): Promise<RunRow[]> {
  let query = q(ctx).selectFrom('runbook_runs').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.incidentId) query = query.where('incident_id', '=', filter.incidentId);
  if (filter.runbookId) query = query.where('runbook_id', '=', filter.runbookId);
  return query.execute();
}

export async function stepRunsOf(ctx: Db, runId: string): Promise<StepRunRow[]> {
  return q(ctx).selectFrom('runbook_step_runs').selectAll().where('run_id', '=', runId).orderBy('started_at').orderBy('id').execute();
}

/** Changes a run; with `owner`, only while that node still holds it running (a fenced write). */
export async function updateRun(ctx: Db, id: string, patch: Updateable<RunbookRunsTable>, owner?: string): Promise<boolean> {
  let query = q(ctx).updateTable('runbook_runs').set(patch).where('id', '=', id);
  if (owner !== undefined) query = query.where('lease_owner', '=', owner).where('status', '=', 'running');
  const res = await query.executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function insertStepRun(ctx: Db, row: Insertable<RunbookStepRunsTable>): Promise<void> {
  await q(ctx).insertInto('runbook_step_runs').values(row).execute();
}

export async function updateStepRun(ctx: Db, id: string, patch: Updateable<RunbookStepRunsTable>): Promise<void> {
  await q(ctx).updateTable('runbook_step_runs').set(patch).where('id', '=', id).execute();
}

/** Marks every attempt still `running` (or `waiting`) of a run with a final status. */
export async function closeOpenSteps(ctx: Db, runId: string, status: string, at: number, error: string): Promise<void> {
  await q(ctx).updateTable('runbook_step_runs').set({ status, finished_at: at, error }).where('run_id', '=', runId).where('status', 'in', ['running', 'waiting']).execute();
}

/** Queued runs, oldest first, for a runner to claim. */
export async function queuedRunIds(ctx: Db, limit: number): Promise<string[]> {
  const rows = await q(ctx).selectFrom('runbook_runs').select('id').where('status', '=', 'queued').orderBy('created_at').limit(limit).execute();
  return rows.map((r) => r.id);
}

/** Takes a queued run for this node; false when another node took it first. */
export async function claimRun(ctx: Db, id: string, owner: string, now: number, until: number): Promise<boolean> {
  const res = await q(ctx)
    .updateTable('runbook_runs')
    .set({ status: 'running', lease_owner: owner, lease_until: until, updated_at: now, deadline_at: null })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function renewLease(ctx: Db, id: string, owner: string, until: number): Promise<boolean> {
  const res = await q(ctx).updateTable('runbook_runs').set({ lease_until: until }).where('id', '=', id).where('lease_owner', '=', owner).where('status', '=', 'running').executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Running runs whose node stopped renewing its lease: that node is gone. */
export async function expiredRunIds(ctx: Db, now: number): Promise<string[]> {
  const rows = await q(ctx).selectFrom('runbook_runs').select('id').where('status', '=', 'running').where('lease_until', '<', now).execute();
  return rows.map((r) => r.id);
}

/** Runs waiting for an approval whose deadline has passed. */
export async function overdueApprovalIds(ctx: Db, now: number): Promise<string[]> {
  const rows = await q(ctx).selectFrom('runbook_runs').select('id').where('status', '=', 'waiting_approval').where('deadline_at', '<=', now).execute();
  return rows.map((r) => r.id);
}

/** A monitor's confirmed state, as the monitor runner records it. */
export async function monitorStatus(ctx: Db, monitorId: string): Promise<string | undefined> {
  const row = await q(ctx).selectFrom('monitor_state').select('status').where('monitor_id', '=', monitorId).executeTakeFirst();
  return row?.status;
}

export async function incidentRefOf(ctx: Db, id: string | null): Promise<{ id: string; number: number } | null> {
  if (!id) return null;
  const row = await q(ctx).selectFrom('incidents').select(['id', 'number']).where('id', '=', id).executeTakeFirst();
  return row ? { id: row.id, number: Number(row.number) } : null;
}

/** A user's handle by id (approvers are named by handle in runbooks). */
export async function userHandle(ctx: Db, userId: string): Promise<string | undefined> {
  return (await q(ctx).selectFrom('users').select('handle').where('id', '=', userId).executeTakeFirst())?.handle;
}

/** Open incidents on a service at `severity` or more severe (P0 is the most severe). */
export async function openIncidentsOnService(ctx: Db, serviceId: string, severity: string, openedSince?: number): Promise<{ id: string; number: number; severity: string; created_at: number }[]> {
  let select = q(ctx)
    .selectFrom('incident_services')
    .innerJoin('incidents', 'incidents.id', 'incident_services.incident_id')
    .select(['incidents.id', 'incidents.number', 'incidents.severity', 'incidents.created_at'])
    .where('incident_services.service_id', '=', serviceId)
    .where('incidents.state', 'not in', ['resolved', 'closed'])
    .where('incidents.severity', '<=', severity);
  if (openedSince !== undefined) select = select.where('incidents.created_at', '>=', openedSince);
  const rows = await select.orderBy('incidents.created_at').execute();
  return rows.map((r) => ({ id: r.id, number: Number(r.number), severity: r.severity, created_at: Number(r.created_at) }));
}

/**
 * Why a rule must not start a run on this incident now, if it must not: a drill of the service is
 * under way (its run queued, running or waiting for an approval; an interrupted one is not), the
 * incident is a drill's (`drill_run_id`), or it was opened by Firebreak's alert that a drill failed
 * (a finding about recovery, not an outage to fail over from).
 */
export async function drillHold(ctx: Db, serviceId: string, incidentId: string): Promise<{ drill_id: string | null; run_id: string | null; why: string } | undefined> {
  const active = await q(ctx)
    .selectFrom('drill_runs as d')
    .innerJoin('runbook_runs as r', 'r.id', 'd.run_id')
    .select(['d.drill_id', 'd.run_id'])
    .where('d.service_id', '=', serviceId)
    .where('d.status', '=', 'running')
    .where('r.status', 'in', ['queued', 'running', 'waiting_approval'])
    .executeTakeFirst();
  if (active) return { ...active, why: `drill ${active.drill_id} is running on ${serviceId} (run ${active.run_id})` };
  const exercise = await incidentExercise(ctx, incidentId);
  if (exercise && 'drillRunId' in exercise) {
    const drill = await q(ctx).selectFrom('drill_runs').select('drill_id').where('run_id', '=', exercise.drillRunId).executeTakeFirst();
    return { drill_id: drill?.drill_id ?? null, run_id: exercise.drillRunId, why: `the incident is drill ${drill?.drill_id ?? '?'}'s (run ${exercise.drillRunId})` };
  }
  if (exercise) return { drill_id: exercise.failedDrill, run_id: null, why: 'the incident says a drill failed, not that the service is down' };
  return undefined;
}


/** When a monitor's confirmed state became `down`, if it is down now. */
export async function monitorDownSince(ctx: Db, monitorId: string): Promise<number | undefined> {
  const row = await q(ctx).selectFrom('monitor_state').select(['status', 'changed_at']).where('monitor_id', '=', monitorId).executeTakeFirst();
  return row?.status === 'down' && row.changed_at !== null ? Number(row.changed_at) : undefined;
}

/** Records a proposal; false when this rule already proposed for this incident. */
export async function insertProposal(ctx: Db, row: { rule_id: string; incident_id: string; runbook_id: string; at: number }): Promise<boolean> {
  const inserted = await q(ctx).insertInto('runbook_proposals').values({ ...row, run_id: null }).onConflict((oc) => oc.columns(['rule_id', 'incident_id']).doNothing()).returning('rule_id').execute();
  return inserted.length > 0;
}

export async function setProposalRun(ctx: Db, ruleId: string, incidentId: string, runId: string): Promise<void> {
  await q(ctx).updateTable('runbook_proposals').set({ run_id: runId }).where('rule_id', '=', ruleId).where('incident_id', '=', incidentId).execute();
}
