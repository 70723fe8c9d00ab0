import type { Kysely } from 'kysely';
import type { DialectFlags } from '../dialect.ts';

/** User reports and the per-service groups that gather them into incidents. Frozen. */
export async function up(db: Kysely<any>, _dialect: DialectFlags): Promise<void> {
  await db.schema
    .createTable('report_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'bigint', (c) => c.notNull())
    .addColumn('last_report_at', 'bigint', (c) => c.notNull())
    .addColumn('report_count', 'integer', (c) => c.notNull())
    .addColumn('incident_id', 'text', (c) => c.references('incidents.id'))
    .addColumn('closed_at', 'bigint')
    .execute();
  await db.schema.createIndex('report_groups_service_last').on('report_groups').columns(['service_id', 'last_report_at']).execute();

  await db.schema
    .createTable('user_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('contact', 'text')
    .addColumn('reporter_user_id', 'text', (c) => c.references('users.id'))
    // Kept for rate limiting and audit only; never returned by the API.
    .addColumn('reporter_address', 'text')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull().references('report_groups.id'))
    .addColumn('incident_id', 'text', (c) => c.references('incidents.id'))
    .execute();
  await db.schema.createIndex('user_reports_service_received').on('user_reports').columns(['service_id', 'received_at']).execute();
  await db.schema.createIndex('user_reports_received').on('user_reports').column('received_at').execute();
  await db.schema.createIndex('user_reports_group').on('user_reports').column('group_id').execute();
}
