import { verifyBackup } from '../../modules/backups/index.ts';
import { toJson } from '../format.ts';
import { CliError, type Io } from '../io.ts';
import { withLocalContext } from '../local-db.ts';
import { VERSION, type BackupFlags } from './backup-create.ts';
import { backupEnvFor, fmtBytes, progressBar, withReason } from './backup-progress.ts';

/** `firebreak backup verify [<id>] [--target ID]`: restore into scratch, check, and record the restore time. */
export async function backupVerifyCommand(args: string[], flags: BackupFlags, io: Io): Promise<number> {
  if (args.length > 1) throw new CliError('usage: firebreak backup verify [<backup-id>] [--target ID]', 2);
  const bar = progressBar(io);
  const r = await withLocalContext(flags, io, (ctx) => withReason(() => verifyBackup(ctx, backupEnvFor(flags, io, VERSION, bar.report), { target: flags.target, id: args[0] }))).finally(bar.done);
  if (flags.json) {
    io.out(toJson({ id: r.id, target: r.target, ok: r.ok, duration_ms: r.duration_ms, checks: r.checks, created_at: r.manifest.created_at }));
    return 0;
  }
  io.out(`Backup ${r.id} in ${r.target}: verified, restored in ${(r.duration_ms / 1000).toFixed(1)} s (${fmtBytes(r.manifest.plaintext.bytes)})\n`);
  for (const c of r.checks) io.out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
  return 0;
}
