import type { Kysely } from 'kysely';
import type { DialectFlags } from '../dialect.ts';

/**
 * Drill results: one row per drill execution, linked to the runbook run (mode `drill`) that did
 * the work. Measurements, the objectives they were judged against (as they were then) and the
 * report are filled in once the run and its cleanup have finished. Frozen.
 */
export async function up(db: Kysely<any>, _dialect: DialectFlags): Promise<void> {
  await db.schema
    .createTable('drill_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('drill_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull().references('runbook_runs.id'))
    .addColumn('service_id', 'text', (c) => c.notNull())
    // running | passed | failed
    .addColumn('status', 'text', (c) => c.notNull())
    // on_demand | scheduled
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('rto_ms', 'bigint')
    .addColumn('rpo_ms', 'bigint')
    .addColumn('rto_objective_ms', 'bigint', (c) => c.notNull())
    .addColumn('rpo_objective_ms', 'bigint', (c) => c.notNull())
    .addColumn('passed', 'integer')
    // JSON text: the report (steps, measurements, verdicts, action items).
    .addColumn('report', 'text')
    // JSON text: ids of the action items filed on the run's incident.
    .addColumn('action_items', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('started_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('drill_runs_drill').on('drill_runs').columns(['drill_id', 'started_at']).execute();
  await db.schema.createIndex('drill_runs_service').on('drill_runs').columns(['service_id', 'started_at']).execute();
  await db.schema.createIndex('drill_runs_status').on('drill_runs').columns(['status']).execute();
}
