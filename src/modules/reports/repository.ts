import type { Insertable, Selectable, Updateable } from 'kysely';
import { forUpdate } from '../../db/dialect.ts';
import { q } from '../../db/transaction.ts';
import type { ReportGroupsTable, UserReportsTable } from '../../db/schema.ts';
import type { Ctx } from '../context.ts';

export type ReportGroupRow = Selectable<ReportGroupsTable>;
type Db = Pick<Ctx, 'db' | 'trx'>;

/** The service's group that is still open (at most one), locked until commit on PostgreSQL. */
export async function findOpenGroup(ctx: Db, serviceId: string): Promise<ReportGroupRow | undefined> {
  const select = q(ctx).selectFrom('report_groups').selectAll().where('service_id', '=', serviceId).where('closed_at', 'is', null).orderBy('opened_at', 'desc').limit(1);
  return forUpdate(select, ctx.db.dialect).executeTakeFirst();
}

export async function insertGroup(ctx: Db, row: ReportGroupRow): Promise<void> {
  await q(ctx).insertInto('report_groups').values(row).execute();
}

export async function updateGroup(ctx: Db, id: string, patch: Updateable<ReportGroupsTable>): Promise<void> {
  await q(ctx).updateTable('report_groups').set(patch).where('id', '=', id).execute();
}

export async function insertReport(ctx: Db, row: Insertable<UserReportsTable>): Promise<void> {
  await q(ctx).insertInto('user_reports').values(row).execute();
}

/** The group's reports, oldest first. */
export async function groupReports(ctx: Db, groupId: string): Promise<{ id: string; description: string; received_at: number }[]> {
  return q(ctx).selectFrom('user_reports').select(['id', 'description', 'received_at']).where('group_id', '=', groupId).orderBy('received_at').orderBy('id').execute();
}

export async function linkGroupReports(ctx: Db, groupId: string, incidentId: string): Promise<void> {
  await q(ctx).updateTable('user_reports').set({ incident_id: incidentId }).where('group_id', '=', groupId).execute();
}



/** Reports newest first, with the reporter's handle and the incident number; never the address. */
export async function listReportRows(ctx: Db, opts: { service?: string; limit: number }) {
  let query = q(ctx)
    .selectFrom('user_reports')
    .leftJoin('users', 'users.id', 'user_reports.reporter_user_id')
    .leftJoin('incidents', 'incidents.id', 'user_reports.incident_id')
    .select([
      'user_reports.id',
      'user_reports.service_id',
      'user_reports.description',
      'user_reports.contact',
      'user_reports.received_at',
      'user_reports.group_id',
      'users.handle as reporter_handle',
      'incidents.number as incident_number',
    ])
    .orderBy('user_reports.received_at', 'desc')
    .orderBy('user_reports.id', 'desc')
    .limit(opts.limit);
  if (opts.service !== undefined) query = query.where('user_reports.service_id', '=', opts.service);
  return query.execute();
}
