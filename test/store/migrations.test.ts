import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { main } from '../../src/cli/main.ts';
import { resolveSettings } from '../../src/config/settings.ts';
import { createDatabase, type Database } from '../../src/db/create-db.ts';
import { KNOWN_MIGRATIONS, appliedMigrations, migrateToLatest, schemaStatus } from '../../src/db/migrate.ts';
import { DomainError } from '../../src/lib/errors.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { startServer } from '../../src/main.ts';
import { createIncident } from '../../src/modules/incidents/index.ts';
import { DIALECTS, freshDatabaseUrl } from '../helpers/dialects.ts';
import { createTestEnv } from '../helpers/env.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TABLES = ['alerts', 'api_tokens', 'audit_log', 'change_events', 'counters', 'incident_roles', 'incident_services', 'incident_timeline', 'incidents', 'outbox', 'report_groups', 'sessions', 'signals', 'silences', 'user_reports', 'users'];
const FUTURE = '9999-from-the-future';

/** A CLI Io that keeps what a command prints. */
function bufferIo(env: Record<string, string | undefined> = {}) {
  const io = { stdout: '', stderr: '', env, out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

/** Runs the real binary; resolves with its exit code and output. */
function runCli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/firebreak.js', ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The parent's environment without anything that would point the child elsewhere. */
function cleanEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(DATABASE_URL|FIREBREAK_|PORT$|HOST$)/.test(k)) env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

async function tableNames(db: Database): Promise<string[]> {
  return (await db.kysely.introspection.getTables()).map((t) => t.name).sort();
}

for (const { name, skip } of DIALECTS) {
  describe(`migrations [${name}]`, { skip }, () => {
    let dir: string;
    const cleanups: (() => Promise<void>)[] = [];

    /** A brand-new, empty database of this dialect. */
    async function freshDb(): Promise<{ db: Database; url: string }> {
      const fresh = await freshDatabaseUrl(name, import.meta.url, dir);
      const db = createDatabase({ databaseUrl: fresh.url, dataDir: dir, poolSize: 4 });
      cleanups.push(async () => {
        await db.close().catch(() => {});
        await fresh.drop();
      });
      return { db, url: fresh.url };
    }

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'firebreak-migrations-'));
    });
    after(async () => {
      for (const c of cleanups.reverse()) await c();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a fresh database reports every migration pending, then migrates', async () => {
      const { db } = await freshDb();
      assert.deepEqual(await schemaStatus(db), { applied: [], pending: KNOWN_MIGRATIONS, unknown: [] });
      assert.deepEqual(await appliedMigrations(db), []);

      const result = await migrateToLatest(db);
      assert.deepEqual(result.applied, KNOWN_MIGRATIONS);
      assert.deepEqual(await schemaStatus(db), { applied: KNOWN_MIGRATIONS, pending: [], unknown: [] });

      const tables = await tableNames(db);
      for (const t of TABLES) assert.ok(tables.includes(t), `table ${t} exists (have: ${tables.join(', ')})`);
      const counter = await db.kysely.selectFrom('counters').selectAll().execute();
      assert.deepEqual(counter.map((c) => ({ name: c.name, value: Number(c.value) })), [{ name: 'incident_number', value: 0 }]);
    });

    test('running migrations again is a no-op that touches no data', async () => {
      const { db } = await freshDb();
      await migrateToLatest(db);
      const before = await sql<{ name: string; timestamp: string }>`select name, timestamp from kysely_migration order by name`.execute(db.kysely);
      // If 0001 ran again it would fail on existing tables or reset the counter; prove neither happens.
      await db.kysely.updateTable('counters').set({ value: 41 }).where('name', '=', 'incident_number').execute();

      for (let i = 0; i < 2; i++) assert.deepEqual(await migrateToLatest(db), { applied: [] });

      const afterRows = await sql<{ name: string; timestamp: string }>`select name, timestamp from kysely_migration order by name`.execute(db.kysely);
      assert.deepEqual(afterRows.rows, before.rows);
      const counter = await db.kysely.selectFrom('counters').select('value').where('name', '=', 'incident_number').executeTakeFirstOrThrow();
      assert.equal(Number(counter.value), 41);
      assert.deepEqual(await schemaStatus(db), { applied: KNOWN_MIGRATIONS, pending: [], unknown: [] });
    });

    describe('a database newer than this code', () => {
      let db: Database;
      let url: string;
      before(async () => {
        ({ db, url } = await freshDb());
        await migrateToLatest(db);
        await sql`insert into kysely_migration (name, timestamp) values (${FUTURE}, ${new Date().toISOString()})`.execute(db.kysely);
      });

      test('schemaStatus reports the unknown migration', async () => {
        assert.deepEqual(await schemaStatus(db), { applied: [...KNOWN_MIGRATIONS, FUTURE].sort(), pending: [], unknown: [FUTURE] });
      });

      test('migrateToLatest refuses with SCHEMA_TOO_NEW and a message naming the migration', async () => {
        await assert.rejects(migrateToLatest(db), (e: unknown) => {
          assert.ok(e instanceof DomainError, `expected DomainError, got ${String(e)}`);
          assert.equal(e.code, 'SCHEMA_TOO_NEW');
          assert.match(e.message, /newer than this Firebreak/);
          assert.match(e.message, new RegExp(FUTURE));
          assert.match(e.message, new RegExp(`latest known: ${KNOWN_MIGRATIONS.at(-1)}`));
          assert.match(e.message, /Upgrade Firebreak/);
          assert.deepEqual(e.details, { unknown: [FUTURE], latestKnown: KNOWN_MIGRATIONS.at(-1) });
          return true;
        });
        // The refusal left the migration table alone.
        assert.deepEqual((await schemaStatus(db)).unknown, [FUTURE]);
      });

      test('startServer refuses to start and never bootstraps the admin', async () => {
        const settings = { ...resolveSettings({ port: '0', host: '127.0.0.1', 'data-dir': dir, 'database-url': url }, {}), adminPassword: 'a-long-admin-password' };
        assert.equal(settings.port, 0);
        assert.equal(settings.databaseUrl, url);
        const announced: string[] = [];
        await assert.rejects(
          startServer(settings, { logger: createLogger({ level: 'silent' }), announce: (t) => announced.push(t) }),
          (e: unknown) => e instanceof DomainError && e.code === 'SCHEMA_TOO_NEW' && e.message.includes(FUTURE),
        );
        assert.deepEqual(announced, []);
        const users = await db.kysely.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(users.n), 0, 'no admin was created');
      });

      test('`firebreak migrate` exits 1 with the reason, `migrate --status` lists the unknown migration', async () => {
        const io = bufferIo();
        assert.equal(await main(['migrate', '--database-url', url, '--data-dir', dir], io), 1);
        assert.match(io.stderr, /newer than this Firebreak/);
        const status = bufferIo();
        assert.equal(await main(['migrate', '--status', '--database-url', url, '--data-dir', dir], status), 1);
        assert.match(status.stdout, new RegExp(`unknown:\\s+${FUTURE}`));
      });
    });

    test('startServer migrates a fresh database, bootstraps the admin and stops cleanly', async () => {
      const { db, url } = await freshDb();
      await db.close();
      const settings = { ...resolveSettings({ port: '0', host: '127.0.0.1', 'data-dir': dir, 'database-url': url }, {}), adminPassword: 'a-long-admin-password' };
      const announced: string[] = [];
      const server = await startServer(settings, { logger: createLogger({ level: 'silent' }), announce: (t) => announced.push(t) });
      try {
        assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        const ready = await fetch(`${server.url}/readyz`);
        assert.equal(ready.status, 200);
        assert.deepEqual((await ready.json()).checks, { database: 'ok', migrations: 'current' });
        assert.deepEqual(await schemaStatus(server.db), { applied: KNOWN_MIGRATIONS, pending: [], unknown: [] });
        assert.equal(announced.length, 1);
        assert.match(announced[0], /FIREBREAK_ADMIN_PASSWORD/);
      } finally {
        await server.close();
      }
    });

    test('two processes migrating one database at once: one applies, the other finds it done', async () => {
      const { db, url } = await freshDb();
      const env = { DATABASE_URL: url, FIREBREAK_DATA_DIR: dir, LOG_LEVEL: 'silent' };
      const [a, b] = await Promise.all([runCli(['migrate'], env), runCli(['migrate'], env)]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const outputs = [a.stdout, b.stdout].sort();
      assert.deepEqual(outputs, [`applied ${KNOWN_MIGRATIONS.length} migration(s): ${KNOWN_MIGRATIONS.join(', ')}\n`, 'database schema is up to date\n'].sort());
      assert.deepEqual(await schemaStatus(db), { applied: KNOWN_MIGRATIONS, pending: [], unknown: [] });
      const counters = await db.kysely.selectFrom('counters').selectAll().execute();
      assert.equal(counters.length, 1, 'the seed row was inserted exactly once');
    });
  });
}

for (const { name, skip } of DIALECTS) {
  describe(`counters after a restore [${name}]`, { skip }, () => {
    test('incident numbers continue past rows that were copied in behind the counter', async () => {
      const env = await createTestEnv(name, import.meta.url);
      try {
        const responder = env.ctx(env.users.responder.actor);
        const first = await createIncident(responder, { title: 'before', severity: 'P3', services: [] });
        // Rows restored from elsewhere, with numbers the counter never handed out.
        const copy = { ...(await env.db.kysely.selectFrom('incidents').selectAll().where('id', '=', first.id).executeTakeFirstOrThrow()) };
        await env.db.kysely.insertInto('incidents').values({ ...copy, id: 'inc_restored', number: first.number + 40 }).execute();
        await migrateToLatest(env.db); // every start runs this
        const next = await createIncident(responder, { title: 'after', severity: 'P3', services: [] });
        assert.equal(next.number, first.number + 41);
        await migrateToLatest(env.db);
        const again = await createIncident(responder, { title: 'again', severity: 'P3', services: [] });
        assert.equal(again.number, next.number + 1, 'syncing never moves a counter backwards or skips');
      } finally {
        await env.close();
      }
    });
  });
}
