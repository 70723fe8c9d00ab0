import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { withTransaction } from '../../db/transaction.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { CHUNK_BYTES, SealStream, type SealStats } from './crypto-stream.ts';
import { sealingWorker, type SealingWorker } from './sealed-files.ts';
import { backupError } from './errors.ts';
import { loadMasterKey, wrapDataKey } from './keys.ts';
import { withBackupLease } from './lock.ts';
import { MANIFEST_FORMAT, newBackupId, signManifest, type Manifest } from './manifest.ts';
import { pgSnapshot } from './postgres-engine.ts';
import { insertCompleteBackup, insertFailedBackup } from './repository.ts';
import { backupsOf, scratchDir, selectTargets, type BackupEnv } from './run-context.ts';
import { snapshotFacts, sqliteSnapshot } from './sqlite-engine.ts';

export interface CreateBackupResult {
  manifest: Manifest;
  targets: { id: string; location: string; ok: boolean; error?: string }[];
}

/** Who holds the backup lease: this run, in this process on this host (two runs in one process are two holders). */
export const leaseOwner = () => `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;

/**
 * `firebreak backup create`: one consistent snapshot, checked, compressed and encrypted once into
 * scratch space, then stored in every selected target (data first, manifest last). Refuses while
 * another backup, verification or prune holds the lease (BACKUP_LOCKED).
 */
export async function createBackup(ctx: Ctx, env: BackupEnv, input: { target?: string } = {}): Promise<CreateBackupResult> {
  requireRole(ctx, 'admin');
  const backups = backupsOf(ctx.config.current);
  const master = loadMasterKey(backups, env.env);
  const targets = await selectTargets(ctx, env.dataDir, input.target);
  const held = await withBackupLease(ctx, leaseOwner(), async () => {
    const started = Date.now();
    const createdAt = ctx.clock.now();
    const id = newBackupId(createdAt, randomBytes(3).toString('hex'));
    const scratch = await scratchDir(env.dataDir);
    const sealedPath = join(scratch, `${id}.fbk`);
    const snapshotPath = join(scratch, `${id}.snapshot.db`);
    let worker: SealingWorker | null = null;
    try {
      const dataKey = randomBytes(32);
      let sealStats: SealStats;
      let facts: { integrity: { ok: boolean; detail: string }; rowCounts: Record<string, number>; migrations: string[] };
      let snapshotMs: number;
      env.progress?.({ phase: 'snapshot', done: 0, total: null });
      if (env.store.engine === 'sqlite') {
        // Boots while the snapshot is copied (the copy keeps one core busy, the boot the other).
        worker = sealingWorker();
        await sqliteSnapshot(env.store.file, snapshotPath);
        snapshotMs = Date.now() - started;
        const total = (await stat(snapshotPath)).size;
        let read = 0;
        // The check reads the snapshot on one core while the other seals it: the sealed file
        // stays in scratch space until the check has passed, so nothing unchecked leaves.
        // Both are waited for, so neither is still reading the snapshot when it is removed.
        const onBytes = (n: number) => env.progress?.({ phase: 'encrypt', done: (read += n), total });
        const [checked, sealed] = await Promise.allSettled([snapshotFacts(snapshotPath), worker.seal(snapshotPath, sealedPath, dataKey, backups.compression_level, onBytes)]);
        if (sealed.status === 'rejected') throw sealed.reason;
        if (checked.status === 'rejected') throw checked.reason;
        facts = checked.value;
        sealStats = sealed.value;
        if (!facts.integrity.ok) throw backupError('BACKUP_CHECK_FAILED', `the snapshot failed SQLite's quick_check, nothing was stored: ${facts.integrity.detail}`);
      } else {
        const seal = new SealStream(dataKey, backups.compression_level);
        const tick = setInterval(() => env.progress?.({ phase: 'snapshot', done: seal.stats().plaintextBytes, total: null }), 200);
        try {
          [facts] = await Promise.all([pgSnapshot(env.store.url, seal), pipeline(seal, createWriteStream(sealedPath))]);
        } finally {
          clearInterval(tick);
        }
        snapshotMs = Date.now() - started;
        if (!facts.integrity.ok) throw backupError('BACKUP_CHECK_FAILED', `the dump failed its check, nothing was stored: ${facts.integrity.detail}`);
        sealStats = seal.stats();
      }
      await rm(snapshotPath, { force: true });
      const s = sealStats;
      const manifest: Manifest = {
        format: MANIFEST_FORMAT,
        id,
        created_at: new Date(createdAt).toISOString(),
        created_at_ms: createdAt,
        firebreak_version: env.version,
        engine: env.store.engine,
        schema_version: facts.migrations.at(-1) ?? '',
        migrations: facts.migrations,
        snapshot: { method: env.store.engine === 'sqlite' ? 'sqlite-online-backup' : 'pg_dump-custom', duration_ms: snapshotMs },
        integrity: { check: env.store.engine === 'sqlite' ? 'sqlite-quick_check' : 'pg_restore-read', ok: true, detail: facts.integrity.detail },
        row_counts: facts.rowCounts,
        plaintext: { bytes: s.plaintextBytes, sha256: s.plaintextSha256 },
        ciphertext: { bytes: s.ciphertextBytes, sha256: s.ciphertextSha256, chunks: s.chunks },
        compression: { algorithm: 'brotli', level: backups.compression_level },
        encryption: { algorithm: 'AES-256-GCM', chunk_bytes: CHUNK_BYTES, key_id: master.id, wrapped_data_key: wrapDataKey(master, dataKey, id) },
        duration_ms: 0,
      };
      const results: CreateBackupResult['targets'] = [];
      for (const [i, target] of targets.entries()) {
        let sent = 0;
        try {
          manifest.duration_ms = Date.now() - started;
          await target.put(id, sealedPath, signManifest(master, manifest), {
            move: i === targets.length - 1,
            onBytes: (n) => env.progress?.({ phase: 'upload', done: (sent += n), total: s.ciphertextBytes }),
          });
          await withTransaction(ctx, async (tx) => {
            await insertCompleteBackup(tx, manifest, target.id);
            await writeAudit(tx, { action: 'backup.created', entityType: 'backup', entityId: id, data: { target: target.id, bytes: s.ciphertextBytes } });
          });
          results.push({ id: target.id, location: target.location, ok: true });
        } catch (e) {
          env.logger?.error({ err: e, backup: id, target: target.id }, 'backup could not be stored in a target');
          await insertFailedBackup(ctx, { id, target_id: target.id, created_at: createdAt, engine: env.store.engine, duration_ms: Date.now() - started, error: (e as Error).message });
          results.push({ id: target.id, location: target.location, ok: false, error: (e as Error).message });
        }
      }
      if (!results.some((r) => r.ok)) throw backupError('BACKUP_TOOL_FAILED', `backup ${id} could not be stored in any target: ${results.map((r) => `${r.id}: ${r.error}`).join('; ')}`);
      return { manifest, targets: results };
    } finally {
      await worker?.stop();
      await rm(sealedPath, { force: true });
      await rm(snapshotPath, { force: true });
    }
  });
  if (!held) throw backupError('BACKUP_LOCKED', 'another backup, verification or prune is running (on this or another node); try again when it has finished');
  return held.value;
}
