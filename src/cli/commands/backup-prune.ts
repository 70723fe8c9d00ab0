import { pruneBackups } from '../../modules/backups/index.ts';
import { toJson } from '../format.ts';
import { CliError, type Io } from '../io.ts';
import { withLocalContext } from '../local-db.ts';
import { VERSION, type BackupFlags } from './backup-create.ts';
import { backupEnvFor, withReason } from './backup-progress.ts';

/** `firebreak backup prune [--target ID] [--dry-run]`: apply the retention policy, printing the plan first. */
export async function backupPruneCommand(args: string[], flags: BackupFlags, io: Io): Promise<number> {
  if (args.length) throw new CliError('usage: firebreak backup prune [--target ID] [--dry-run]', 2);
  const result = await withLocalContext(flags, io, (ctx) => withReason(() => pruneBackups(ctx, backupEnvFor(flags, io, VERSION), { target: flags.target, dryRun: flags['dry-run'] })));
  if (flags.json) {
    io.out(toJson({ targets: result }));
    return 0;
  }
  for (const t of result) {
    io.out(`${t.target}: keep ${t.plan.keep.length}, delete ${t.plan.delete.length}${flags['dry-run'] ? ' (dry run: nothing deleted)' : ''}\n`);
    for (const k of t.plan.keep) io.out(`  keep   ${k.id}  ${k.reasons.join(', ')}\n`);
    for (const d of t.plan.delete) io.out(`  ${flags['dry-run'] ? 'would delete' : 'deleted'} ${d.id}  ${d.reason}\n`);
  }
  return 0;
}
