import { z } from 'zod';
import { isoTime } from '../../lib/iso-time.ts';
import { requireRole, type Ctx } from '../context.ts';
import { backupError, backupFailureOf } from './errors.ts';
import { loadMasterKey, type MasterKey } from './keys.ts';
import { openManifest, type Manifest } from './manifest.ts';
import { listBackupRows, type BackupRow } from './repository.ts';
import type { BackupEnv } from './run-context.ts';
import { openTargets, type BackupTarget } from './targets.ts';

/** How many backups per target are described (newest first) unless asked otherwise. */
export const DEFAULT_BACKUP_LIMIT = 50;

export const listBackupsQuery = z.strictObject({
  target: z.string().min(1).max(63).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(DEFAULT_BACKUP_LIMIT),
});

const refusal = z.object({ reason: z.string(), message: z.string() });

/** What a backup's authenticated manifest says about it; the wrapped data key is left out on purpose. */
const manifestFacts = z.object({
  firebreak_version: z.string(),
  engine: z.string(),
  schema_version: z.string(),
  migrations: z.number(),
  snapshot: z.object({ method: z.string(), duration_ms: z.number() }),
  integrity: z.object({ check: z.string(), ok: z.boolean(), detail: z.string() }),
  tables: z.number(),
  rows: z.number(),
  plaintext: z.object({ bytes: z.number(), sha256: z.string() }),
  ciphertext: z.object({ bytes: z.number(), sha256: z.string(), chunks: z.number() }),
  compression: z.object({ algorithm: z.string(), level: z.number() }),
  encryption: z.object({ algorithm: z.string(), chunk_bytes: z.number(), key_id: z.string() }),
  duration_ms: z.number(),
});

export const backupEntryView = z.object({
  id: z.string(),
  target: z.string(),
  /** complete, failed or deleted (by retention) as the database recorded it; `unrecorded` for a backup only the target knows. */
  status: z.string(),
  created_at: z.string(),
  engine: z.string(),
  schema_version: z.string(),
  plaintext_bytes: z.number(),
  stored_bytes: z.number(),
  duration_ms: z.number(),
  error: z.string().nullable(),
  /** Whether the target holds the backup's manifest now (null when the target was not read). */
  in_target: z.boolean().nullable(),
  manifest: manifestFacts.nullable(),
  /** Why the manifest could not be read or trusted (wrong key, corrupt), when it could not. */
  manifest_error: refusal.nullable(),
  /** The last restore test: when, its outcome, the measured restore time and why it failed. */
  verification: z.object({ at: z.string(), ok: z.boolean(), restore_ms: z.number().nullable(), error: z.string().nullable() }).nullable(),
});
export type BackupEntryView = z.output<typeof backupEntryView>;

export const backupTargetView = z.object({
  id: z.string(),
  kind: z.enum(['local', 's3']).nullable(),
  /** Where the target is (never credentials); null for a target no longer in the config. */
  location: z.string().nullable(),
  configured: z.boolean(),
  /** Why its listing could not be read, when it could not (the database's records are still shown). */
  error: refusal.nullable(),
  backups: z.array(backupEntryView),
});
export type BackupTargetView = z.output<typeof backupTargetView>;

export const backupStatusView = z.object({
  last_backup_at: z.string().nullable(),
  last_verification_at: z.string().nullable(),
  last_verification_ok: z.boolean().nullable(),
  last_successful_verification_at: z.string().nullable(),
  /** Now minus the newest restorable point of Firebreak's own data; null without any backup. */
  rpo_exposure_seconds: z.number().nullable(),
});

export const backupListingView = z.object({
  configured: z.boolean(),
  /** Scheduled backups and restore tests run in the server (backups.enabled). */
  scheduled: z.boolean(),
  every_seconds: z.number().nullable(),
  verify_every_seconds: z.number().nullable(),
  /** The id of the configured master key (public), so a manifest's key id can be compared with it. */
  key_id: z.string().nullable(),
  key_error: refusal.nullable(),
  status: backupStatusView,
  targets: z.array(backupTargetView),
});
export type BackupListing = z.output<typeof backupListingView>;

