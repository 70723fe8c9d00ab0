import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { createDatabase, type Database } from '../../src/db/create-db.ts';
import { KNOWN_MIGRATIONS, migrateToLatest, schemaStatus } from '../../src/db/migrate.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { systemActor, type Ctx } from '../../src/modules/context.ts';
import { createIncident } from '../../src/modules/incidents/index.ts';
import { BACKUP_TIMER, backupSchedule, createBackup, ensureBackupTimers, restoreBackup, RESTORE_SLOW_ALERT_KEY, scheduledVerify, storeLocation, VERIFY_TIMER, type BackupEnv } from '../../src/modules/backups/index.ts';
import { runDueTimers } from '../../src/modules/timers/index.ts';
import { DIALECTS, freshDatabaseUrl } from '../helpers/dialects.ts';
import { BEFORE_BACKUPS_NAMES, configWith, KEY_HEX, migrateBeforeBackups } from './helpers.ts';

for (const { name: dialect, skip } of DIALECTS) describe(`backups: older schemas and the schedule [${dialect}]`, { skip }, () => {
  let dir: string;
  const drops: (() => Promise<void>)[] = [];
  const open: Database[] = [];
  const fresh = async () => {
    const f = await freshDatabaseUrl(dialect, import.meta.url, dir);
    drops.push(f.drop);
    return f.url;
  };
  const connect = (url: string) => {
    const db = createDatabase({ databaseUrl: url, dataDir: dir, poolSize: 3 });
    open.push(db);
    return db;
  };
  const config = () => configWith(`  encryption: { key_env: BACKUP_KEY }\n  targets:\n    - { id: local, type: local, path: ${JSON.stringify(join(dir, 'backups'))} }\n`, { BACKUP_KEY: KEY_HEX });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-backups-upgrade-'));
  });
  after(async () => {
    for (const db of open) await db.close().catch(() => {});
    for (const d of drops) await d();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a backup of an older schema restores and is migrated forward', async () => {
    // The database as the previous release left it: everything up to 0012.
    const oldUrl = await fresh();
    const old = connect(oldUrl);
    await migrateBeforeBackups(old);
    const cfg = config();
    const oldCtx: Ctx = { db: old, config: cfg, clock: new ManualClock(Date.UTC(2026, 11, 1)), actor: systemActor('test'), requestId: 'test' };
    await createIncident(oldCtx, { title: 'Before the upgrade', severity: 'P1', services: ['api'] });
    // Bookkeeping (lease, backup rows) lives in a current database; the snapshot is of the old one.
    const books = connect(await fresh());
    await migrateToLatest(books);
    const env: BackupEnv = { store: storeLocation({ databaseUrl: oldUrl, dataDir: dir }), dataDir: dir, env: { BACKUP_KEY: KEY_HEX }, version: 'old' };
    const made = await createBackup({ ...oldCtx, db: books }, env);
    assert.equal(made.manifest.schema_version, '0012-learning');

    const targetUrl = dialect === 'sqlite' ? `sqlite:${join(dir, 'restored', 'firebreak.db')}` : await fresh();
    const r = await restoreBackup(cfg, { ...env, store: storeLocation({ databaseUrl: targetUrl, dataDir: dir }) });
    assert.deepEqual(r.migrated, KNOWN_MIGRATIONS.filter((n) => !BEFORE_BACKUPS_NAMES.includes(n)));
    assert.ok(r.migrated.includes('0013-backups'));
    const restored = connect(targetUrl);
    assert.deepEqual((await schemaStatus(restored)).pending, []);
    assert.equal((await schemaStatus(restored)).applied.length, KNOWN_MIGRATIONS.length);
    const rows = await restored.kysely.selectFrom('incidents').select('title').execute();
    assert.deepEqual(rows, [{ title: 'Before the upgrade' }]);
  });

  test('the schedule: timers are created once, and the backup timer starts a backup outside its transaction', async () => {
    const url = await fresh();
    const db = connect(url);
    await migrateToLatest(db);
    const clock = new ManualClock(Date.UTC(2026, 11, 5, 12));
    const ctx: Ctx = { db, config: config(), clock, actor: systemActor('test'), requestId: 'test' };
    await ensureBackupTimers(ctx);
    await ensureBackupTimers(ctx);
    const timers = await db.kysely.selectFrom('timers').select(['kind', 'due_at']).where('kind', 'like', 'backups.%').orderBy('kind').execute();
    assert.deepEqual(timers.map((t) => [t.kind, Number(t.due_at) - clock.now()]), [[BACKUP_TIMER, 60_000], [VERIFY_TIMER, 7 * 86_400_000]]);

    const ran: string[] = [];
    const env: BackupEnv = { store: storeLocation({ databaseUrl: url, dataDir: dir }), dataDir: dir, env: { BACKUP_KEY: KEY_HEX }, version: 'test' };
    const schedule = backupSchedule(env, {
      backup: async (c) => {
        // Outside the timer's transaction: a real backup can take its own transactions.
        assert.equal(c.trx, undefined);
        ran.push('backup');
      },
      verify: async () => {
        ran.push('verify');
      },
    });
    clock.advance(61_000);
    assert.equal(await runDueTimers(ctx, schedule.handlers), 1);
    await sleep(20);
    await schedule.stop();
    assert.deepEqual(ran, ['backup']);
    const next = await db.kysely.selectFrom('timers').select('due_at').where('kind', '=', BACKUP_TIMER).executeTakeFirstOrThrow();
    assert.equal(Number(next.due_at), clock.now() + 6 * 3_600_000, 'the next backup in six hours');
  });

  test('a scheduled restore test slower than the RTO of the backups\' service raises its alert', async () => {
    const url = await fresh();
    const db = connect(url);
    await migrateToLatest(db);
    const store = config();
    const service = store.current.services[0].id;
    const withRto = (rto: number) => (store.current = { ...store.current, services: store.current.services.map((x) => (x.id === service ? { ...x, recovery: { ...x.recovery, rto } } : x)) });
    const ctx: Ctx = { db, config: store, clock: new ManualClock(Date.UTC(2026, 11, 5, 12)), actor: systemActor('test'), requestId: 'test' };
    const env: BackupEnv = { store: storeLocation({ databaseUrl: url, dataDir: dir }), dataDir: dir, env: { BACKUP_KEY: KEY_HEX }, version: 'test' };
    await createBackup(ctx, env);
    const signals = () => db.kysely.selectFrom('signals').select(['dedup_key', 'event_action', 'payload']).where('integration_id', '=', 'firebreak').where('dedup_key', '=', RESTORE_SLOW_ALERT_KEY).execute();
    withRto(3_600_000);
    await scheduledVerify(ctx, env);
    assert.deepEqual(await signals(), [], 'a restore within the hour raises nothing');
    withRto(1);
    await scheduledVerify(ctx, env);
    const [raised] = await signals();
    assert.equal(raised?.event_action, 'trigger');
    assert.match((JSON.parse(raised.payload) as { summary: string }).summary, new RegExp(`over the RTO of 0 s for ${service}`));
  });
});
