import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely } from 'kysely';
import type { DB } from './schema.ts';

/**
 * Everything that differs between SQLite and PostgreSQL lives here; no other file branches on
 * the engine. Both engines store times as epoch milliseconds (bigint) and JSON as text.
 */
export type DialectName = 'sqlite' | 'postgres';

export interface DialectFlags {
  name: DialectName;
  /** Row leases with FOR UPDATE SKIP LOCKED are available (PostgreSQL only). */
  supportsSkipLocked: boolean;
}

export const dialectFlags = (name: DialectName): DialectFlags => ({ name, supportsSkipLocked: name === 'postgres' });

/** Adds an auto-incrementing integer primary key named `id`. */
export function withSerialId<T extends string>(table: CreateTableBuilder<T, never>, dialect: DialectFlags) {
  return dialect.name === 'postgres'
    ? table.addColumn('id', 'bigserial', (c: ColumnDefinitionBuilder) => c.primaryKey())
    : table.addColumn('id', 'integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement());
}

/**
 * SQLite: stores the table in its primary key's b-tree (WITHOUT ROWID), so a composite key costs
 * one tree instead of two. PostgreSQL tables are heaps with the key as an index either way.
 */
export function withoutRowId<T extends string, C extends string>(table: CreateTableBuilder<T, C>, dialect: DialectFlags): CreateTableBuilder<T, C> {
  return dialect.name === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table;
}

/** SQLITE_BUSY and its extended codes: another writer holds the lock; the transaction may retry. */
export function isBusyError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** A unique-constraint violation on either engine. */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * Locks the selected rows until commit on PostgreSQL, so read-check-write verbs do not interleave.
 * SQLite needs nothing: BEGIN IMMEDIATE already makes every writing transaction exclusive.
 */
export function forUpdate<QB extends { forUpdate(): QB }>(qb: QB, dialect: DialectFlags): QB {
  return dialect.name === 'postgres' ? qb.forUpdate() : qb;
}

/**
 * The next value of a named counter. On PostgreSQL a sequence, because a counter row would stay
 * locked until commit and serialise every concurrent create (measured: ~500 creates/s); the price
 * is a gap in the numbers when a create rolls back. SQLite has one writer anyway, so its counter
 * row in `counters` costs nothing and stays gapless.
 */
export async function nextCounterValue(db: Kysely<DB>, dialect: DialectFlags, name: 'incident_number'): Promise<number> {
  if (dialect.name === 'postgres') {
    const { rows } = await sql<{ value: string | number }>`select nextval(${`${name}_seq`}) as value`.execute(db);
    return Number(rows[0].value);
  }
  const row = await db
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', name)
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value);
}

/**
 * Moves counters forward past numbers already stored, never backwards: rows restored from a
 * backup or copied in by hand would otherwise collide with the next number a sequence hands out.
 * Runs at every start, under the migration lock.
 */
export async function syncCounters(db: Kysely<any>, dialect: DialectFlags): Promise<void> {
  if (dialect.name !== 'postgres') {
    await sql`update counters set value = (select max(number) from incidents)
      where name = 'incident_number' and value < (select coalesce(max(number), 0) from incidents)`.execute(db);
    return;
  }
  await sql`select setval('incident_number_seq', t.m) from (select max(number) as m from incidents) t
    where t.m is not null
      and t.m > (select case when is_called then last_value else last_value - 1 end from incident_number_seq)`.execute(db);
}

/**
 * Serialises transactions that work on the same named thing until commit, even when there is no
 * row to lock yet (e.g. "is there an open alert for this key?"). PostgreSQL: a transaction-scoped
 * advisory lock. SQLite needs nothing: BEGIN IMMEDIATE already makes every writer exclusive.
 */
export async function lockName(db: Kysely<DB>, dialect: DialectFlags, name: string): Promise<void> {
  if (dialect.name === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${name}))`.execute(db);
}

/** Several named locks in one round trip, taken in the order given (callers sort, to avoid deadlocks). */
export async function lockNames(db: Kysely<DB>, dialect: DialectFlags, names: string[]): Promise<void> {
  if (dialect.name !== 'postgres' || !names.length) return;
  await sql`select count(pg_advisory_xact_lock(hashtext(n))) from (select n from unnest(${names}::text[]) with ordinality as t(n, i) order by i) as ordered`.execute(db);
}
