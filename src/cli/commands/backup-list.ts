import { listBackupRows } from '../../modules/backups/index.ts';
import { toJson } from '../format.ts';
import { CliError, type Io } from '../io.ts';
import { withLocalContext } from '../local-db.ts';
import type { BackupFlags } from './backup-create.ts';
import { fmtBytes } from './backup-progress.ts';

/** `firebreak backup list [--target ID]`: backups this database knows of, newest first, with their last verification. */
export async function backupListCommand(args: string[], flags: BackupFlags, io: Io): Promise<number> {
  if (args.length) throw new CliError('usage: firebreak backup list [--target ID]', 2);
  const rows = await withLocalContext(flags, io, (ctx) => listBackupRows(ctx, flags.target));
  if (flags.json) {
    io.out(toJson({ backups: rows }));
    return 0;
  }
  if (!rows.length) io.out('No backups recorded.\n');
  for (const r of rows) {
    const verified = r.verified_at === null ? 'never verified' : `${r.verify_ok ? 'verified' : 'VERIFY FAILED'} ${new Date(Number(r.verified_at)).toISOString()}${r.verify_ms !== null ? ` (restore ${(Number(r.verify_ms) / 1000).toFixed(1)} s)` : ''}`;
    io.out(`${r.id}  ${r.target_id.padEnd(10)} ${r.status.padEnd(8)} ${fmtBytes(Number(r.stored_bytes)).padStart(10)}  ${verified}${r.error ? `  ${r.error}` : ''}\n`);
  }
  return 0;
}
