import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { OpenStream } from './crypto-stream.ts';
import type { SealingWorker } from './sealed-files.ts';
import { backupError } from './errors.ts';
import { unwrapDataKey, type MasterKey } from './keys.ts';
import { openManifest, type Manifest } from './manifest.ts';
import { sha256File, type BackupEnv } from './run-context.ts';
import type { BackupTarget } from './targets.ts';

export interface OpenedBackup {
  manifest: Manifest;
  dataKey: Buffer;
  path: string;
  cleanup(): Promise<void>;
}

/** The newest complete backup in a target, or the one named. */
export async function resolveBackupId(target: BackupTarget, id?: string): Promise<string> {
  if (id) return id;
  const ids = await target.list();
  if (!ids.length) throw backupError('BACKUP_NOT_FOUND', `target ${target.id} (${target.location}) holds no backups`);
  return ids.at(-1)!;
}

/**
 * Authenticates the manifest, opens the data key and brings the data file here. With `checkFirst`,
 * the whole file's size and SHA-256 are checked before returning, so a damaged or truncated backup
 * is refused before anything is written anywhere.
 */
export async function openBackup(target: BackupTarget, id: string, master: MasterKey, scratch: string, env: BackupEnv, checkFirst: boolean): Promise<OpenedBackup> {
  const manifest = openManifest(master, await target.readManifest(id), id);
  const dataKey = unwrapDataKey(master, manifest.encryption.wrapped_data_key, id);
  let got = 0;
  const data = await target.fetchData(id, scratch, (n) => env.progress?.({ phase: 'download', done: (got += n), total: manifest.ciphertext.bytes }));
  try {
    if (data.size < manifest.ciphertext.bytes) throw backupError('BACKUP_TRUNCATED', `backup ${id} is truncated: ${data.size} of ${manifest.ciphertext.bytes} bytes`);
    if (data.size > manifest.ciphertext.bytes) throw backupError('BACKUP_CORRUPT', `backup ${id} is ${data.size} bytes, its manifest says ${manifest.ciphertext.bytes}`);
    if (checkFirst) {
      let read = 0;
      const h = await sha256File(data.path, (n) => env.progress?.({ phase: 'check', done: (read += n), total: data.size }));
      if (h.sha256 !== manifest.ciphertext.sha256) throw backupError('BACKUP_CORRUPT', `backup ${id} does not match its manifest's SHA-256: it was changed or damaged after it was written`);
    }
    return { manifest, dataKey, path: data.path, cleanup: data.cleanup };
  } catch (e) {
    await data.cleanup();
    throw e;
  }
}

/** Hashes of a backup's two sides against its manifest; throws BACKUP_CORRUPT with the side that differs. */
function checkHashes(m: Manifest, ciphertextSha256: string, plaintext: { plaintextBytes: number; plaintextSha256: string }) {
  if (ciphertextSha256 !== m.ciphertext.sha256) throw backupError('BACKUP_CORRUPT', `backup ${m.id} does not match its manifest's ciphertext SHA-256`);
  if (plaintext.plaintextBytes !== m.plaintext.bytes || plaintext.plaintextSha256 !== m.plaintext.sha256) throw backupError('BACKUP_CORRUPT', `backup ${m.id} decrypts to data that does not match its manifest's plaintext SHA-256`);
}

/**
 * Writes the plaintext of an opened backup to `dest` (in `worker`) and checks both sides'
 * hashes against the manifest. A refusal leaves a partial file at `dest` for the caller to remove.
 */
export async function plaintextToFile(opened: OpenedBackup, dest: string, worker: SealingWorker, onBytes?: (n: number) => void): Promise<void> {
  const s = await worker.open(opened.path, dest, opened.dataKey, onBytes);
  checkHashes(opened.manifest, s.ciphertextSha256, s);
}

/** The plaintext of an opened backup as a stream, with running hashes of both sides to check at the end. */
export function plaintextOf(opened: OpenedBackup, onBytes?: (n: number) => void): { stream: OpenStream; check(): void } {
  const open = new OpenStream(opened.dataKey);
  const source = createReadStream(opened.path, { highWaterMark: 1 << 20 });
  const hash = createHash('sha256');
  source.on('data', (c) => {
    hash.update(c as Buffer);
    onBytes?.((c as Buffer).length);
  });
  source.on('error', (e) => open.destroy(e));
  source.pipe(open);
  return {
    stream: open,
    check() {
      checkHashes(opened.manifest, hash.digest('hex'), open.stats());
    },
  };
}
