import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import pg from 'pg';
import { pgConnection, runTool, tee } from './tools.ts';

const PG_DUMP = 'pg_dump';
const PG_RESTORE = 'pg_restore';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Rows per table and applied migrations, as one transaction (or snapshot) sees them. */
async function facts(c: pg.Client): Promise<{ rowCounts: Record<string, number>; migrations: string[] }> {
  const { rows } = await c.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`);
  const rowCounts: Record<string, number> = {};
  for (const { name } of rows) rowCounts[name] = Number((await c.query<{ n: string }>(`select count(*) as n from ${ident(name)}`)).rows[0].n);
  const migrations = rowCounts.kysely_migration !== undefined ? (await c.query<{ name: string }>('select name from kysely_migration order by name')).rows.map((r) => r.name) : [];
  return { rowCounts, migrations };
}

export interface PgSnapshotFacts {
  integrity: { ok: boolean; detail: string };
  rowCounts: Record<string, number>;
  migrations: string[];
}

/**
 * Streams `pg_dump` (custom format, uncompressed: the backup compresses per chunk, in parallel)
 * into `sink`. The row counts are taken in the very snapshot pg_dump dumps (an exported snapshot),
 * and the same bytes are read back by `pg_restore` into /dev/null as they pass, so a dump that
 * pg_restore could not read never leaves the machine.
 */
export async function pgSnapshot(url: string, sink: Writable): Promise<PgSnapshotFacts> {
  const conn = pgConnection(url);
  return withClient(url, async (c) => {
    await c.query('begin isolation level repeatable read read only');
    try {
      const snapshot = (await c.query<{ s: string }>('select pg_export_snapshot() as s')).rows[0].s;
      const counted = await facts(c);
      const dump = runTool(PG_DUMP, ['--format=custom', '--compress=0', `--snapshot=${snapshot}`, '--no-sync', `--dbname=${conn.url}`], { env: conn.env });
      // --list would read only the table of contents; writing the script reads every data block.
      const check = runTool(PG_RESTORE, ['--file=/dev/null'], { env: conn.env, stdin: 'pipe', stdout: 'ignore' });
      try {
        await Promise.all([tee(dump.child.stdout!, [sink, check.child.stdin!]), dump.done]);
        await check.done;
      } catch (e) {
        dump.kill();
        check.kill();
        throw e;
      }
      return { integrity: { ok: true, detail: 'pg_dump exited 0; pg_restore read the whole archive' }, ...counted };
    } finally {
      await c.query('rollback').catch(() => {});
    }
  });
}

/** Tables in the database's schema: zero means it is empty and safe to restore into. */
export async function pgTableCount(url: string): Promise<number> {
  return withClient(url, async (c) => Number((await c.query<{ n: string }>(`select count(*) as n from information_schema.tables where table_schema = current_schema()`)).rows[0].n));
}

/**
 * Restores a custom-format archive from `source` in ONE transaction: if anything fails, the
 * database is as it was. `clean` drops the archive's objects first (a forced restore).
 */
export async function pgRestore(url: string, source: Readable, opts: { clean: boolean }): Promise<void> {
  const conn = pgConnection(url);
  const args = ['--no-owner', '--no-acl', '--single-transaction', '--exit-on-error', ...(opts.clean ? ['--clean', '--if-exists'] : []), `--dbname=${conn.url}`];
  const restore = runTool(PG_RESTORE, args, { env: conn.env, stdin: 'pipe', stdout: 'ignore' });
  try {
    await Promise.all([tee(source, [restore.child.stdin!]), restore.done]);
  } catch (e) {
    restore.kill();
    throw e;
  }
}

/** Rows and migrations of a restored database. */
export const pgFacts = (url: string) => withClient(url, facts);

/** A throwaway database on the same server (for verification), dropped by `drop` whatever happened. */
export async function pgScratchDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `firebreak_verify_${randomBytes(5).toString('hex')}`;
  await withClient(url, (c) => c.query(`create database ${ident(name)}`));
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      await withClient(url, (c) => c.query(`drop database if exists ${ident(name)} with (force)`)).catch(() => {});
    },
  };
}
