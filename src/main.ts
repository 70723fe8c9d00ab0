import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { EXAMPLE_CONFIG_PATH, formatIssues, loadConfigFile } from './config/load.ts';
import type { Settings } from './config/settings.ts';
import { ConfigStore } from './config/store.ts';
import { createDatabase, type Database } from './db/create-db.ts';
import { migrateToLatest } from './db/migrate.ts';
import { buildApp } from './http/build-app.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { DomainError } from './lib/errors.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { bootstrapAdmin } from './modules/auth/index.ts';
import { pipelineTimerHandlers } from './modules/signals/pipeline-timers.ts';
import { startTimerLoop } from './modules/timers/index.ts';
import { startSignalRetention } from './modules/signals/index.ts';
import { systemActor } from './modules/context.ts';

/** How long shutdown waits for in-flight requests before cutting their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export interface Server {
  app: FastifyInstance;
  db: Database;
  config: ConfigStore;
  logger: Logger;
  url: string;
  /** Stops taking requests, lets in-flight ones finish, then closes the database pool. */
  close(): Promise<void>;
}

/** Loads the config (the example organisation when none is given) or throws with every issue listed. */
export function loadConfigOrThrow(settings: Pick<Settings, 'configPath' | 'env'>): ConfigStore {
  const path = settings.configPath ?? EXAMPLE_CONFIG_PATH;
  const result = loadConfigFile(path, settings.env);
  if (!result.ok) throw new DomainError('CONFIG_INVALID', `invalid configuration in ${path}:\n${formatIssues(path, result.issues)}`, { issues: result.issues });
  return new ConfigStore(result.config, path, settings.env);
}

/**
 * The composition root: config → database → migrations → first admin → HTTP app → listen.
 * `announce` prints the one-time admin password to the terminal, never to the structured log.
 */
export async function startServer(
  settings: Settings,
  opts: { logger?: Logger; clock?: Clock; announce?: (text: string) => void } = {},
): Promise<Server> {
  const logger = opts.logger ?? createLogger({ level: settings.logLevel });
  const clock = opts.clock ?? systemClock;
  const config = loadConfigOrThrow(settings);
  const db = createDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir });
  try {
    const { applied } = await migrateToLatest(db);
    if (applied.length) logger.info({ applied }, 'database migrated');
    const admin = await bootstrapAdmin({ db, clock, config, requestId: 'bootstrap' }, settings.adminPassword);
    const { app } = await buildApp({ db, config, clock, logger, version: VERSION, trustProxy: settings.trustProxy });
    await app.listen({ port: settings.port, host: settings.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : settings.port;
    const url = `http://${settings.host === '0.0.0.0' || settings.host === '::' ? 'localhost' : settings.host}:${port}`;
    logger.info({ url, database: db.dialect.name, location: db.location, config: config.path, organisation: config.current.organisation.name }, 'firebreak listening');
    if (admin.created) {
      const announce = opts.announce ?? ((t: string) => process.stdout.write(t));
      announce(
        admin.generatedPassword
          ? `\n  Firebreak is running at ${url}\n  Sign in as "admin" with this one-time password: ${admin.generatedPassword}\n  (it is shown only now; change it after signing in)\n\n`
          : `\n  Firebreak is running at ${url}\n  Sign in as "admin" with the password from FIREBREAK_ADMIN_PASSWORD.\n\n`,
      );
    }
    // Auto-resolve, duration rules and flapping settle on timers kept in the database.
    const timers = startTimerLoop({ db, clock, config, requestId: 'timers', actor: systemActor('firebreak') }, pipelineTimerHandlers, { logger });
    // Raw signals are kept for ingest.signal_retention; what they made (alerts, incidents) stays.
    const retention = startSignalRetention({ db, clock, config }, logger);
    let closing: Promise<void> | null = null;
    return {
      app,
      db,
      config,
      logger,
      url,
      close: () =>
        (closing ??= (async () => {
          // In-flight requests finish; keep-alive connections are closed as soon as they are idle
          // (else a client's idle pool holds shutdown for the 72 s keep-alive timeout), and any
          // still open after the grace period are cut.
          const closeIdle = setInterval(() => app.server.closeIdleConnections(), 50);
          const cutOff = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
          try {
            await app.close();
          } finally {
            clearInterval(closeIdle);
            clearTimeout(cutOff);
          }
          await timers.stop();
          await retention.stop();
          await db.close();
        })()),
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}
