import { sql, type Kysely } from 'kysely';
import type { DialectFlags } from '../dialect.ts';

/**
 * Signals set aside because their work failed are few among many: a partial index finds them (for
 * the API and the metric) without reading the whole table. Frozen.
 */
export async function up(db: Kysely<any>, _dialect: DialectFlags): Promise<void> {
  await db.schema.createIndex('signals_failed').on('signals').column('id').where(sql.ref('error'), 'is not', null).execute();
}
