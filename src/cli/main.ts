import { parseArgs } from 'node:util';
import { readEnvironment } from '../config/settings.ts';
import { isDomainError } from '../lib/errors.ts';
import { configCheckCommand } from './commands/config-check.ts';
import { migrateCommand } from './commands/migrate.ts';
import { serveCommand } from './commands/serve.ts';
import { CliError, processIo, type Io } from './io.ts';

export const USAGE = `firebreak — incident response and disaster recovery

Usage:
  firebreak serve [--port N] [--host H] [--data-dir DIR] [--config FILE]
  firebreak migrate [--status]
  firebreak config check [--config FILE] [--json]

Settings come from flags or the environment: PORT, HOST, FIREBREAK_DATA_DIR, FIREBREAK_CONFIG,
DATABASE_URL (postgres://… for PostgreSQL; SQLite under the data dir otherwise),
FIREBREAK_ADMIN_PASSWORD (first start only), FIREBREAK_URL and FIREBREAK_TOKEN (client commands).
`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  config: { type: 'string' },
  'database-url': { type: 'string' },
  'log-level': { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  status: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs one command and returns its exit code; errors are printed as one readable line. */
export async function main(argv: string[], io: Io = processIo(readEnvironment())): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    const [command, sub] = positionals;
    if (values.help || !command) {
      io.out(USAGE);
      return command || values.help ? 0 : 2;
    }
    switch (command) {
      case 'serve':
        return await serveCommand(values, io);
      case 'migrate':
        return await migrateCommand(values, io);
      case 'config':
        if (sub === 'check') return await configCheckCommand(values, io);
        throw new CliError(`unknown config command "${sub ?? ''}"; try: firebreak config check`, 2);
      default:
        throw new CliError(`unknown command "${command}"\n\n${USAGE}`, 2);
    }
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`firebreak: ${e.message}\n`);
      return e.exitCode;
    }
    if (isDomainError(e) || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (e as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      io.err(`firebreak: ${(e as Error).message}\n`);
      return 1;
    }
    io.err(`firebreak: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
