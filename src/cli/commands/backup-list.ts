import { listBackups } from '../../modules/backups/index.ts';
import { toJson } from '../format.ts';
import { CliError, type Io } from '../io.ts';
import { withLocalContext } from '../local-db.ts';
import { VERSION, type BackupFlags } from './backup-create.ts';
import { backupEnvFor, fmtBytes, withReason } from './backup-progress.ts';

/**
 * `firebreak backup list [--target ID]`: backups per target, newest first (the same listing as
 * GET /api/v1/backups): the database's records, backups only a target holds, and the last verification.
 */
export async function backupListCommand(args: string[], flags: BackupFlags, io: Io): Promise<number> {
  if (args.length) throw new CliError('usage: firebreak backup list [--target ID]', 2);
  const listing = await withLocalContext(flags, io, (ctx) => withReason(() => listBackups(ctx, backupEnvFor(flags, io, VERSION), { target: flags.target, limit: 500 })));
  const entries = listing.targets.flatMap((t) => t.backups);
  if (flags.json) {
    io.out(toJson(listing));
    return 0;
  }
  if (!entries.length) io.out('No backups recorded.\n');
  for (const r of entries) {
    const v = r.verification;
    const verified = v === null ? 'never verified' : `${v.ok ? 'verified' : 'VERIFY FAILED'} ${v.at}${v.restore_ms !== null ? ` (restore ${(v.restore_ms / 1000).toFixed(1)} s)` : ''}`;
    const missing = r.in_target === false && r.status === 'complete' ? '  MISSING FROM TARGET' : '';
    io.out(`${r.id}  ${r.target.padEnd(10)} ${r.status.padEnd(8)} ${fmtBytes(r.stored_bytes).padStart(10)}  ${verified}${r.error ? `  ${r.error}` : ''}${missing}\n`);
  }
  for (const t of listing.targets) if (t.error) io.out(`target ${t.id}: ${t.error.reason}: ${t.error.message}\n`);
  return 0;
}
