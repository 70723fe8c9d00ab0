import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver, sql, type DatabaseConnection, type Driver } from 'kysely';
import pg from 'pg';
import { dialectFlags, type DialectFlags } from './dialect.ts';
import { BeforeCommitStep } from './before-commit.ts';
import { GroupCommitter } from './group-commit.ts';
import type { DB } from './schema.ts';

/** A database handle: the Kysely instance plus what the rest of the code may know about the engine. */
export interface Database {
  kysely: Kysely<DB>;
  dialect: DialectFlags;
  /** Where the data lives, for logs: a file path or the Postgres URL without its password. */
  location: string;
  /** SQLite only: batches concurrent transactions into one commit (see group-commit.ts). */
  groupCommit?: GroupCommitter;
  /** Work a transaction can ask to have run just before it commits (see before-commit.ts). */
  beforeCommit: BeforeCommitStep;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string | null;
  dataDir: string;
  /** Postgres pool size. */
  poolSize?: number;
}

export function createDatabase(opts: DatabaseOptions): Database {
  if (opts.databaseUrl && /^postgres(ql)?:\/\//.test(opts.databaseUrl)) return createPostgres(opts.databaseUrl, opts.poolSize ?? 10);
  if (opts.databaseUrl && !opts.databaseUrl.startsWith('sqlite:')) {
    throw new Error('DATABASE_URL must start with postgres:// or sqlite: (leave it unset for the embedded SQLite store)');
  }
  const file = opts.databaseUrl ? opts.databaseUrl.slice('sqlite:'.length) : join(opts.dataDir, 'firebreak.db');
  return createSqlite(file);
}

function createSqlite(file: string): Database {
  if (file !== ':memory:') mkdirSync(join(file, '..'), { recursive: true });
  const raw = new BetterSqlite3(file);
  raw.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before we answer, so an accepted signal survives power loss too.
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
  // Short, because better-sqlite3 waits synchronously (the event loop stalls); transactions
  // retry BUSY asynchronously with backoff instead (transaction.ts, group-commit.ts).
  raw.pragma('busy_timeout = 250');
  const kysely = new Kysely<DB>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(raw) }) });
  const beforeCommit = new BeforeCommitStep();
  return {
    kysely,
    dialect: dialectFlags('sqlite'),
    location: file,
    groupCommit: new GroupCommitter(kysely, beforeCommit),
    beforeCommit,
    close: () => kysely.destroy(),
  };
}

/**
 * Kysely prepares every statement anew; keeping the prepared statements (bounded) saves most of
 * SQLite's per-query cost on the hot paths.
 */
function withStatementCache(raw: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(query: string) {
      let stmt = cache.get(query);
      if (!stmt) {
        stmt = raw.prepare(query);
        if (cache.size >= 500) cache.delete(cache.keys().next().value!);
        cache.set(query, stmt);
      }
      return stmt;
    },
  };
}

/** Takes the write lock at BEGIN, so a transaction never fails half-way upgrading a read lock. */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver() as SqliteDriver;
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

function createPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // bigint columns hold epoch milliseconds and counters, all well inside 2^53.
    types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) },
  } as pg.PoolConfig);
  // An idle client whose server connection drops (PostgreSQL restart, failover) makes the pool emit
  // 'error'; unhandled, that would crash the process. The pool discards the client and reconnects.
  pool.on('error', () => {});
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    kysely,
    dialect: dialectFlags('postgres'),
    location: redactUrl(url),
    beforeCommit: new BeforeCommitStep(),
    close: () => kysely.destroy(),
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/** True when the database answers a trivial query. */
export async function ping(db: Database): Promise<boolean> {
  try {
    await sql`select 1`.execute(db.kysely);
    return true;
  } catch {
    return false;
  }
}
