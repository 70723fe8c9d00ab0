import { sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { after, before } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { EXAMPLE_CONFIG_PATH, loadConfigFile } from '../../src/config/load.ts';
import { ConfigStore } from '../../src/config/store.ts';
import type { StatusPageService } from '../../src/modules/statuspage/index.ts';
import { createDatabase, type Database } from '../../src/db/create-db.ts';
import type { DialectName } from '../../src/db/dialect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { buildApp, type AppDeps } from '../../src/http/build-app.ts';
import type { RouteDef } from '../../src/http/route.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createToken, createUser } from '../../src/modules/auth/index.ts';
import { systemActor, type Actor, type Ctx, type Role } from '../../src/modules/context.ts';
import { transitionIncident } from '../../src/modules/incidents/index.ts';
import { freshDatabaseUrl } from './dialects.ts';

export const TEST_PASSWORD = 'correct horse battery staple';
/**
 * Receivers in tests wait for their signal to be applied before answering, however slow the
 * machine, so a test can read what a 2xx implies (production waits a bounded time; see ingest).
 */
export const TEST_INGEST_WAIT_MS = 60_000;

export interface TestEnv {
  dialect: DialectName;
  db: Database;
  config: ConfigStore;
  clock: ManualClock;
  dir: string;
  /** A context acting as the given actor (system by default). */
  ctx(actor?: Actor): Ctx;
  /** Actors for users created with `seedUsers`. */
  users: Record<Role, { id: string; handle: string; actor: Actor }>;
  close(): Promise<void>;
}

/** A migrated database of its own (per test file), the example config and a manual clock. */
export async function createTestEnv(dialect: DialectName, testFile: string, opts: { seedUsers?: boolean } = {}): Promise<TestEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-test-'));
  const fresh = await freshDatabaseUrl(dialect, testFile, dir);
  const db = createDatabase({ databaseUrl: fresh.url, dataDir: dir, poolSize: 5 });
  await migrateToLatest(db);
  const loaded = loadConfigFile(EXAMPLE_CONFIG_PATH, {});
  if (!loaded.ok) throw new Error('example config is invalid');
  const config = new ConfigStore(loaded.config, EXAMPLE_CONFIG_PATH, {});
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 2, 13));
  const ctx = (actor: Actor = systemActor('test')): Ctx => ({ db, config, clock, actor, requestId: 'test' });
  const users = {} as TestEnv['users'];
  if (opts.seedUsers !== false) {
    for (const role of ['admin', 'responder', 'viewer'] as const) {
      const { user } = await createUser(ctx(), { handle: `${role}-user`, name: `${role} user`, email: `${role}@example.com`, role, password: TEST_PASSWORD });
      users[role] = { id: user.id, handle: user.handle, actor: { type: 'user', userId: user.id, name: user.handle, role } };
    }
  }
  return {
    dialect,
    db,
    config,
    clock,
    dir,
    ctx,
    users,
    close: async () => {
      await db.close();
      await fresh.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestApp {
  app: FastifyInstance;
  routes: RouteDef[];
  /** The app's status page (its cache and change watcher). */
  statusPage: StatusPageService;
  /** Authorization headers for each kind of caller. */
  auth: { anonymous: Record<string, string>; viewer: Record<string, string>; responder: Record<string, string>; admin: Record<string, string>; token: Record<string, string> };
}

/** The HTTP app over a test env, with a session cookie per role and an admin-scoped API token. */
export async function createTestApp(env: TestEnv, overrides: Partial<AppDeps> = {}): Promise<TestApp> {
  const { app, routes, statusPage } = await buildApp({ db: env.db, config: env.config, clock: env.clock, logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), version: 'test', ingestWaitMs: TEST_INGEST_WAIT_MS, ...overrides });
  await app.ready();
  const cookieFor = async (handle: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { handle, password: TEST_PASSWORD } });
    if (res.statusCode !== 200) throw new Error(`login ${handle} failed: ${res.body}`);
    const c = res.cookies.find((x) => x.name === 'firebreak_session')!;
    return { cookie: `firebreak_session=${c.value}` };
  };
  const { token } = await createToken(env.ctx(env.users.admin.actor), { name: 'test-token', scopes: ['read', 'write'] });
  return {
    app,
    routes,
    statusPage,
    auth: {
      anonymous: {},
      viewer: await cookieFor(env.users.viewer.handle),
      responder: await cookieFor(env.users.responder.handle),
      admin: await cookieFor(env.users.admin.handle),
      token: { authorization: `Bearer ${token}` },
    },
  };
}

