import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely, type Transaction } from 'kysely';
import { isBusyError, syncCounters } from './dialect.ts';
import { DomainError } from '../lib/errors.ts';
import type { Database } from './create-db.ts';
import type { DialectFlags } from './dialect.ts';
import * as m0001 from './migrations/0001-core.ts';
import * as m0002 from './migrations/0002-signals.ts';
import * as m0003 from './migrations/0003-reports.ts';
import * as m0004 from './migrations/0004-silences.ts';
import * as m0005 from './migrations/0005-pipeline.ts';
import * as m0006 from './migrations/0006-signal-queue.ts';
import * as m0007 from './migrations/0007-failed-signals.ts';
import * as m0008 from './migrations/0008-monitors.ts';
import * as m0009 from './migrations/0009-monitor-state-fillfactor.ts';
import * as m0010 from './migrations/0010-oncall.ts';
import * as m0011 from './migrations/0011-status-page.ts';
import * as m0012 from './migrations/0012-learning.ts';
import * as m0013 from './migrations/0013-backups.ts';
import * as m0014 from './migrations/0014-runbooks.ts';
import * as m0015 from './migrations/0015-drills.ts';
import * as m0016 from './migrations/0016-recovery-points.ts';
import * as m0017 from './migrations/0017-drill-incidents.ts';

type MigrationModule = { up(db: Kysely<any>, dialect: DialectFlags): Promise<void> };

/** Every migration this build knows, in order. Names are frozen once released. */
const MIGRATIONS: [string, MigrationModule][] = [
  ['0001-core', m0001],
  ['0002-signals', m0002],
  ['0003-reports', m0003],
  ['0004-silences', m0004],
  ['0005-pipeline', m0005],
  ['0006-signal-queue', m0006],
  ['0007-failed-signals', m0007],
  ['0008-monitors', m0008],
  ['0009-monitor-state-fillfactor', m0009],
  ['0010-oncall', m0010],
  ['0011-status-page', m0011],
  ['0012-learning', m0012],
  ['0013-backups', m0013],
  ['0014-runbooks', m0014],
  ['0015-drills', m0015],
  ['0016-recovery-points', m0016],
  ['0017-drill-incidents', m0017],
];

export const KNOWN_MIGRATIONS = MIGRATIONS.map(([name]) => name);

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

/**
 * Applies pending migrations in ONE transaction under a lock, so two processes starting at once
 * serialise (one applies, the other finds nothing to do) and a failed migration leaves nothing
 * half-done. SQLite takes its write lock at BEGIN IMMEDIATE; PostgreSQL takes an advisory lock.
 * Refuses a schema newer than this code before touching anything.
 */
export async function migrateToLatest(db: Database): Promise<{ applied: string[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.kysely.transaction().execute((trx) => migrateInTransaction(db, trx as Transaction<any>));
    } catch (e) {
      // Another process is migrating (SQLite): wait for it, then find its work done. ~60 s at most.
      if (!isBusyError(e) || attempt >= 120) throw e;
      await sleep(500);
    }
  }
}

async function migrateInTransaction(db: Database, trx: Transaction<any>): Promise<{ applied: string[] }> {
  if (db.dialect.name === 'postgres') await sql`select pg_advisory_xact_lock(hashtext('firebreak.migrations'))`.execute(trx);
  await trx.schema
    .createTable('kysely_migration')
    .ifNotExists()
    .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('timestamp', 'varchar(255)', (c) => c.notNull())
    .execute();
  const done = new Set((await trx.selectFrom('kysely_migration').select('name').execute()).map((r: { name: string }) => r.name));
  const unknown = [...done].filter((n) => !KNOWN_MIGRATIONS.includes(n));
  if (unknown.length) throw schemaTooNew(unknown);
  const applied: string[] = [];
  for (const [name, mod] of MIGRATIONS) {
    if (done.has(name)) continue;
    await mod.up(trx as Kysely<any>, db.dialect);
    await trx.insertInto('kysely_migration').values({ name, timestamp: new Date().toISOString() }).execute();
    applied.push(name);
  }
  await syncCounters(trx as Kysely<any>, db.dialect);
  return { applied };
}

export async function assertSchemaNotNewer(db: Database): Promise<void> {
  const status = await schemaStatus(db);
  if (status.unknown.length > 0) throw schemaTooNew(status.unknown);
}

function schemaTooNew(unknown: string[]): DomainError {
  return new DomainError(
    'SCHEMA_TOO_NEW',
    `The database schema is newer than this Firebreak: it has migration(s) ${unknown.join(', ')} that this version does not know ` +
      `(latest known: ${KNOWN_MIGRATIONS.at(-1)}). Upgrade Firebreak, or point it at a database made by this version.`,
    { unknown, latestKnown: KNOWN_MIGRATIONS.at(-1) },
  );
}
