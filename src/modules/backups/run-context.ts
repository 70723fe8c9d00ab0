import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupsConfig } from '../../config/backup-schema.ts';
import type { FirebreakConfig } from '../../config/schema.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Ctx } from '../context.ts';
import { backupError } from './errors.ts';
import { openTargets, type BackupTarget } from './targets.ts';
import type { StoreLocation } from './tools.ts';

/** What a backup step is doing, for progress bars: `total` is null when unknown. */
export interface Progress {
  phase: 'snapshot' | 'encrypt' | 'upload' | 'download' | 'check' | 'restore' | 'migrate';
  done: number;
  total: number | null;
}

/** Everything a backup operation needs beyond the verb context: where the data is, the environment (for the key). */
export interface BackupEnv {
  store: StoreLocation;
  dataDir: string;
  env: Readonly<Record<string, string | undefined>>;
  version: string;
  logger?: Logger;
  progress?: (p: Progress) => void;
}

export type ConfiguredBackups = Extract<BackupsConfig, { configured: true }>;

export function backupsOf(config: FirebreakConfig): ConfiguredBackups {
  if (!config.backups.configured) throw backupError('BACKUPS_NOT_CONFIGURED', 'backups are not configured: add a "backups:" section with an encryption key to firebreak.yaml (see docs/configuration.md#backups)');
  return config.backups;
}

/** The configured targets, or the one named; an unknown name is refused (nothing outside the config is touched). */
export async function selectTargets(ctx: Pick<Ctx, 'config'>, dataDir: string, only?: string): Promise<BackupTarget[]> {
  const backups = backupsOf(ctx.config.current);
  const configs = only ? backups.targets.filter((t) => t.id === only) : backups.targets;
  if (only && !configs.length) throw backupError('UNKNOWN_TARGET', `no backup target "${only}" in the config (targets: ${backups.targets.map((t) => t.id).join(', ')})`);
  return openTargets(configs, dataDir);
}

/** Scratch space for snapshots and downloads, beside the data so renames stay on one file system. */
export async function scratchDir(dataDir: string): Promise<string> {
  const dir = join(dataDir, '.backup-scratch');
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function sha256File(path: string, onBytes?: (n: number) => void): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
    onBytes?.((c as Buffer).length);
  }
  return { sha256: h.digest('hex'), bytes };
}

/** Differences between two row-count maps, as readable lines (empty when equal). */
export function countDifferences(expected: Record<string, number>, actual: Record<string, number>): string[] {
  const out: string[] = [];
  for (const [t, n] of Object.entries(expected)) if (actual[t] !== n) out.push(`${t}: expected ${n} rows, found ${actual[t] ?? 'no table'}`);
  for (const t of Object.keys(actual)) if (!(t in expected)) out.push(`${t}: not in the backup`);
  return out;
}
