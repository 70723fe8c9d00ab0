import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const BETTER_SQLITE3 = require.resolve('better-sqlite3');

/**
 * SQLite work that takes seconds per gigabyte (copying pages, checking every page, counting rows)
 * runs in a worker thread with its own connection, so a server taking a scheduled backup keeps
 * answering. The worker is plain JavaScript: it needs no TypeScript loader.
 */
const WORKER = `
const { parentPort, workerData: w } = require('node:worker_threads');
const Database = require(w.module);
const tables = (db) => db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").pluck().all();
const counts = (db) => Object.fromEntries(tables(db).map((t) => [t, db.prepare('select count(*) from "' + t.replace(/"/g, '""') + '"').pluck().get()]));
const migrations = (db) => tables(db).includes('kysely_migration') ? db.prepare('select name from kysely_migration order by name').pluck().all() : [];
// Reading pages through a memory map rather than read() into SQLite's cache: a fifth to a third
// less CPU for the copy and the checks, which visit every page once. Reads only (SQLite writes
// through the map only when built to), and the files are not truncated while mapped.
const mapped = (db) => { db.pragma('mmap_size = 2147418112'); return db; };
const check = (db, pragma) => { const rows = db.prepare('pragma ' + pragma).pluck().all(); return { ok: rows.length === 1 && rows[0] === 'ok', detail: rows.slice(0, 20).join('; ') }; };
(async () => {
  if (w.op === 'snapshot') {
    const src = mapped(new Database(w.source, { fileMustExist: true }));
    src.pragma('busy_timeout = 10000');
    // One step for the whole file: the read lock is held throughout, so the copy is one
    // consistent point in time even while the server writes (WAL readers never block writers).
    await src.backup(w.dest, { progress: ({ totalPages }) => Math.max(totalPages, 1) });
    src.close();
    const copy = new Database(w.dest, { fileMustExist: true });
    // A self-contained file: no -wal beside it to forget.
    copy.pragma('journal_mode = DELETE');
    copy.close();
    return { copied: true };
  }
  if (w.op === 'facts') {
    const db = mapped(new Database(w.file, { fileMustExist: true, readonly: true }));
    const result = { integrity: check(db, 'quick_check'), rowCounts: counts(db), migrations: migrations(db) };
    db.close();
    return result;
  }
  if (w.op === 'pages') {
    const db = mapped(new Database(w.file, { fileMustExist: true }));
    const integrity = check(db, w.full ? 'integrity_check' : 'quick_check');
    db.close();
    return integrity;
  }
  if (w.op === 'inspect') {
    const db = new Database(w.file, { fileMustExist: true });
    db.pragma('journal_mode = DELETE');
    mapped(db);
    const fk = db.prepare('pragma foreign_key_check').all().length;
    const integrity = { ok: fk === 0, detail: fk ? fk + ' foreign key violation(s)' : '' };
    const result = { integrity, rowCounts: counts(db), migrations: migrations(db) };
    db.close();
    return result;
  }
  if (w.op === 'tables') {
    const db = new Database(w.file, { fileMustExist: true, readonly: true });
    const n = tables(db).length;
    db.close();
    return { tables: n };
  }
  throw new Error('unknown op ' + w.op);
})().then((r) => parentPort.postMessage({ ok: true, r }), (e) => parentPort.postMessage({ ok: false, message: String(e && e.message || e) }));
`;

export interface SqliteFacts {
  integrity: { ok: boolean; detail: string };
  rowCounts: Record<string, number>;
  migrations: string[];
}

function inWorker<T>(data: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { module: BETTER_SQLITE3, ...data } });
    worker.once('message', (m: { ok: boolean; r?: T; message?: string }) => (m.ok ? resolve(m.r as T) : reject(new Error(m.message))));
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`SQLite worker exited with code ${code}`)));
  });
}

/** Copies the live database into `dest` with SQLite's online backup API, as one self-contained file. */
export const sqliteSnapshot = async (source: string, dest: string): Promise<void> => {
  await inWorker<{ copied: true }>({ op: 'snapshot', source, dest });
};

/**
 * quick_check, row counts and migrations of a snapshot, read-only: it can run while the same file
 * is being compressed and encrypted, each on its own core.
 */
export const snapshotFacts = (file: string) => inWorker<SqliteFacts>({ op: 'facts', file });

/**
 * Checks (quick, or the full integrity_check) a database file's pages and its foreign keys, and
 * counts its rows. The page check is most of the time and only reads: it runs in a worker of its
 * own beside the rest, so on two cores it is the only wait.
 */
export async function inspectSqlite(file: string, full: boolean): Promise<SqliteFacts> {
  // Two readers of a file in rollback-journal mode (as every snapshot is) do not wait for each other.
  const [facts, pages] = await Promise.all([inWorker<SqliteFacts>({ op: 'inspect', file }), inWorker<SqliteFacts['integrity']>({ op: 'pages', file, full })]);
  return { ...facts, integrity: { ok: pages.ok && facts.integrity.ok, detail: [pages.detail, facts.integrity.detail].filter(Boolean).join('; ') } };
}

/** How many tables a database file has: zero means it is empty and safe to restore over. */
export const sqliteTableCount = async (file: string) => (await inWorker<{ tables: number }>({ op: 'tables', file })).tables;
