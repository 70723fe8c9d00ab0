import { sql, type Kysely } from 'kysely';
import type { DialectFlags } from '../dialect.ts';

/**
 * Signals become a durable queue: a receiver stores the checked signal with its work (the alerts
 * to fire, acknowledge or resolve) and answers; the signal processor applies the work and stamps
 * `processed_at` (or `error`, for work that cannot be applied). Signals stored before this
 * migration were applied when they arrived. Frozen.
 */
export async function up(db: Kysely<any>, _dialect: DialectFlags): Promise<void> {
  await db.schema.alterTable('signals').addColumn('work', 'text').execute();
  await db.schema.alterTable('signals').addColumn('processed_at', 'bigint').execute();
  await db.schema.alterTable('signals').addColumn('error', 'text').execute();
  await sql`update signals set processed_at = received_at`.execute(db);
  await db.schema.createIndex('signals_pending').on('signals').column('id').where(sql.ref('processed_at'), 'is', null).execute();
}
