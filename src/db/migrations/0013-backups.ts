import type { Kysely } from 'kysely';
import type { DialectFlags } from '../dialect.ts';

/**
 * Backups of Firebreak's own data: one row per backup per target (what was written, its sizes,
 * the last verification and its measured restore time), and the lease that keeps two nodes from
 * backing up or pruning at once. The targets' manifests stay the truth; these rows feed metrics,
 * retention and scheduling. Frozen.
 */
export async function up(db: Kysely<any>, _dialect: DialectFlags): Promise<void> {
  await db.schema
    .createTable('backups')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    // The snapshot's time: the restorable point.
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // complete | failed | deleted
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('engine', 'text', (c) => c.notNull())
    .addColumn('schema_version', 'text', (c) => c.notNull())
    .addColumn('plaintext_bytes', 'bigint', (c) => c.notNull())
    .addColumn('stored_bytes', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('verified_at', 'bigint')
    // 1 passed, 0 failed, null never verified.
    .addColumn('verify_ok', 'integer')
    // The measured restore time of the last verification.
    .addColumn('verify_ms', 'bigint')
    .addColumn('verify_error', 'text')
    .addColumn('deleted_at', 'bigint')
    .addPrimaryKeyConstraint('backups_pk', ['id', 'target_id'])
    .execute();
  await db.schema.createIndex('backups_target_created').on('backups').columns(['target_id', 'created_at']).execute();
  await db.schema
    .createTable('backup_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('until', 'bigint', (c) => c.notNull())
    .execute();
}
