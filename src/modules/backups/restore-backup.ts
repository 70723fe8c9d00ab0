import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ConfigStore } from '../../config/store.ts';
import { createDatabase } from '../../db/create-db.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { backupError } from './errors.ts';
import { loadMasterKey } from './keys.ts';
import { openBackup, plaintextOf, plaintextToFile, resolveBackupId, type OpenedBackup } from './open-backup.ts';
import { sealingWorker } from './sealed-files.ts';
import { pgFacts, pgRestore, pgTableCount } from './postgres-engine.ts';
import { backupsOf, countDifferences, scratchDir, selectTargets, type BackupEnv } from './run-context.ts';
import { inspectSqlite, sqliteTableCount } from './sqlite-engine.ts';

export interface RestoreResult {
  id: string;
  target: string;
  engine: 'sqlite' | 'postgres';
  /** Where it went: the SQLite file, or the PostgreSQL URL without its password. */
  location: string;
  schema_version: string;
  /** Migrations applied after the restore, because the backup came from an older Firebreak. */
  migrated: string[];
  duration_ms: number;
}

/**
 * `firebreak restore`: puts a backup back into the store the settings name (the data directory or
 * DATABASE_URL), never anywhere else. The whole backup is checked before anything is written; a
 * store with data in it is refused unless `force`. SQLite is rebuilt beside the live file and
 * renamed over it at the end; PostgreSQL is restored in one transaction. A backup from an older
 * schema is migrated forward. Run it with the server stopped.
 */
export async function restoreBackup(config: ConfigStore, env: BackupEnv, input: { target?: string; id?: string; force?: boolean } = {}): Promise<RestoreResult> {
  const started = Date.now();
  const backups = backupsOf(config.current);
  const master = loadMasterKey(backups, env.env);
  const [target] = await selectTargets({ config }, env.dataDir, input.target ?? backups.targets[0].id);
  const id = await resolveBackupId(target, input.id);
  const store = env.store;
  const occupied = store.engine === 'sqlite' ? existsSync(store.file) && (await sqliteTableCount(store.file)) > 0 : (await pgTableCount(store.url)) > 0;
  const where = store.engine === 'sqlite' ? store.file : redact(store.url);
  if (occupied && !input.force) throw backupError('RESTORE_TARGET_NOT_EMPTY', `${where} already holds data; restoring would replace it. Stop the server and run again with --force to replace it.`, { location: where });
  const scratch = await scratchDir(env.dataDir);
  // Boots during the hash pre-check; a PostgreSQL backup streams into pg_restore instead.
  const worker = store.engine === 'sqlite' ? sealingWorker() : null;
  let opened: OpenedBackup;
  try {
    opened = await openBackup(target, id, master, scratch, env, true);
  } catch (e) {
    await worker?.stop();
    throw e;
  }
  const m = opened.manifest;
  try {
    if (m.engine !== store.engine) throw backupError('BACKUP_ENGINE_MISMATCH', `backup ${id} is a ${m.engine} backup but the configured store is ${store.engine} (${where})`);
    let read = 0;
    const onBytes = (n: number) => env.progress?.({ phase: 'restore', done: (read += n), total: m.ciphertext.bytes });
    const decrypt = () => plaintextOf(opened, onBytes);
    let migrated: string[];
    if (store.engine === 'sqlite') {
      await mkdir(dirname(store.file), { recursive: true });
      const part = `${store.file}.restoring-${randomBytes(3).toString('hex')}`;
      try {
        await plaintextToFile(opened, part, worker ?? sealingWorker(), onBytes);
        env.progress?.({ phase: 'check', done: 0, total: null });
        const facts = await inspectSqlite(part, false);
        if (!facts.integrity.ok) throw backupError('BACKUP_CHECK_FAILED', `backup ${id} restores to a database that fails quick_check: ${facts.integrity.detail}`);
        const diff = countDifferences(m.row_counts, facts.rowCounts);
        if (diff.length) throw backupError('BACKUP_CHECK_FAILED', `backup ${id} restores to rows that differ from its manifest: ${diff.join('; ')}`);
        env.progress?.({ phase: 'migrate', done: 0, total: null });
        migrated = await migrate(`sqlite:${part}`, env.dataDir);
        // The old file's journal must not be applied to the restored one.
        await rm(`${store.file}-wal`, { force: true });
        await rm(`${store.file}-shm`, { force: true });
        await rename(part, store.file);
      } finally {
        await rm(part, { force: true });
        await rm(`${part}-journal`, { force: true });
        await rm(`${part}-wal`, { force: true });
        await rm(`${part}-shm`, { force: true });
      }
    } else {
      const plain = decrypt();
      await pgRestore(store.url, plain.stream, { clean: occupied });
      plain.check();
      const diff = countDifferences(m.row_counts, (await pgFacts(store.url)).rowCounts);
      if (diff.length) throw backupError('BACKUP_CHECK_FAILED', `the restored database differs from backup ${id}'s manifest: ${diff.join('; ')}`);
      env.progress?.({ phase: 'migrate', done: 0, total: null });
      migrated = await migrate(store.url, env.dataDir);
    }
    return { id, target: target.id, engine: store.engine, location: where, schema_version: m.schema_version, migrated, duration_ms: Date.now() - started };
  } finally {
    await worker?.stop();
    await opened.cleanup();
  }
}

async function migrate(databaseUrl: string, dataDir: string): Promise<string[]> {
  const db = createDatabase({ databaseUrl, dataDir, poolSize: 1 });
  try {
    return (await migrateToLatest(db)).applied;
  } finally {
    await db.close();
  }
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
