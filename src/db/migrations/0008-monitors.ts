import type { Kysely } from 'kysely';
import { withoutRowId, withSerialId, type DialectFlags } from '../dialect.ts';

/**
 * Monitors: each one's current state (and, on PostgreSQL, which node holds its lease), raw check
 * results for a short window, roll-ups per minute, hour and day for long ranges, state changes,
 * and heartbeat pings. Frozen.
 */
export async function up(db: Kysely<any>, dialect: DialectFlags): Promise<void> {
  await db.schema
    .createTable('monitor_state')
    .addColumn('monitor_id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'bigint')
    // Consecutive results of the same raw status, for confirmation thresholds.
    .addColumn('streak_status', 'text')
    .addColumn('streak', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('streak_since', 'bigint')
    .addColumn('last_check_at', 'bigint')
    .addColumn('last_status', 'text')
    .addColumn('last_reason', 'text')
    .addColumn('last_message', 'text')
    .addColumn('last_duration_ms', 'integer')
    .addColumn('last_http_status', 'integer')
    .addColumn('last_phases', 'text')
    .addColumn('cert_expires_at', 'bigint')
    // What the pipeline was told ('down', 'degraded' or null) and why a change is held back.
    .addColumn('signalled', 'text')
    .addColumn('held', 'text')
    .addColumn('paused_at', 'bigint')
    .addColumn('paused_by', 'text')
    // Heartbeats: last pings, the running job, and when time alone changes the state.
    .addColumn('last_ping_at', 'bigint')
    .addColumn('last_start_at', 'bigint')
    .addColumn('last_run_ms', 'integer')
    .addColumn('due_at', 'bigint')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('monitor_state_due').on('monitor_state').column('due_at').execute();

  // Clustered by (monitor, time) where the engine allows it: a monitor's recent results and its
  // expired ones are both one range.
  await withoutRowId(
    db.schema
      .createTable('monitor_results')
      .addColumn('monitor_id', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      // 0 up, 1 degraded, 2 down: small on disk.
      .addColumn('status', 'smallint', (c) => c.notNull())
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .addColumn('http_status', 'smallint')
      .addColumn('reason', 'text')
      .addColumn('message', 'text')
      .addPrimaryKeyConstraint('monitor_results_pk', ['monitor_id', 'at']),
    dialect,
  ).execute();

  // size: 60 000 (minute), 3 600 000 (hour) or 86 400 000 (day); start: UTC bucket start.
  await withoutRowId(
    db.schema
      .createTable('monitor_rollups')
      .addColumn('monitor_id', 'text', (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('start', 'bigint', (c) => c.notNull())
      .addColumn('checks', 'integer', (c) => c.notNull())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('degraded', 'integer', (c) => c.notNull())
      .addColumn('duration_sum', 'bigint', (c) => c.notNull())
      .addColumn('duration_max', 'integer', (c) => c.notNull())
      .addColumn('p50', 'integer', (c) => c.notNull())
      .addColumn('p95', 'integer', (c) => c.notNull())
      // Latency histogram (fixed buckets, comma-separated counts): percentiles of merged periods.
      .addColumn('hist', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('monitor_rollups_pk', ['monitor_id', 'size', 'start']),
    dialect,
  ).execute();
  // How far each roll-up level is complete (start of the first bucket not yet rolled).
  await db.schema
    .createTable('monitor_rollup_marks')
    .addColumn('size', 'integer', (c) => c.primaryKey())
    .addColumn('through', 'bigint', (c) => c.notNull())
    .execute();

  await withSerialId(db.schema.createTable('monitor_changes'), dialect)
    .addColumn('monitor_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('from_status', 'text', (c) => c.notNull())
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('message', 'text')
    // The signal it raised, or why none was (a parent down, Firebreak's own network suspect).
    .addColumn('signal_id', 'bigint')
    .addColumn('held', 'text')
    .execute();
  await db.schema.createIndex('monitor_changes_monitor').on('monitor_changes').columns(['monitor_id', 'id']).execute();

  await withSerialId(db.schema.createTable('heartbeat_pings'), dialect)
    .addColumn('monitor_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    // success, start, fail, log
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer')
    .addColumn('rid', 'text')
    .addColumn('duration_ms', 'integer')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('remote_addr', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('body', 'text')
    .execute();
  await db.schema.createIndex('heartbeat_pings_monitor').on('heartbeat_pings').columns(['monitor_id', 'id']).execute();

  // Nodes sharing monitors on PostgreSQL: each says it is alive, so the others can share fairly.
  await db.schema
    .createTable('monitor_nodes')
    .addColumn('node_id', 'text', (c) => c.primaryKey())
    .addColumn('seen_until', 'bigint', (c) => c.notNull())
    .execute();
}
