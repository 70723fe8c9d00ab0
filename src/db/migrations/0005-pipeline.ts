import type { Kysely } from 'kysely';
import type { DialectFlags } from '../dialect.ts';

/**
 * The rest of the signal pipeline: maintenance windows, timers (auto-resolve, duration rules,
 * flapping settling), flapping marks on alerts, incidents merged into a root-cause incident, and
 * an index for "alerts seen lately". Frozen.
 */
export async function up(db: Kysely<any>, _dialect: DialectFlags): Promise<void> {
  await db.schema
    .createTable('maintenance_windows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    // ["storage", ...] as JSON text.
    .addColumn('services', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    // Wall-clock times in time_zone, "YYYY-MM-DDTHH:MM": a window stays at local 22:00 across DST.
    .addColumn('starts_local', 'text', (c) => c.notNull())
    .addColumn('ends_local', 'text', (c) => c.notNull())
    // null (one-off), 'daily' or 'weekly'.
    .addColumn('recurrence', 'text')
    // The last local date (YYYY-MM-DD) an occurrence may start on, or null for no end.
    .addColumn('until_local', 'text')
    // First instant covered and last instant covered (epoch ms; null = open-ended), for cheap lookups.
    .addColumn('first_start_at', 'bigint', (c) => c.notNull())
    .addColumn('last_end_at', 'bigint')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('cancelled_at', 'bigint')
    .execute();
  await db.schema.createIndex('maintenance_windows_last_end').on('maintenance_windows').column('last_end_at').execute();

  // One pending timer per (kind, subject): setting it again moves it.
  await db.schema
    .createTable('timers')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('timers_pk', ['kind', 'subject_id'])
    .execute();
  await db.schema.createIndex('timers_due').on('timers').column('due_at').execute();

  await db.schema.alterTable('alerts').addColumn('flapping_since', 'bigint').execute();
  await db.schema.createIndex('alerts_last_seen').on('alerts').column('last_seen_at').execute();
  await db.schema.alterTable('incidents').addColumn('merged_into', 'text').execute();
}
