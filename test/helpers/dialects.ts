import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { DialectName } from '../../src/db/dialect.ts';
import { createThrowawayDatabase } from './postgres.ts';

/** Admin connection used to create and drop one database per test file. */
export const PG_ADMIN_URL = process.env.FIREBREAK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** CI sets this so a missing PostgreSQL fails the run instead of skipping the suite. */
const REQUIRE_PG = process.env.FIREBREAK_REQUIRE_PG === '1';

async function probePostgres(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

const pgProblem = await probePostgres();
if (pgProblem && REQUIRE_PG) throw new Error(`FIREBREAK_REQUIRE_PG=1 but PostgreSQL at ${PG_ADMIN_URL} is unreachable: ${pgProblem}`);

const wanted = (process.env.DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim()).filter(Boolean) as DialectName[];

/** The engines every storage test runs on; `skip` says why PostgreSQL is skipped, if it is. */
export const DIALECTS: { name: DialectName; skip: string | false }[] = wanted.map((name) => ({
  name,
  skip: name === 'postgres' && pgProblem ? `PostgreSQL suite SKIPPED: ${PG_ADMIN_URL} unreachable (${pgProblem})` : false,
}));

if (pgProblem && wanted.includes('postgres') && !process.env.FIREBREAK_PG_SKIP_NOTED) {
  process.env.FIREBREAK_PG_SKIP_NOTED = '1';
  process.stderr.write(`\n*** PostgreSQL suite SKIPPED: ${PG_ADMIN_URL} is unreachable (${pgProblem}). SQLite tests still run. ***\n\n`);
}

/** A fresh database URL for one test file: a new Postgres database, or a new SQLite file. */
export async function freshDatabaseUrl(dialect: DialectName, testFile: string, dir: string): Promise<{ url: string; drop(): Promise<void> }> {
  const tag = `${basename(fileURLToPath(testFile)).replace(/\W+/g, '_').slice(0, 30)}_${process.pid}_${randomBytes(3).toString('hex')}`.toLowerCase();
  if (dialect === 'sqlite') return { url: `sqlite:${dir}/${tag}.db`, drop: async () => {} };
  return createThrowawayDatabase(PG_ADMIN_URL, `fbt_${tag}`);
}