/**
 * Resolves and closes every open or resolved incident and moves the clock a minute on: signal
 * tests start each case with nothing for new alerts to join (or reopen), in a fresh rate-limit window.
 */
export async function resolveOpenIncidents(env: TestEnv): Promise<void> {
  const open = await env.db.kysely.selectFrom('incidents').select(['id', 'state']).where('state', '<>', 'closed').execute();
  for (const { id, state } of open) {
    if (state !== 'resolved') await transitionIncident(env.ctx(), id, 'resolve');
    await transitionIncident(env.ctx(), id, 'close');
  }
  env.clock.advance(60_000);
}

/**
 * Registers before/after hooks that give a suite its own migrated database and HTTP app; `set`
 * receives them once ready (the suite keeps them in its own variables).
 */
export function useTestApp(
  dialect: DialectName,
  testFile: string,
  set: (env: TestEnv, app: TestApp) => void,
  opts: { app?: Partial<AppDeps>; configure?: (env: TestEnv) => void } = {},
): void {
  let env: TestEnv | undefined;
  let app: TestApp | undefined;
  before(async () => {
    env = await createTestEnv(dialect, testFile);
    opts.configure?.(env);
    app = await createTestApp(env, opts.app);
    set(env, app);
  });
  after(async () => {
    await app?.app.close();
    await env?.close();
  });
}

/** An app over `env` whose log (at trace level) is captured, to prove secrets never reach it. */
export async function buildAppWithCapturedLogs(env: TestEnv): Promise<{ app: FastifyInstance; logs: () => string }> {
  let logs = '';
  const sink = new Writable({ write: (chunk, _enc, done) => ((logs += String(chunk)), done()) });
  const { app } = await buildApp({ db: env.db, config: env.config, clock: env.clock, logger: createLogger({ level: 'trace', destination: sink }), version: 'test', ingestWaitMs: TEST_INGEST_WAIT_MS });
  await app.ready();
  return { app, logs: () => logs };
}

/**
 * Polls until the newest signal has been set aside with an error: its work failed, was retried
 * (about a second in all) and was then kept aside with why.
 */
export async function waitForNewestSignalSetAside(env: TestEnv) {
  for (let i = 0; i < 200; i++) {
    const row = await env.db.kysely.selectFrom('signals').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
    if (row.error !== null) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the failing signal was never set aside');
}

/**
 * Makes inserts into `table` fail ("boom: injected failure") where the SQL condition on `new`
 * holds, on either engine; the returned function removes the trigger.
 */
export async function injectInsertFailure(env: TestEnv, table: string, condition: string): Promise<() => Promise<void>> {
  const k = env.db.kysely;
  if (env.dialect === 'sqlite') {
    await sql.raw(`create trigger fb_test_fail before insert on ${table} when ${condition} begin select raise(abort, 'boom: injected failure'); end`).execute(k);
    return async () => void (await sql.raw('drop trigger fb_test_fail').execute(k));
  }
  await sql.raw(`create or replace function fb_test_boom() returns trigger language plpgsql as $$ begin raise exception 'boom: injected failure'; end $$`).execute(k);
  await sql.raw(`create trigger fb_test_fail before insert on ${table} for each row when (${condition}) execute function fb_test_boom()`).execute(k);
  return async () => void (await sql.raw(`drop trigger fb_test_fail on ${table}`).execute(k));
}