const iso = (ms: number | null) => (ms === null ? null : isoTime(Number(ms)));
const refusalOf = (e: unknown) => ({ reason: backupFailureOf(e) ?? 'ERROR', message: (e as Error).message });

function factsOf(m: Manifest): z.output<typeof manifestFacts> {
  const counts = Object.values(m.row_counts);
  return {
    firebreak_version: m.firebreak_version,
    engine: m.engine,
    schema_version: m.schema_version,
    migrations: m.migrations.length,
    snapshot: m.snapshot,
    integrity: m.integrity,
    tables: counts.length,
    rows: counts.reduce((a, b) => a + b, 0),
    plaintext: m.plaintext,
    ciphertext: m.ciphertext,
    compression: m.compression,
    encryption: { algorithm: m.encryption.algorithm, chunk_bytes: m.encryption.chunk_bytes, key_id: m.encryption.key_id },
    duration_ms: m.duration_ms,
  };
}

const verificationOf = (r: BackupRow | undefined) =>
  r?.verified_at == null ? null : { at: isoTime(Number(r.verified_at)), ok: Number(r.verify_ok) === 1, restore_ms: r.verify_ms === null ? null : Number(r.verify_ms), error: r.verify_error };

/**
 * Backup health from the database's records (what /metrics reports): the newest complete backup,
 * the newest restore test and the RPO exposure of Firebreak's own data.
 */
export function backupStatus(rows: BackupRow[], now: number): z.output<typeof backupStatusView> {
  let lastBackup: number | null = null;
  let lastVerify: BackupRow | null = null;
  let lastGood: number | null = null;
  for (const r of rows) {
    if (r.status === 'complete') lastBackup = Math.max(lastBackup ?? 0, Number(r.created_at));
    if (r.verified_at == null) continue;
    if (!lastVerify || Number(r.verified_at) > Number(lastVerify.verified_at)) lastVerify = r;
    if (Number(r.verify_ok) === 1) lastGood = Math.max(lastGood ?? 0, Number(r.verified_at));
  }
  return {
    last_backup_at: iso(lastBackup),
    last_verification_at: iso(lastVerify ? Number(lastVerify.verified_at) : null),
    last_verification_ok: lastVerify ? Number(lastVerify.verify_ok) === 1 : null,
    last_successful_verification_at: iso(lastGood),
    rpo_exposure_seconds: lastBackup === null ? null : Math.max(0, Math.round((now - lastBackup) / 1000)),
  };
}

type ManifestRead = { manifest: z.output<typeof manifestFacts> | null; error: z.output<typeof refusal> | null };

/** Reads and authenticates manifests a few at a time: an S3 target answers each in a round trip. */
async function readManifests(target: BackupTarget, ids: string[], master: MasterKey | null, keyError: unknown): Promise<Map<string, ManifestRead>> {
  const out = new Map<string, ManifestRead>();
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      if (!master) {
        out.set(id, { manifest: null, error: refusalOf(keyError) });
        continue;
      }
      try {
        out.set(id, { manifest: factsOf(openManifest(master, await target.readManifest(id), id)), error: null });
      } catch (e) {
        out.set(id, { manifest: null, error: refusalOf(e) });
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return out;
}

function entryOf(targetId: string, id: string, row: BackupRow | undefined): BackupEntryView {
  // Backup ids carry their snapshot's time (newBackupId): enough for one the database never recorded.
  const m = /^fbk-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(id);
  const idTime = m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]) : 0;
  return {
    id,
    target: targetId,
    status: row?.status ?? 'unrecorded',
    created_at: isoTime(row ? Number(row.created_at) : idTime),
    engine: row?.engine ?? '',
    schema_version: row?.schema_version ?? '',
    plaintext_bytes: Number(row?.plaintext_bytes ?? 0),
    stored_bytes: Number(row?.stored_bytes ?? 0),
    duration_ms: Number(row?.duration_ms ?? 0),
    error: row?.error ?? null,
    in_target: null,
    manifest: null,
    manifest_error: null,
    verification: verificationOf(row),
  };
}

