import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { clip, StepFailure, type StepEnv } from './types.ts';

export interface SqlSpec {
  url: string;
  query: string;
  params?: (string | number | boolean | null)[];
  timeoutMs: number;
}

export interface SqlOutput {
  rows: Record<string, unknown>[];
  row_count: number;
}

/** Rows kept in a step's output. */
const ROW_LIMIT = 1000;

/**
 * One statement against a named connection: PostgreSQL through `pg` (the extended protocol, so a
 * second statement is refused, with a statement timeout), SQLite through better-sqlite3.
 */
export async function runSqlStep(spec: SqlSpec, env: StepEnv): Promise<SqlOutput> {
  if (spec.url.startsWith('sqlite:')) return runSqlite(spec);
  const client = new pg.Client({ connectionString: spec.url, statement_timeout: spec.timeoutMs, query_timeout: spec.timeoutMs, connectionTimeoutMillis: Math.min(spec.timeoutMs, 30_000) });
  const onAbort = () => void client.end().catch(() => {});
  env.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    const res = await client.query({ text: spec.query, values: spec.params ?? [], queryMode: 'extended' } as pg.QueryConfig);
    return shape(res.rows ?? [], res.rowCount ?? 0);
  } catch (e) {
    if (env.signal.aborted) throw env.signal.reason;
    throw new StepFailure(`query failed: ${(e as Error).message}`);
  } finally {
    env.signal.removeEventListener('abort', onAbort);
    await client.end().catch(() => {});
  }
}

function runSqlite(spec: SqlSpec): SqlOutput {
  const path = spec.url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(path, { fileMustExist: true, timeout: spec.timeoutMs });
    const stmt = db.prepare(spec.query);
    const params = (spec.params ?? []).map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
    if (stmt.reader) {
      const rows = stmt.all(...params) as Record<string, unknown>[];
      return shape(rows, rows.length);
    }
    const info = stmt.run(...params);
    return shape([], info.changes);
  } catch (e) {
    throw new StepFailure(`query failed: ${(e as Error).message}`);
  } finally {
    db?.close();
  }
}

function shape(rows: Record<string, unknown>[], count: number): SqlOutput {
  const kept = rows.slice(0, ROW_LIMIT).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? clip(v) : v instanceof Date ? v.toISOString() : v])));
  return { rows: kept, row_count: count };
}
