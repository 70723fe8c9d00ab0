import { sql, type Kysely } from 'kysely';
import type { DialectFlags } from '../dialect.ts';

/**
 * PostgreSQL rewrites a row on every update (MVCC): a monitor's state row is updated on every
 * check, so at 10,000 monitors at 30 s the table grew by hundreds of MB an hour between
 * autovacuum runs. With half of each page left free, those updates stay on the row's page as
 * heap-only tuples (no indexed column changes for probes) and are pruned in place on the next
 * visit, so the table stays near its live size. SQLite updates in place and needs nothing. Frozen.
 */
export async function up(db: Kysely<any>, dialect: DialectFlags): Promise<void> {
  if (dialect.name !== 'postgres') return;
  await sql`alter table monitor_state set (fillfactor = 50)`.execute(db);
}
