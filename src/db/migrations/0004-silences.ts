import type { Kysely } from 'kysely';
import type { DialectFlags } from '../dialect.ts';

/** Silences (label matchers with an expiry) and the labels alerts are matched on. Frozen. */
export async function up(db: Kysely<any>, _dialect: DialectFlags): Promise<void> {
  await db.schema
    .createTable('silences')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // [{ name, op, value }] as JSON text.
    .addColumn('matchers', 'text', (c) => c.notNull())
    .addColumn('starts_at', 'bigint', (c) => c.notNull())
    .addColumn('ends_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expired_at', 'bigint')
    .execute();
  await db.schema.createIndex('silences_ends_at').on('silences').column('ends_at').execute();

  await db.schema.alterTable('alerts').addColumn('labels', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  await db.schema.alterTable('alerts').addColumn('suppressed_by', 'text').execute();
}
