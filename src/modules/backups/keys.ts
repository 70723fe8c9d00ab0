import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BackupsConfig } from '../../config/backup-schema.ts';
import { backupError } from './errors.ts';

/** The operator's 256-bit key and its public id. The key never leaves this object in logs or output. */
export interface MasterKey {
  readonly id: string;
  readonly bytes: Buffer;
}

/** 32 raw bytes, 64 hex digits or base64 of 32 bytes (a trailing newline is ignored). */
export function parseKey(raw: Buffer, where: string): MasterKey {
  let bytes: Buffer | null = raw.length === 32 ? Buffer.from(raw) : null;
  if (!bytes) {
    const text = raw.toString('utf8').trim();
    if (/^[0-9a-fA-F]{64}$/.test(text)) bytes = Buffer.from(text, 'hex');
    else if (/^[A-Za-z0-9+/]{43}=?$/.test(text)) bytes = Buffer.from(text, 'base64');
  }
  if (!bytes || bytes.length !== 32) throw backupError('BACKUP_KEY_MISSING', `${where} does not hold a 256-bit key (32 raw bytes, 64 hex digits or base64); make one with: openssl rand -hex 32`);
  return { id: keyId(bytes), bytes };
}

/** A short public name for a key, so a manifest can say which key it needs without revealing it. */
export function keyId(bytes: Buffer): string {
  return createHash('sha256').update('firebreak-backup-key-id\0').update(bytes).digest('hex').slice(0, 16);
}

/** Reads the key the config names, from its file or the environment; a clear error when it cannot. */
export function loadMasterKey(backups: BackupsConfig, env: Readonly<Record<string, string | undefined>>): MasterKey {
  if (!backups.configured) throw backupError('BACKUPS_NOT_CONFIGURED', 'backups are not configured: add a "backups:" section with an encryption key to firebreak.yaml (see docs/configuration.md#backups)');
  const source = backups.encryption;
  if ('key_file' in source) {
    let raw: Buffer;
    try {
      raw = readFileSync(source.key_file);
    } catch (e) {
      throw backupError('BACKUP_KEY_MISSING', `cannot read the backup key file ${source.key_file} (backups.encryption.key_file): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return parseKey(raw, `the key file ${source.key_file}`);
  }
  const value = env[source.key_env];
  if (!value) throw backupError('BACKUP_KEY_MISSING', `the environment variable ${source.key_env} (backups.encryption.key_env) is not set; it must hold the backup key`);
  return parseKey(Buffer.from(value), `the environment variable ${source.key_env}`);
}

const WRAP_AAD = 'firebreak-backup-data-key/1\0';

/** Encrypts a backup's random data key under the master key, bound to the backup id. */
export function wrapDataKey(master: MasterKey, dataKey: Buffer, backupId: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', master.bytes, iv);
  c.setAAD(Buffer.from(WRAP_AAD + backupId));
  return Buffer.concat([iv, c.update(dataKey), c.final(), c.getAuthTag()]).toString('base64');
}

export function unwrapDataKey(master: MasterKey, wrapped: string, backupId: string): Buffer {
  const raw = Buffer.from(wrapped, 'base64');
  try {
    const d = createDecipheriv('aes-256-gcm', master.bytes, raw.subarray(0, 12));
    d.setAAD(Buffer.from(WRAP_AAD + backupId));
    d.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
  } catch {
    throw backupError('BACKUP_WRONG_KEY', `the data key of backup ${backupId} does not open with the configured key (wrong key, or the manifest was changed)`);
  }
}

/** HMAC over a manifest's text, keyed from the master key: a changed manifest is refused. */
export function manifestMac(master: MasterKey, text: string): string {
  const macKey = createHmac('sha256', master.bytes).update('firebreak-backup-manifest/1').digest();
  return createHmac('sha256', macKey).update(text).digest('hex');
}

export function macMatches(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
