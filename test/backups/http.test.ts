import assert from 'node:assert/strict';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { BACKUP_TIMER, backupSchedule, createBackup, storeLocation, verifyBackup, VERIFY_TIMER, type BackupEnv, type BackupListing } from '../../src/modules/backups/index.ts';
import { createIncident } from '../../src/modules/incidents/index.ts';
import { runDueTimers } from '../../src/modules/timers/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from '../helpers/env.ts';
import { assertError } from '../http/support.ts';
import { configWith, KEY_HEX, OTHER_KEY_HEX } from './helpers.ts';

/** GET and POST /api/v1/backups over a real database, a real local target and real backups. */
for (const { name: dialect, skip } of DIALECTS) describe(`backups API [${dialect}]`, { skip }, () => {
  let env: TestEnv;
  let t: TestApp;
  // The app reads the key from here on each request, as the server reads its environment.
  const keyEnv: Record<string, string> = { BACKUP_KEY: KEY_HEX };
  let backupEnv: BackupEnv;
  const configure = (extra = '') =>
    (env.config.current = configWith(`  encryption: { key_env: BACKUP_KEY }\n  targets:\n    - { id: local, type: local, path: ${JSON.stringify(join(env.dir, 'backups'))} }\n${extra}`, keyEnv).current);
  const admin = () => env.ctx(env.users.admin.actor);
  const get = async (url = '/api/v1/backups'): Promise<BackupListing> => {
    const res = await t.app.inject({ method: 'GET', url, headers: t.auth.admin });
    assert.equal(res.statusCode, 200, res.body);
    assert.doesNotMatch(res.body, /wrapped_data_key/, 'no key material');
    return res.json();
  };

  before(async () => {
    env = await createTestEnv(dialect, import.meta.url);
    t = await createTestApp(env, { monitors: false, backups: { dataDir: env.dir, env: keyEnv } });
    const store = dialect === 'sqlite' ? ({ engine: 'sqlite', file: env.db.location } as const) : storeLocation({ databaseUrl: env.db.location, dataDir: env.dir });
    backupEnv = { store, dataDir: env.dir, env: keyEnv, version: 'test' };
    await createIncident(admin(), { title: 'Something to back up', severity: 'P2', services: ['database'] });
  });
  after(async () => {
    await t?.app.close();
    await env?.close();
  });

  test('without a backups section: nothing configured, no targets, no exposure', async () => {
    const body = await get();
    assert.equal(body.configured, false);
    assert.equal(body.scheduled, false);
    assert.deepEqual(body.targets, []);
    assert.deepEqual(body.status, { last_backup_at: null, last_verification_at: null, last_verification_ok: null, last_successful_verification_at: null, rpo_exposure_seconds: null });
    const post = await t.app.inject({ method: 'POST', url: '/api/v1/backups', headers: t.auth.admin, payload: {} });
    assert.equal(assertError(post, 409, 'CONFLICT').details.reason, 'BACKUPS_NOT_CONFIGURED');
  });

  test("lists each backup with its manifest's facts and its last verification, and the RPO exposure", async () => {
    configure();
    const made = await createBackup(admin(), backupEnv);
    env.clock.advance(60_000);
    const verified = await verifyBackup(admin(), backupEnv, { id: made.manifest.id });
    env.clock.advance(9 * 60_000);
    const body = await get();
    assert.equal(body.configured, true);
    assert.equal(body.every_seconds, 6 * 3600);
    assert.match(body.key_id!, /^[0-9a-f]{16}$/);
    assert.equal(body.targets.length, 1);
    const [target] = body.targets;
    assert.equal(target.id, 'local');
    assert.equal(target.kind, 'local');
    assert.equal(target.location, join(env.dir, 'backups'));
    assert.equal(target.error, null);
    assert.equal(target.backups.length, 1);
    const b = target.backups[0];
    const m = made.manifest;
    assert.equal(b.id, m.id);
    assert.equal(b.status, 'complete');
    assert.equal(b.created_at, m.created_at);
    assert.equal(b.schema_version, m.schema_version);
    assert.equal(b.plaintext_bytes, m.plaintext.bytes);
    assert.equal(b.stored_bytes, m.ciphertext.bytes);
    assert.equal(b.in_target, true);
    assert.equal(b.manifest_error, null);
    assert.deepEqual(b.manifest?.plaintext, m.plaintext);
    assert.deepEqual(b.manifest?.ciphertext, m.ciphertext);
    assert.deepEqual(b.manifest?.integrity, m.integrity);
    assert.equal(b.manifest?.encryption.key_id, body.key_id);
    assert.equal(b.manifest?.engine, dialect);
    assert.ok(b.manifest!.rows >= 1);
    assert.deepEqual(b.verification, { at: new Date(env.clock.now() - 9 * 60_000).toISOString(), ok: true, restore_ms: verified.duration_ms, error: null });
    assert.deepEqual(body.status, {
      last_backup_at: m.created_at,
      last_verification_at: b.verification!.at,
      last_verification_ok: true,
      last_successful_verification_at: b.verification!.at,
      rpo_exposure_seconds: 600,
    });
  });

  test('a backup only the target holds is listed from its manifest', async () => {
    const made = await createBackup(admin(), backupEnv);
    // As after a restore of an older database: the records do not know this backup.
    await env.db.kysely.deleteFrom('backups').where('id', '=', made.manifest.id).execute();
    const b = (await get()).targets[0].backups[0];
    assert.equal(b.id, made.manifest.id);
    assert.equal(b.status, 'unrecorded');
    assert.equal(b.created_at, made.manifest.created_at);
    assert.equal(b.stored_bytes, made.manifest.ciphertext.bytes);
    assert.equal(b.manifest?.ciphertext.sha256, made.manifest.ciphertext.sha256);
    assert.equal(b.verification, null);
  });

  test('a wrong key: the records are still listed, each manifest says why it could not be read', async () => {
    keyEnv.BACKUP_KEY = OTHER_KEY_HEX;
    try {
      const body = await get();
      assert.ok(body.targets[0].backups.length >= 2);
      for (const b of body.targets[0].backups) {
        assert.equal(b.manifest, null);
        assert.equal(b.manifest_error?.reason, 'BACKUP_WRONG_KEY');
      }
      delete keyEnv.BACKUP_KEY;
      const missing = await get();
      assert.equal(missing.key_id, null);
      assert.equal(missing.key_error?.reason, 'BACKUP_KEY_MISSING');
      assert.equal(missing.targets[0].backups[0].manifest_error?.reason, 'BACKUP_KEY_MISSING');
    } finally {
      keyEnv.BACKUP_KEY = KEY_HEX;
    }
  });

  test('filters by target and limits; unknown targets and malformed queries are refused', async () => {
    const one = await get('/api/v1/backups?target=local&limit=1');
    assert.equal(one.targets.length, 1);
    assert.equal(one.targets[0].backups.length, 1);
    assertError(await t.app.inject({ method: 'GET', url: '/api/v1/backups?target=offsite', headers: t.auth.admin }), 404, 'NOT_FOUND');
    assertError(await t.app.inject({ method: 'GET', url: '/api/v1/backups?target=..%2F..%2Fetc', headers: t.auth.admin }), 404, 'NOT_FOUND');
    assertError(await t.app.inject({ method: 'GET', url: `/api/v1/backups?target=${'x'.repeat(64)}`, headers: t.auth.admin }), 400, 'VALIDATION_FAILED');
    for (const q of ['limit=0', 'limit=abc', 'limit=501', 'id=fbk-nope', 'target=']) {
      assertError(await t.app.inject({ method: 'GET', url: `/api/v1/backups?${q}`, headers: t.auth.admin }), 400, 'VALIDATION_FAILED');
    }
  });

  test('admin only: viewers and responders are refused, anonymous callers must sign in', async () => {
    for (const method of ['GET', 'POST'] as const) {
      for (const who of ['viewer', 'responder'] as const) assertError(await t.app.inject({ method, url: '/api/v1/backups', headers: t.auth[who], payload: method === 'POST' ? {} : undefined }), 403, 'FORBIDDEN');
      assertError(await t.app.inject({ method, url: '/api/v1/backups', payload: method === 'POST' ? {} : undefined }), 401, 'UNAUTHENTICATED');
      // An API token of an admin is capped by its scopes (read+write: responder).
      assertError(await t.app.inject({ method, url: '/api/v1/backups', headers: t.auth.token, payload: method === 'POST' ? {} : undefined }), 403, 'FORBIDDEN');
    }
    const timer = await env.db.kysely.selectFrom('timers').select('due_at').where('kind', '=', BACKUP_TIMER).executeTakeFirst();
    assert.equal(timer, undefined, 'a refused request scheduled nothing');
  });

  test('POST starts a backup through the schedule: 202 at once, the backup follows on the next timer pass', async () => {
    // Backup ids sort by their time: this one must be newer than the last test's.
    env.clock.advance(60_000);
    const before = (await get()).targets[0].backups.length;
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/backups', headers: t.auth.admin, payload: {} });
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(res.json(), { queued: true, due_at: new Date(env.clock.now()).toISOString(), status_url: '/api/v1/backups' });
    const timer = await env.db.kysely.selectFrom('timers').select('due_at').where('kind', '=', BACKUP_TIMER).executeTakeFirstOrThrow();
    assert.equal(Number(timer.due_at), env.clock.now());
    const audit = await env.db.kysely.selectFrom('audit_log').select(['action', 'actor_name']).where('action', '=', 'backup.requested').execute();
    assert.deepEqual(audit, [{ action: 'backup.requested', actor_name: env.users.admin.handle }]);

    const schedule = backupSchedule(backupEnv);
    assert.equal(await runDueTimers(env.ctx(), schedule.handlers), 1);
    await sleep(10);
    await schedule.stop();
    const after = await get();
    assert.equal(after.targets[0].backups.length, before + 1);
    assert.equal(after.targets[0].backups[0].status, 'complete');
    const next = await env.db.kysely.selectFrom('timers').select('due_at').where('kind', '=', BACKUP_TIMER).executeTakeFirstOrThrow();
    assert.equal(Number(next.due_at), env.clock.now() + 6 * 3_600_000, 'the schedule continues from the backup just made');
  });

  test('POST verify starts a restore test through the schedule: 202 at once, the result and restore time follow', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/backups/verify', headers: t.auth.admin, payload: {} });
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(res.json(), { queued: true, due_at: new Date(env.clock.now()).toISOString(), status_url: '/api/v1/backups' });
    const timer = await env.db.kysely.selectFrom('timers').select('due_at').where('kind', '=', VERIFY_TIMER).executeTakeFirstOrThrow();
    assert.equal(Number(timer.due_at), env.clock.now());
    for (const who of ['responder', 'viewer'] as const) assertError(await t.app.inject({ method: 'POST', url: '/api/v1/backups/verify', headers: t.auth[who], payload: {} }), 403, 'FORBIDDEN');
    const schedule = backupSchedule(backupEnv);
    assert.equal(await runDueTimers(env.ctx(), schedule.handlers), 1);
    await sleep(10);
    await schedule.stop();
    const newest = (await get()).targets[0].backups[0];
    assert.equal(newest.verification?.ok, true, JSON.stringify(newest.verification));
    assert.equal(newest.verification?.at, new Date(env.clock.now()).toISOString(), 'verified just now');
    assert.ok((newest.verification?.restore_ms ?? -1) >= 0);
  });

  test('POST is refused when scheduled backups are turned off (no server would pick it up)', async () => {
    configure('  enabled: false\n');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/backups', headers: t.auth.admin, payload: {} });
    assert.equal(assertError(res, 409, 'CONFLICT').details.reason, 'BACKUPS_NOT_SCHEDULED');
    const verify = await t.app.inject({ method: 'POST', url: '/api/v1/backups/verify', headers: t.auth.admin, payload: {} });
    assert.match(assertError(verify, 409, 'CONFLICT').message, /firebreak backup verify/);
    configure();
  });

  test('a recorded backup whose manifest has gone from the target is marked so', async () => {
    const newest = (await get()).targets[0].backups[0];
    const file = join(env.dir, 'backups', `${newest.id}.manifest.json`);
    await rename(file, `${file}.away`);
    try {
      const b = (await get()).targets[0].backups[0];
      assert.equal(b.id, newest.id);
      assert.equal(b.status, 'complete');
      assert.equal(b.in_target, false);
      assert.equal(b.manifest, null);
    } finally {
      await rename(`${file}.away`, file);
    }
  });
});
