import { readFileSync } from 'node:fs';
import type { Flags } from '../../config/settings.ts';
import { createBackup } from '../../modules/backups/index.ts';
import { toJson } from '../format.ts';
import { CliError, type Io } from '../io.ts';
import { withLocalContext } from '../local-db.ts';
import { backupEnvFor, fmtBytes, progressBar, withReason } from './backup-progress.ts';

export interface BackupFlags extends Flags {
  target?: string;
  force?: boolean;
  'dry-run'?: boolean;
  json?: boolean;
}

export const VERSION: string = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version;

/** `firebreak backup create [--target ID]`: snapshot, check, compress, encrypt and store a backup now. */
export async function backupCreateCommand(args: string[], flags: BackupFlags, io: Io): Promise<number> {
  if (args.length) throw new CliError('usage: firebreak backup create [--target ID]', 2);
  const bar = progressBar(io);
  const result = await withLocalContext(flags, io, (ctx) => withReason(() => createBackup(ctx, backupEnvFor(flags, io, VERSION, bar.report), { target: flags.target }))).finally(bar.done);
  if (flags.json) {
    io.out(toJson(result));
    return result.targets.every((t) => t.ok) ? 0 : 1;
  }
  const m = result.manifest;
  const secs = m.duration_ms / 1000;
  io.out(`Backup ${m.id} (${m.engine}, schema ${m.schema_version || 'empty'})\n`);
  io.out(`  snapshot ${fmtBytes(m.plaintext.bytes)} → stored ${fmtBytes(m.ciphertext.bytes)} in ${secs.toFixed(1)} s (${(m.plaintext.bytes / 1e6 / Math.max(secs, 0.001)).toFixed(0)} MB/s)\n`);
  io.out(`  integrity: ${m.integrity.check} ${m.integrity.detail}; key ${m.encryption.key_id}\n`);
  for (const t of result.targets) io.out(`  ${t.ok ? 'stored in' : 'FAILED  '} ${t.id} (${t.location})${t.error ? `: ${t.error}` : ''}\n`);
  return result.targets.every((t) => t.ok) ? 0 : 1;
}
