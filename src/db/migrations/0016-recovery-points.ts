import type { Kysely } from 'kysely';
import type { DialectFlags } from '../dialect.ts';

/**
 * Recovery points of the user's systems: per monitor that reports them (a heartbeat ping carrying
 * `restorable_at`, a backup tool's status read by a command, a replica's lag), the newest
 * restorable point and its size; and per service the RPO status last alerted on, so an alert is
 * raised once per change and resolved when exposure is back under the objective. Frozen.
 */
export async function up(db: Kysely<any>, _dialect: DialectFlags): Promise<void> {
  await db.schema
    .createTable('recovery_points')
    .addColumn('monitor_id', 'text', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    // heartbeat | command | replication
    .addColumn('source', 'text', (c) => c.notNull())
    // The newest point the service's data can be restored to, ms since the epoch.
    .addColumn('restorable_at', 'bigint', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint')
    .addColumn('observed_at', 'bigint', (c) => c.notNull())
    // JSON: the snapshot or stanza, the replica's lag.
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('recovery_points_service').on('recovery_points').column('service').execute();
  await db.schema
    .createTable('rpo_state')
    .addColumn('service', 'text', (c) => c.primaryKey())
    // ok | warning | breached
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'bigint', (c) => c.notNull())
    .execute();
}
