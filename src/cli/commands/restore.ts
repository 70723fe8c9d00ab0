import { EXAMPLE_CONFIG_PATH, formatIssues, loadConfigFile } from '../../config/load.ts';
import { resolveSettings } from '../../config/settings.ts';
import { ConfigStore } from '../../config/store.ts';
import { restoreBackup } from '../../modules/backups/index.ts';
import { toJson } from '../format.ts';
import { CliError, type Io } from '../io.ts';
import { toCliError } from '../local-db.ts';
import { VERSION, type BackupFlags } from './backup-create.ts';
import { backupEnvFor, progressBar, withReason } from './backup-progress.ts';

/**
 * `firebreak restore [<id>] [--target ID] [--force]`: into the data directory or DATABASE_URL the
 * settings name (the only place it ever writes). Unlike other local commands it needs no existing
 * database: restoring onto an empty machine is the point.
 */
export async function restoreCommand(args: string[], flags: BackupFlags, io: Io): Promise<number> {
  if (args.length > 1) throw new CliError('usage: firebreak restore [<backup-id>] [--target ID] [--force]', 2);
  const settings = resolveSettings(flags, io.env);
  const path = settings.configPath ?? EXAMPLE_CONFIG_PATH;
  const loaded = loadConfigFile(path, settings.env);
  if (!loaded.ok) throw new CliError(`CONFIG_INVALID: invalid configuration in ${path}:\n${formatIssues(path, loaded.issues)}`);
  const bar = progressBar(io);
  let r;
  try {
    r = await withReason(() => restoreBackup(new ConfigStore(loaded.config, path, settings.env), backupEnvFor(flags, io, VERSION, bar.report), { target: flags.target, id: args[0], force: flags.force })).finally(bar.done);
  } catch (e) {
    throw toCliError(e);
  }
  if (flags.json) {
    io.out(toJson(r));
    return 0;
  }
  io.out(`Restored ${r.id} from ${r.target} into ${r.location} in ${(r.duration_ms / 1000).toFixed(1)} s (schema ${r.schema_version})\n`);
  if (r.migrated.length) io.out(`  migrated forward: ${r.migrated.join(', ')}\n`);
  return 0;
}