/**
 * Backups per target, newest first: the database's record of each (status, sizes, the last restore
 * test) joined with what the target holds (the authenticated manifest's facts), so a backup the
 * database never recorded (made before a restore) is listed too. Without `env` (no access to the
 * targets), or when backups are not configured, only the database's records are described.
 * Targets no longer in the config are listed from their records. Admin only: it is the server's data.
 */
export async function listBackups(ctx: Ctx, env: Pick<BackupEnv, 'dataDir' | 'env'> | null, input: unknown = {}): Promise<BackupListing> {
  requireRole(ctx, 'admin');
  const query = listBackupsQuery.parse(input ?? {});
  const cfg = ctx.config.current.backups;
  const rows = await listBackupRows(ctx);
  const configured = cfg.configured ? cfg.targets : [];
  const known = [...configured.map((t) => t.id), ...new Set(rows.map((r) => r.target_id).filter((id) => !configured.some((t) => t.id === id)))];
  if (query.target && !known.includes(query.target)) {
    throw backupError('UNKNOWN_TARGET', `no backup target "${query.target}" in the config or the records (targets: ${known.join(', ') || 'none'})`);
  }
  let master: MasterKey | null = null;
  let keyError: unknown = null;
  if (cfg.configured && env) {
    try {
      master = loadMasterKey(cfg, env.env);
    } catch (e) {
      keyError = e;
    }
  }
  const opened = cfg.configured && env ? await openTargets(configured.filter((t) => !query.target || t.id === query.target), env.dataDir) : [];
  const targets: BackupTargetView[] = [];
  for (const id of known.filter((t) => !query.target || t === query.target)) {
    const target = opened.find((t) => t.id === id);
    const mine = new Map(rows.filter((r) => r.target_id === id).map((r) => [r.id, r]));
    let stored: string[] | null = null;
    let error: z.output<typeof refusal> | null = null;
    if (target) {
      try {
        stored = await target.list();
      } catch (e) {
        error = refusalOf(e);
      }
    }
    const ids = [...new Set([...mine.keys(), ...(stored ?? [])])].sort().reverse().slice(0, query.limit);
    const present = new Set(stored ?? []);
    const manifests = target && stored ? await readManifests(target, ids.filter((i) => present.has(i)), master, keyError) : new Map<string, ManifestRead>();
    const backups = ids.map((bid) => {
      const e = entryOf(id, bid, mine.get(bid));
      if (stored) e.in_target = present.has(bid);
      const read = manifests.get(bid);
      if (read) {
        e.manifest = read.manifest;
        e.manifest_error = read.error;
        // A backup only the target knows of: its facts come from its manifest.
        if (!mine.has(bid) && read.manifest) Object.assign(e, { engine: read.manifest.engine, schema_version: read.manifest.schema_version, plaintext_bytes: read.manifest.plaintext.bytes, stored_bytes: read.manifest.ciphertext.bytes, duration_ms: read.manifest.duration_ms });
      }
      return e;
    });
    const conf = configured.find((t) => t.id === id);
    targets.push({ id, kind: conf?.type ?? null, location: target?.location ?? null, configured: !!conf, error, backups });
  }
  return {
    configured: cfg.configured,
    scheduled: cfg.enabled,
    every_seconds: cfg.configured ? Math.round(cfg.every / 1000) : null,
    verify_every_seconds: cfg.configured ? Math.round(cfg.verify_every / 1000) : null,
    key_id: master?.id ?? null,
    key_error: keyError ? refusalOf(keyError) : null,
    status: backupStatus(rows, ctx.clock.now()),
    targets,
  };
}
