import { backupError } from './errors.ts';
import { macMatches, manifestMac, type MasterKey } from './keys.ts';

/**
 * Format 2 compresses chunks with brotli (format 1 used deflate); the data file's frames say which,
 * so both are read. A Firebreak that knows only format 1 refuses a format 2 backup as unreadable
 * rather than calling it corrupt.
 */
export const MANIFEST_FORMAT = 'firebreak-backup/2';
export const READABLE_FORMATS: readonly string[] = ['firebreak-backup/1', MANIFEST_FORMAT];

/** What a backup says about itself (docs/backups.md). Written after the data, so its presence means complete. */
export interface Manifest {
  format: 'firebreak-backup/1' | typeof MANIFEST_FORMAT;
  id: string;
  /** The snapshot's time (ISO 8601, UTC) and the same in epoch ms. */
  created_at: string;
  created_at_ms: number;
  firebreak_version: string;
  engine: 'sqlite' | 'postgres';
  /** The newest migration in the snapshot, and all of them. */
  schema_version: string;
  migrations: string[];
  snapshot: { method: 'sqlite-online-backup' | 'pg_dump-custom'; duration_ms: number };
  integrity: { check: 'sqlite-quick_check' | 'pg_restore-read'; ok: true; detail: string };
  /** Rows per table in the snapshot; verify compares a restored copy against these. */
  row_counts: Record<string, number>;
  plaintext: { bytes: number; sha256: string };
  ciphertext: { bytes: number; sha256: string; chunks: number };
  /** Level 0 stores chunks uncompressed. */
  compression: { algorithm: 'deflate-raw' | 'brotli'; level: number };
  encryption: { algorithm: 'AES-256-GCM'; chunk_bytes: number; key_id: string; wrapped_data_key: string };
  duration_ms: number;
}

type Signed = Manifest & { mac: string };

/** The manifest as stored: its fields, then an HMAC over them under the master key. */
export function signManifest(master: MasterKey, m: Manifest): string {
  const body = JSON.stringify(m);
  return `${JSON.stringify({ ...m, mac: manifestMac(master, body) } satisfies Signed, null, 2)}\n`;
}

/**
 * Parses and authenticates a stored manifest. A key id that differs from the configured key's is
 * reported as such before anything else, since that is the usual mistake.
 */
export function openManifest(master: MasterKey, text: string, id: string): Manifest {
  let parsed: Signed;
  try {
    parsed = JSON.parse(text) as Signed;
  } catch {
    throw backupError('BACKUP_CORRUPT', `the manifest of backup ${id} is not valid JSON`);
  }
  if (!READABLE_FORMATS.includes(parsed?.format)) throw backupError('BACKUP_UNREADABLE', `the manifest of backup ${id} is not a ${READABLE_FORMATS.join(' or ')} manifest`);
  if (parsed.encryption?.key_id !== master.id) {
    throw backupError('BACKUP_WRONG_KEY', `backup ${id} was encrypted with key ${String(parsed.encryption?.key_id)}, but the configured key is ${master.id}`, { backup_key_id: parsed.encryption?.key_id, configured_key_id: master.id });
  }
  const { mac, ...fields } = parsed;
  if (typeof mac !== 'string' || !macMatches(mac, manifestMac(master, JSON.stringify(fields)))) {
    throw backupError('BACKUP_CORRUPT', `the manifest of backup ${id} fails its authentication check (it was changed after it was written)`);
  }
  if (fields.id !== id) throw backupError('BACKUP_CORRUPT', `the manifest stored as ${id} describes backup ${fields.id}`);
  return fields;
}

/** Backup ids sort by time: fbk-20261205T121500123Z-1a2b3c. */
export function newBackupId(at: number, random: string): string {
  return `fbk-${new Date(at).toISOString().replace(/[-:.]/g, '')}-${random}`;
}

export const BACKUP_ID = /^fbk-\d{8}T\d{9}Z-[0-9a-f]{6}$/;
