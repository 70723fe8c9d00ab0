import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { EXAMPLE_CONFIG_PATH, formatIssues, loadConfigFile } from './config/load.ts';
import type { Settings } from './config/settings.ts';
import { ConfigStore } from './config/store.ts';
import { createDatabase, type Database } from './db/create-db.ts';
import { migrateToLatest } from './db/migrate.ts';
import { buildApp } from './http/build-app.ts';
import type { Clock } from './lib/clock.ts';
import { DomainError } from './lib/errors.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { bootstrapAdmin, syncConfiguredUsers } from './modules/auth/index.ts';
import { databaseClock } from './db/database-clock.ts';
import { deliveryWarnings, NotificationDispatcher } from './modules/notifications/index.ts';
import { closeEmailTransports } from './modules/notifications/providers/index.ts';
import { createEngine, OncallWorker } from './modules/oncall/index.ts';
import { incidentReactors, incidentTimerHandlers } from './background.ts';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { startTimerLoop } from './modules/timers/index.ts';
import { startSignalRetention } from './modules/signals/index.ts';
import { systemActor } from './modules/context.ts';
import { RunbookRunner } from './modules/runbooks/index.ts';
import { drillTimerHandlers, ensureDrillTimers, startDrillLoop } from './modules/drills/index.ts';
import { backupSchedule, ensureBackupTimers, loadMasterKey, storeLocation, type BackupEnv } from './modules/backups/index.ts';

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
  const config = loadConfigOrThrow(settings);
  // Scheduled backups without their key would fail every six hours; refuse to start instead.
  if (config.current.backups.configured && config.current.backups.enabled) loadMasterKey(config.current.backups, settings.env);
  const db = createDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir });
  // This process among the nodes sharing the database (leases, escalation steps, delivery attempts).
  const nodeId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  let dbClock: Awaited<ReturnType<typeof databaseClock>> | null = null;
  try {
    // Timers and escalation steps run on the database's clock, so every node agrees on "due".
    const clock = opts.clock ?? (dbClock = await databaseClock(db, logger));
    const { applied } = await migrateToLatest(db);
    if (applied.length) logger.info({ applied }, 'database migrated');
    const admin = await bootstrapAdmin({ db, clock, config, requestId: 'bootstrap' }, settings.adminPassword);
    // After the first admin: people declared in the config exist as users (see syncConfiguredUsers).
    const synced = await syncConfiguredUsers({ db, clock, config, requestId: 'config-users' });
    if (synced.created.length) logger.info({ users: synced.created }, 'users declared in the config created (no password until an admin sets one)');
    config.onChange(() => void syncConfiguredUsers({ db, clock, config, requestId: 'config-users' }).catch((err) => logger.error({ err }, 'could not sync the users declared in the config')));
    const { app } = await buildApp({ db, config, clock, logger, version: VERSION, trustProxy: settings.trustProxy, backups: { dataDir: settings.dataDir, env: settings.env } });
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
    for (const warning of deliveryWarnings(config.current)) logger.warn(warning);
    const backupEnv: BackupEnv = { store: storeLocation(settings), dataDir: settings.dataDir, env: settings.env, version: VERSION, logger };
    const backups = backupSchedule(backupEnv);
    const backupCtx = { db, clock, config, requestId: 'backups', actor: systemActor('firebreak') };
    await ensureBackupTimers(backupCtx);
    // Backups enabled by a reload start on schedule too. A missing key does not stop the reload
    // (the rest of the config applies); it is logged now, and the first backup's failure raises
    // an incident a minute later, so it cannot go unnoticed.
    config.onChange(() => {
      const b = config.current.backups;
      if (!b.configured || !b.enabled) return;
      try {
        loadMasterKey(b, settings.env);
      } catch (err) {
        logger.error({ err }, 'backups are enabled but their encryption key cannot be loaded: scheduled backups will fail until it can');
      }
      void ensureBackupTimers(backupCtx).catch((err) => logger.error({ err }, 'could not schedule the backups'));
    });
    // Paging: incident events become escalation steps and queued notifications; the dispatcher sends them.
    const dispatcher = new NotificationDispatcher({ db, config, clock, logger, nodeId });
    await dispatcher.start();
    const engine = await createEngine({ db, clock }, nodeId);
    const oncall = new OncallWorker({ db, config, clock, logger }, engine, { onReacted: () => dispatcher.poke(), reactors: incidentReactors });
    oncall.start();
    // Auto-resolve, duration rules, flapping, escalation steps, the status page's automatic posts
    // and maintenance moves, and postmortem and action-item reminders run on timers in the database.
    const timers = startTimerLoop(
      { db, clock, config, requestId: 'timers', actor: systemActor('firebreak') },
      { ...incidentTimerHandlers(engine), ...backups.handlers, ...drillTimerHandlers() },
      { logger, intervalMs: 200, concurrency: 32, onFired: () => dispatcher.poke() },
    );
    // Raw signals are kept for ingest.signal_retention; what they made (alerts, incidents) stays.
    const retention = startSignalRetention({ db, clock, config }, logger);
    // Runbook runs: queued runs executed under a lease; runs of a node that died marked interrupted.
    const runbooks = new RunbookRunner({ db, config, clock, logger, nodeId, env: settings.env }, { leaseMs: config.current.runbooks.lease });
    runbooks.start();
    // Drills: scheduled ones on durable timers; finished drill runs measured and reported.
    const drillCtx = { db, clock, config, requestId: 'drills', actor: systemActor('firebreak') };
    await ensureDrillTimers(drillCtx);
    config.onChange(() => void ensureDrillTimers(drillCtx).catch((err) => logger.error({ err }, 'could not schedule the drills')));
    const drills = startDrillLoop(drillCtx, logger);
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
          await runbooks.stop();
          await drills.stop();
          await timers.stop();
          await backups.stop();
          await oncall.stop();
          await dispatcher.stop();
          await retention.stop();
          closeEmailTransports();
          dbClock?.stop();
          await db.close();
        })()),
    };
  } catch (e) {
    dbClock?.stop();
    await db.close();
    throw e;
  }
}
