import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { ZodError } from 'zod';
import { EXAMPLE_CONFIG_PATH, formatIssues, formatPath, loadConfigFile } from '../config/load.ts';
import { resolveSettings, type Flags, type Settings } from '../config/settings.ts';
import { ConfigStore } from '../config/store.ts';
import { createDatabase } from '../db/create-db.ts';
import { assertSchemaNotNewer, schemaStatus } from '../db/migrate.ts';
import { systemClock } from '../lib/clock.ts';
import { isDomainError } from '../lib/errors.ts';
import type { Actor, Ctx } from '../modules/context.ts';
import { CliError, type Io } from './io.ts';

/** The actor for local admin commands: whoever can open the database file is trusted as admin. */
export function cliActor(): Actor {
  let who = 'unknown';
  try {
    who = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep "unknown".
  }
  return { type: 'cli', userId: null, name: `cli (${who})`, role: 'admin' };
}

/**
 * Opens the same database `firebreak serve` would use (same flags and environment), runs `fn`
 * with a CLI admin context, and closes it. It never creates or migrates a database: a missing
 * database or pending migrations usually mean a wrong --data-dir/DATABASE_URL, and silently
 * creating a fresh one there would hide the mistake.
 */
export async function withLocalContext<T>(flags: Flags, io: Io, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  const settings = resolveSettings(flags, io.env);
  const sqliteFile = !settings.databaseUrl ? join(settings.dataDir, 'firebreak.db') : settings.databaseUrl.startsWith('sqlite:') ? settings.databaseUrl.slice('sqlite:'.length) : null;
  if (sqliteFile !== null && sqliteFile !== ':memory:' && !existsSync(sqliteFile)) {
    throw new CliError(
      `no Firebreak database at ${sqliteFile}. Use the same --data-dir (FIREBREAK_DATA_DIR) or DATABASE_URL as the server, ` +
        'or create the database first with "firebreak migrate" (or by starting "firebreak serve" once).',
    );
  }
  const config = loadConfig(settings);
  const db = createDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolSize: 2 });
  try {
    await assertSchemaNotNewer(db);
    const status = await schemaStatus(db);
    if (status.pending.length > 0) {
      throw new CliError(
        `the database at ${db.location} needs migration(s) ${status.pending.join(', ')}; ` +
          'run "firebreak migrate" with the same settings (or start "firebreak serve", which migrates), then try again.',
      );
    }
    return await fn({ db, config, clock: systemClock, actor: cliActor(), requestId: `cli-${process.pid}` });
  } catch (e) {
    throw toCliError(e, db.location);
  } finally {
    await db.close();
  }
}

/**
 * Same as loadConfigOrThrow in src/main.ts, without importing the server (and with it Fastify),
 * which would add about a second to every local command's start.
 */
function loadConfig(settings: Settings): ConfigStore {
  const path = settings.configPath ?? EXAMPLE_CONFIG_PATH;
  const result = loadConfigFile(path, settings.env);
  if (!result.ok) throw new CliError(`CONFIG_INVALID: invalid configuration in ${path}:\n${formatIssues(path, result.issues)}`);
  return new ConfigStore(result.config, path, settings.env);
}

/** Domain and validation errors from verbs, printed like the API's: "CODE: message". */
export function toCliError(e: unknown, location?: string): unknown {
  if (e instanceof CliError) return e;
  const code = (e as { code?: unknown })?.code;
  // Connection and login failures (Node socket errors, PostgreSQL SQLSTATE classes 08, 28 and 3D).
  if (typeof code === 'string' && (/^E(CONN|NOTFOUND|AI_|HOSTUNREACH)/.test(code) || /^(08|28|3D)[0-9A-Z]{3}$/.test(code))) {
    return new CliError(`cannot open the database${location ? ` at ${location}` : ''}: ${(e as Error).message || code}`);
  }
  if (isDomainError(e)) return new CliError(`${e.code}: ${e.message}`);
  if (e instanceof ZodError) {
    const issues = e.issues.map((i) => {
      const path = formatPath(i.path);
      const message = i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : i.message;
      return path ? `${path}: ${message}` : message;
    });
    return new CliError(`VALIDATION_FAILED: ${issues.join('; ')}`);
  }
  return e;
}
