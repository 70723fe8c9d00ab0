import type { Insertable, Selectable, Updateable } from 'kysely';
import type { DrillRunsTable } from '../../db/schema.ts';
import { q } from '../../db/transaction.ts';
import { notFound } from '../../lib/errors.ts';
import type { Ctx } from '../context.ts';

export type DrillRunRow = Selectable<DrillRunsTable>;
type Db = Pick<Ctx, 'db' | 'trx'>;

export async function insertDrillRun(ctx: Db, row: Insertable<DrillRunsTable>): Promise<void> {
  await q(ctx).insertInto('drill_runs').values(row).execute();
}

export async function findDrillRun(ctx: Db, id: string): Promise<DrillRunRow> {
  const row = await q(ctx).selectFrom('drill_runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('drill run', id);
  return row;
}

/** Settles a drill run once: false when another pass (or node) already did. */
export async function settleDrillRun(ctx: Db, id: string, patch: Updateable<DrillRunsTable>): Promise<boolean> {
  const res = await q(ctx).updateTable('drill_runs').set(patch).where('id', '=', id).where('status', '=', 'running').executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Drill runs still waiting for their runbook run to end, with that run's status. */
export async function unsettledDrillRuns(ctx: Db): Promise<(DrillRunRow & { run_status: string })[]> {
  return q(ctx)
    .selectFrom('drill_runs')
    .innerJoin('runbook_runs', 'runbook_runs.id', 'drill_runs.run_id')
    .selectAll('drill_runs')
    .select('runbook_runs.status as run_status')
    .where('drill_runs.status', '=', 'running')
    .where('runbook_runs.status', 'in', ['succeeded', 'failed', 'cancelled'])
    .execute();
}

export async function listDrillRunRows(ctx: Db, filter: { service?: string; drill?: string; since?: number; limit: number }): Promise<DrillRunRow[]> {
  let query = q(ctx).selectFrom('drill_runs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(filter.limit);
  if (filter.service) query = query.where('service_id', '=', filter.service);
  if (filter.drill) query = query.where('drill_id', '=', filter.drill);
  if (filter.since !== undefined) query = query.where('started_at', '>=', filter.since);
  return query.execute();
}

/** The newest run of each drill. */
export async function lastDrillRuns(ctx: Db, drillIds: string[]): Promise<Map<string, DrillRunRow>> {
  const out = new Map<string, DrillRunRow>();
  for (const id of drillIds) {
    const row = await q(ctx).selectFrom('drill_runs').selectAll().where('drill_id', '=', id).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (row) out.set(id, row);
  }
  return out;
}

/** Restore verifications of Firebreak's backups since a time: how many ran and how many passed. */
export async function verificationsSince(ctx: Db, since: number): Promise<{ verified_at: number; ok: boolean }[]> {
  const rows = await q(ctx).selectFrom('backups').select(['verified_at', 'verify_ok']).where('verified_at', '>=', since).where('verify_ok', 'is not', null).execute();
  return rows.map((r) => ({ verified_at: Number(r.verified_at), ok: Number(r.verify_ok) === 1 }));
}

/** Records the action items filed for a settled drill run (and the report naming them). */
export async function setDrillRunItems(ctx: Db, id: string, report: string, items: string): Promise<void> {
  await q(ctx).updateTable('drill_runs').set({ report, action_items: items }).where('id', '=', id).execute();
}

/** Subjects (drill ids) that have a pending timer of this kind. */
export async function timerSubjects(ctx: Db, kind: string): Promise<Set<string>> {
  return new Set((await q(ctx).selectFrom('timers').select('subject_id').where('kind', '=', kind).execute()).map((r) => r.subject_id));
}

/** When a drill last started, if ever. */
export async function lastDrillStart(ctx: Db, drillId: string): Promise<number | null> {
  const row = await q(ctx).selectFrom('drill_runs').select('started_at').where('drill_id', '=', drillId).orderBy('started_at', 'desc').limit(1).executeTakeFirst();
  return row ? Number(row.started_at) : null;
}
