import { z } from 'zod';
import { duration, slug } from './primitives.ts';

/** A local directory; absent path means `<data dir>/backups`, resolved where the data dir is known. */
const localTargetSchema = z.strictObject({
  id: slug,
  type: z.literal('local'),
  path: z.string().min(1).optional(),
});

/** Any S3-compatible store. Credentials come through `${ENV}` substitution, never literally in the file. */
const s3TargetSchema = z.strictObject({
  id: slug,
  type: z.literal('s3'),
  /** Absent: AWS's own endpoint for the region. */
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  bucket: z.string().min(3).max(63),
  /** Key prefix inside the bucket, e.g. "firebreak/prod/". */
  prefix: z.string().max(512).default(''),
  region: z.string().min(1).default('us-east-1'),
  /** MinIO, Ceph and most self-hosted stores need path-style addressing. */
  force_path_style: z.boolean().default(false),
  access_key_id: z.string().min(1).optional(),
  secret_access_key: z.string().min(1).optional(),
});

export const backupTargetSchema = z.discriminatedUnion('type', [localTargetSchema, s3TargetSchema]);
export type BackupTargetConfig = z.output<typeof backupTargetSchema>;

/**
 * Where the 256-bit master key comes from: a file (32 raw bytes, 64 hex digits or base64) or an
 * environment variable holding hex or base64. The key itself never appears in the config.
 */
const encryptionSchema = z.union([
  z.strictObject({ key_file: z.string().min(1) }),
  z.strictObject({ key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }),
]);

/** The plan: keep-last plus daily/weekly/monthly buckets, nothing older than 35 days. */
const retentionSchema = z.strictObject({
  keep_last: z.number().int().min(1).max(1000).default(4),
  daily: z.number().int().min(0).max(1000).default(7),
  weekly: z.number().int().min(0).max(1000).default(5),
  monthly: z.number().int().min(0).max(1000).default(0),
  max_age: duration.default(35 * 24 * 3_600_000),
});
export type RetentionConfig = z.output<typeof retentionSchema>;

const backupsBody = z.strictObject({
  /** Scheduled backups, verification and pruning run in the server; the CLI works either way. */
  enabled: z.boolean().default(true),
  encryption: encryptionSchema,
  /** Default: one local target, `<data dir>/backups`. */
  targets: z.array(backupTargetSchema).min(1).max(10).default([{ id: 'local', type: 'local' }]),
  /** The plan: a backup every 6 hours. */
  every: duration.default(6 * 3_600_000),
  /** The plan's automated restore test: weekly. */
  verify_every: duration.default(7 * 24 * 3_600_000),
  retention: retentionSchema.prefault({}),
  /** deflate level 0–9 per chunk; 1 is fast and still shrinks Firebreak's text-heavy rows well. */
  compression_level: z.number().int().min(0).max(9).default(1),
  /** The service a failed backup or verification raises its incident on; the first service when absent. */
  service: slug.optional(),
}).superRefine((b, ctx) => {
  const seen = new Set<string>();
  b.targets.forEach((t, i) => {
    if (seen.has(t.id)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'id'], message: `duplicate target id "${t.id}"` });
    seen.add(t.id);
  });
});

export const backupsSchema = backupsBody.optional();

/** The backups section as the rest of Firebreak reads it; `enabled` is false when the file has none. */
export type BackupsConfig = (z.output<typeof backupsBody> & { configured: true }) | { configured: false; enabled: false };

/** An absent section means no scheduled backups (and no key to find), as before the feature existed. */
export function finishBackups(raw: z.output<typeof backupsSchema>): BackupsConfig {
  return raw ? { ...raw, configured: true } : { configured: false, enabled: false };
}
