import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { withTransaction } from '../../db/transaction.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { backupError, backupFailureOf } from './errors.ts';
import { loadMasterKey } from './keys.ts';
import { withBackupLease } from './lock.ts';
import type { Manifest } from './manifest.ts';
import { openBackup, plaintextOf, plaintextToFile, resolveBackupId } from './open-backup.ts';
import { pgFacts, pgRestore, pgScratchDatabase } from './postgres-engine.ts';
import { recordVerification } from './repository.ts';
import { backupsOf, countDifferences, scratchDir, selectTargets, type BackupEnv } from './run-context.ts';
import { sealingWorker, type SealingWorker } from './sealed-files.ts';
import { inspectSqlite } from './sqlite-engine.ts';
import { leaseOwner } from './create-backup.ts';

export interface VerifyResult {
  id: string;
  target: string;
  ok: boolean;
  /** Download, decryption, restore into scratch and checks: the measured restore time. */
  duration_ms: number;
  manifest: Manifest;
  checks: { name: string; ok: boolean; detail: string }[];
}

/**
 * `firebreak backup verify`: downloads a backup (the newest by default), checks its manifest and
 * hashes, restores it into a scratch database (a file for SQLite, a throwaway database on the same
 * PostgreSQL server), runs the integrity check and compares row counts with the manifest. The
 * outcome and its duration are recorded; a failure throws with the reason.
 */
export async function verifyBackup(ctx: Ctx, env: BackupEnv, input: { target?: string; id?: string } = {}): Promise<VerifyResult> {
  requireRole(ctx, 'admin');
  const master = loadMasterKey(backupsOf(ctx.config.current), env.env);
  const [target] = await selectTargets(ctx, env.dataDir, input.target ?? backupsOf(ctx.config.current).targets[0].id);
  const id = await resolveBackupId(target, input.id);
  const held = await withBackupLease(ctx, leaseOwner(), async () => {
    const started = Date.now();
    const scratch = await scratchDir(env.dataDir);
    let manifest: Manifest | null = null;
    // Boots while the backup is fetched; a PostgreSQL backup streams into pg_restore instead.
    const worker = env.store.engine === 'sqlite' ? sealingWorker() : null;
    try {
      const opened = await openBackup(target, id, master, scratch, env, false);
      manifest = opened.manifest;
      try {
        const checks = await restoreIntoScratch(opened, scratch, env, worker);
        const result: VerifyResult = { id, target: target.id, ok: true, duration_ms: Date.now() - started, manifest, checks };
        await withTransaction(ctx, async (tx) => {
          await recordVerification(tx, manifest!, target.id, { at: ctx.clock.now(), ok: true, ms: result.duration_ms, error: null });
          await writeAudit(tx, { action: 'backup.verified', entityType: 'backup', entityId: id, data: { target: target.id, duration_ms: result.duration_ms } });
        });
        return result;
      } finally {
        await opened.cleanup();
      }
    } catch (e) {
      await worker?.stop();
      if (manifest) await recordVerification(ctx, manifest, target.id, { at: ctx.clock.now(), ok: false, ms: Date.now() - started, error: (e as Error).message }).catch(() => {});
      throw e;
    }
  });
  if (!held) throw backupError('BACKUP_LOCKED', 'another backup, verification or prune is running (on this or another node); try again when it has finished');
  return held.value;
}

async function restoreIntoScratch(opened: Awaited<ReturnType<typeof openBackup>>, scratch: string, env: BackupEnv, worker: SealingWorker | null) {
  const m = opened.manifest;
  let read = 0;
  const onBytes = (n: number) => env.progress?.({ phase: 'restore', done: (read += n), total: m.ciphertext.bytes });
  // Started only when its consumer is attached: a refusal must reach the consumer, not go unhandled.
  const decrypt = () => plaintextOf(opened, onBytes);
  const checks: VerifyResult['checks'] = [];
  let counts: Record<string, number>;
  if (m.engine === 'sqlite') {
    const file = join(scratch, `${m.id}.verify.db`);
    try {
      await plaintextToFile(opened, file, worker ?? sealingWorker(), onBytes);
      checks.push({ name: 'hashes', ok: true, detail: 'ciphertext and plaintext SHA-256 match the manifest' });
      env.progress?.({ phase: 'check', done: 0, total: null });
      const facts = await inspectSqlite(file, true);
      checks.push({ name: 'integrity_check', ok: facts.integrity.ok, detail: facts.integrity.detail });
      if (!facts.integrity.ok) throw backupError('BACKUP_CHECK_FAILED', `the restored copy of ${m.id} fails SQLite's integrity_check: ${facts.integrity.detail}`);
      counts = facts.rowCounts;
    } finally {
      await rm(file, { force: true });
      await rm(`${file}-journal`, { force: true });
    }
  } else {
    if (env.store.engine !== 'postgres') throw backupError('BACKUP_ENGINE_MISMATCH', `backup ${m.id} is a PostgreSQL dump; verifying it needs DATABASE_URL to name a PostgreSQL server`);
    const db = await pgScratchDatabase(env.store.url);
    const plain = decrypt();
    try {
      await pgRestore(db.url, plain.stream, { clean: false });
      plain.check();
      checks.push({ name: 'hashes', ok: true, detail: 'ciphertext and plaintext SHA-256 match the manifest' });
      checks.push({ name: 'pg_restore', ok: true, detail: 'restored in one transaction without errors' });
      counts = (await pgFacts(db.url)).rowCounts;
    } catch (e) {
      // pg_restore's own error is secondary when the backup itself was refused first.
      throw backupFailureOf(e) === 'BACKUP_TOOL_FAILED' && plain.stream.errored ? plain.stream.errored : e;
    } finally {
      await db.drop();
    }
  }
  const diff = countDifferences(m.row_counts, counts);
  checks.push({ name: 'row counts', ok: diff.length === 0, detail: diff.length ? diff.join('; ') : `${Object.keys(counts).length} tables match` });
  if (diff.length) throw backupError('BACKUP_CHECK_FAILED', `the restored copy of ${m.id} differs from its manifest: ${diff.join('; ')}`);
  return checks;
}
