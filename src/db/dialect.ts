import type { ColumnDefinitionBuilder, CreateTableBuilder } from 'kysely';

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
