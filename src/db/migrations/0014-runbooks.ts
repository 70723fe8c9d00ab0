import type { Kysely } from 'kysely';
import type { DialectFlags } from '../dialect.ts';

/**
 * Runbook runs, step by step, and the proposals incident rules made. A run keeps the exact definition it ran (and its version hash), its
 * variables with secrets masked, and the lease of the node executing it; each attempt of each
 * step is a row written when it starts and again when it ends, so a crash leaves a precise record.
 * Frozen.
 */
export async function up(db: Kysely<any>, _dialect: DialectFlags): Promise<void> {
  await db.schema
    .createTable('runbook_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('runbook_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    // queued | running | waiting_approval | succeeded | failed | interrupted | cancelled
    .addColumn('status', 'text', (c) => c.notNull())
    // run | dry_run | drill
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text')
    .addColumn('variables', 'text', (c) => c.notNull())
    .addColumn('started_by', 'text', (c) => c.notNull())
    // The user behind started_by, when there is one: an approver must be someone else.
    .addColumn('started_by_user', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    // The top-level step being executed (or waited on, or that failed).
    .addColumn('current_step', 'text')
    // 1 when a resume asked for current_step to be executed again.
    .addColumn('rerun_current', 'integer', (c) => c.notNull().defaultTo(0))
    // An approval's deadline while waiting_approval.
    .addColumn('deadline_at', 'bigint')
    .addColumn('error', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('runbook_runs_status').on('runbook_runs').columns(['status', 'lease_until']).execute();
  await db.schema.createIndex('runbook_runs_incident').on('runbook_runs').columns(['incident_id', 'created_at']).execute();
  await db.schema.createIndex('runbook_runs_created').on('runbook_runs').columns(['created_at']).execute();
  await db.schema
    .createTable('runbook_step_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('runbook_runs.id'))
    // "promote", "scale/scale-web" inside a group, "rollback/restore-dns".
    .addColumn('step_path', 'text', (c) => c.notNull())
    .addColumn('step_type', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    // running | succeeded | failed | waiting | rejected | interrupted | cancelled
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('inputs', 'text', (c) => c.notNull())
    .addColumn('outputs', 'text')
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('approved_by', 'text')
    .addColumn('comment', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('runbook_step_runs_run').on('runbook_step_runs').columns(['run_id', 'started_at']).execute();
  // An incident rule proposes (or starts) its runbook once per incident.
  await db.schema
    .createTable('runbook_proposals')
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('runbook_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addPrimaryKeyConstraint('runbook_proposals_pk', ['rule_id', 'incident_id'])
    .execute();
}
