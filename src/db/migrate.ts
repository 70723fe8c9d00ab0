import type { Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { sql } from 'kysely';
import { DomainError } from '../lib/errors.ts';
import type { Database } from './create-db.ts';
import type { DialectFlags } from './dialect.ts';
import * as m0001 from './migrations/0001-core.ts';

type MigrationModule = { up(db: Kysely<any>, dialect: DialectFlags): Promise<void> };

/** Every migration this build knows, in order. Names are frozen once released. */
const MIGRATIONS: [string, MigrationModule][] = [['0001-core', m0001]];

export const KNOWN_MIGRATIONS = MIGRATIONS.map(([name]) => name);

function migrator(db: Database): Migrator {
  const migrations: Record<string, Migration> = {};
  for (const [name, mod] of MIGRATIONS) migrations[name] = { up: (k) => mod.up(k, db.dialect) };
  return new Migrator({ db: db.kysely as Kysely<any>, provider: { getMigrations: async () => migrations } });
}

/** Names of migrations recorded in the database (empty on a fresh database). */
export async function appliedMigrations(db: Database): Promise<string[]> {
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db.kysely);
    return rows.rows.map((r) => r.name);
  } catch (e) {
    // Only a missing table means "fresh database"; anything else (connection lost…) must surface,
    // or the newer-schema check would be skipped.
    const code = (e as { code?: string }).code;
    if (code === '42P01' || /no such table/i.test((e as Error).message)) return [];
    throw e;
  }
}

export interface SchemaStatus {
  applied: string[];
  pending: string[];
  /** Migrations the database has that this build does not know: the schema is newer than the code. */
  unknown: string[];
}

export async function schemaStatus(db: Database): Promise<SchemaStatus> {
  const applied = await appliedMigrations(db);
  return {
    applied,
    pending: KNOWN_MIGRATIONS.filter((n) => !applied.includes(n)),
    unknown: applied.filter((n) => !KNOWN_MIGRATIONS.includes(n)),
  };
}

/** Refuses a schema newer than this code, then applies pending migrations under the migrator's lock. */
export async function migrateToLatest(db: Database): Promise<{ applied: string[] }> {
  await assertSchemaNotNewer(db);
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) throw error;
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

export async function assertSchemaNotNewer(db: Database): Promise<void> {
  const status = await schemaStatus(db);
  if (status.unknown.length > 0) {
    throw new DomainError(
      'SCHEMA_TOO_NEW',
      `The database schema is newer than this Firebreak: it has migration(s) ${status.unknown.join(', ')} that this version does not know ` +
        `(latest known: ${KNOWN_MIGRATIONS.at(-1)}). Upgrade Firebreak, or point it at a database made by this version.`,
      { unknown: status.unknown, latestKnown: KNOWN_MIGRATIONS.at(-1) },
    );
  }
}
