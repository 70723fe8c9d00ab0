import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { sweepHeartbeats } from '../../src/modules/monitors/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { buildAppWithCapturedLogs, resolveOpenIncidents, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { configWithMonitors } from './monitor-kit.ts';

const BACKUP_KEY = 'backup-key-0123456789abcdef';
const HOURLY_KEY = 'hourly-key-0123456789abcdef';
const LIMITED_KEY = 'limited-key-0123456789abcdef';

for (const { name, skip } of DIALECTS) {
  describe(`heartbeat pings (healthchecks.io semantics) [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)), {
      app: { monitors: false },
      configure: (e) =>
        (e.config.current = configWithMonitors(
          [
            { id: 'nightly-backup', service: 'database', type: 'heartbeat', key: BACKUP_KEY, cron: '0 3 * * *', time_zone: 'Europe/Berlin', grace: '1h', severity: 'P1' },
            { id: 'hourly-sync', service: 'storage', type: 'heartbeat', key: HOURLY_KEY, period: '1h', grace: '10m' },
            { id: 'chatty', service: 'reporting', type: 'heartbeat', key: LIMITED_KEY, period: '1h', grace: '10m' },
          ],
          { ping_rate_per_minute: 12 },
        )),
    });

    const ping = (url: string, opts: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string> } = {}) =>
      t.app.inject({ method: opts.method ?? 'GET', url, ...(opts.body !== undefined ? { payload: opts.body } : {}), headers: { 'content-type': 'text/plain', ...opts.headers } });
    const state = (id: string) => env.db.kysely.selectFrom('monitor_state').selectAll().where('monitor_id', '=', id).executeTakeFirstOrThrow();
    const pings = (id: string) => env.db.kysely.selectFrom('heartbeat_pings').selectAll().where('monitor_id', '=', id).orderBy('id').execute();
    // Each test starts in a fresh rate-limit window (12 pings a minute per check).
    beforeEach(() => env.clock.advance(61_000));
    const alerts = (key: string) => env.db.kysely.selectFrom('alerts').selectAll().where('dedup_key', '=', key).orderBy('first_seen_at').execute();

    test('GET and POST ping without a session; start and finish pair by rid and measure the run; the body is kept', async () => {
      const first = await ping(`/ping/${HOURLY_KEY}`);
      assert.equal(first.statusCode, 200, first.body);
      assert.equal(first.body, 'OK');
      assert.equal((await state('hourly-sync')).status, 'up');
      assert.equal((await ping(`/ping/${HOURLY_KEY}/start?rid=run-1`, { method: 'POST' })).statusCode, 200);
      env.clock.advance(2000);
      assert.equal((await ping(`/ping/${HOURLY_KEY}/start?rid=run-2`)).statusCode, 200);
      env.clock.advance(5000);
      const done = await ping(`/ping/${HOURLY_KEY}?rid=run-1`, { method: 'POST', body: 'synced 42 files\n' });
      assert.equal(done.statusCode, 200, done.body);
      const rows = await pings('hourly-sync');
      assert.deepEqual(rows.map((r) => r.kind), ['success', 'start', 'start', 'success']);
      assert.equal(rows[3].duration_ms, 7000, 'run-1 took 7 s, not the 5 s since run-2 started');
      assert.equal(rows[3].body, 'synced 42 files\n');
      assert.equal(rows[3].method, 'POST');
      const api = await t.app.inject({ method: 'GET', url: '/api/v1/monitors/hourly-sync/pings', headers: t.auth.token });
      assert.equal(api.json().data[0].body, 'synced 42 files\n');
      const view = await t.app.inject({ method: 'GET', url: '/api/v1/monitors/hourly-sync', headers: t.auth.token });
      assert.equal(view.json().status, 'up');
      assert.ok(!view.body.includes(HOURLY_KEY), 'the ping key is a credential and never shown');
    });

    test('a late heartbeat goes to grace, then down (an alert at its severity), and the next ping resolves it', async () => {
      await resolveOpenIncidents(env);
      assert.equal((await ping(`/ping/${HOURLY_KEY}`)).statusCode, 200);
      env.clock.advance(61 * 60_000);
      await sweepHeartbeats(env.ctx());
      assert.equal((await state('hourly-sync')).status, 'grace');
      assert.equal((await alerts('monitor/hourly-sync')).length, 0, 'grace pages nobody');
      env.clock.advance(10 * 60_000);
      assert.equal(await sweepHeartbeats(env.ctx()), 1);
      const s = await state('hourly-sync');
      assert.equal(s.status, 'down');
      assert.equal(s.due_at, null, 'only a ping moves a down heartbeat');
      const [alert] = await alerts('monitor/hourly-sync');
      assert.equal(alert.status, 'triggered');
      assert.equal(alert.service_id, 'storage');
      env.clock.advance(5 * 60_000);
      assert.equal((await ping(`/ping/${HOURLY_KEY}`)).statusCode, 200);
      assert.equal((await alerts('monitor/hourly-sync'))[0].status, 'resolved');
      // Its uptime is time-based: five minutes down.
      const view = await t.app.inject({ method: 'GET', url: '/api/v1/monitors/hourly-sync', headers: t.auth.token });
      assert.equal(view.json().uptime['24h'].down_seconds, 300);
      // Measured from its first ping (it was new before), not over the whole day.
      assert.ok(view.json().uptime['24h'].uptime < 100 && view.json().uptime['24h'].uptime > 90, view.body);
    });

    test('/fail and non-zero exit codes are down at once; exit 0 is success; unknown keys and actions are 404', async () => {
      await resolveOpenIncidents(env);
      assert.equal((await ping(`/ping/${BACKUP_KEY}/0`)).statusCode, 200);
      assert.equal((await state('nightly-backup')).status, 'up');
      assert.equal((await ping(`/ping/${BACKUP_KEY}/3`, { method: 'POST', body: 'pg_dump: error: connection refused' })).statusCode, 200);
      const s = await state('nightly-backup');
      assert.equal(s.status, 'down');
      assert.match(s.last_message!, /exited with code 3/);
      assert.equal((await alerts('monitor/nightly-backup'))[0].status, 'triggered');
      assert.equal((await pings('nightly-backup')).at(-1)!.exit_code, 3);
      assert.equal((await ping(`/ping/${BACKUP_KEY}`)).statusCode, 200);
      assert.equal((await ping(`/ping/${BACKUP_KEY}/fail`)).statusCode, 200);
      assert.equal((await state('nightly-backup')).status, 'down');
      assert.equal((await ping(`/ping/${BACKUP_KEY}/log`, { body: 'progress 50%' })).statusCode, 200);
      assert.equal((await state('nightly-backup')).status, 'down', 'a log ping changes nothing');
      for (const url of [`/ping/unknown-key-0123456789`, `/ping/${BACKUP_KEY}/256`, `/ping/${BACKUP_KEY}/explode`, `/ping/${BACKUP_KEY}/-1`, `/ping/${'x'.repeat(300)}`]) {
        const res = await ping(url);
        assert.ok([400, 404, 414].includes(res.statusCode), `${url}: ${res.statusCode}`);
        assert.ok(res.json().error.code, res.body);
      }
      await ping(`/ping/${BACKUP_KEY}`);
    });

    test('a cron heartbeat is expected at its next time in its zone; bodies over 10 KB are 413 and change nothing; hostile input is refused', async () => {
      // 2026-06-03 02:13 UTC = 04:13 CEST: the next 03:00 Berlin is 2026-06-04 01:00 UTC.
      env.clock.set(Date.UTC(2026, 5, 3, 2, 13));
      assert.equal((await ping(`/ping/${BACKUP_KEY}`)).statusCode, 200);
      assert.equal(Number((await state('nightly-backup')).due_at), Date.UTC(2026, 5, 4, 1, 0));
      const before = (await pings('nightly-backup')).length;
      const big = await ping(`/ping/${BACKUP_KEY}/fail`, { method: 'POST', body: 'x'.repeat(10 * 1024 + 1) });
      assert.equal(big.statusCode, 413, big.body);
      assert.equal(big.json().error.code, 'PAYLOAD_TOO_LARGE');
      assert.equal((await state('nightly-backup')).status, 'up');
      assert.equal((await pings('nightly-backup')).length, before);
      const exact = await ping(`/ping/${BACKUP_KEY}`, { method: 'POST', body: 'y'.repeat(10 * 1024) });
      assert.equal(exact.statusCode, 200);
      assert.equal((await pings('nightly-backup')).at(-1)!.body!.length, 10 * 1024);
      const nul = await ping(`/ping/${BACKUP_KEY}`, { method: 'POST', body: 'bad\u0000byte' });
      assert.equal(nul.statusCode, 400, nul.body);
      const rid = await ping(`/ping/${BACKUP_KEY}?rid=${'r'.repeat(65)}`);
      assert.equal(rid.statusCode, 400, rid.body);
      const json = await ping(`/ping/${BACKUP_KEY}`, { method: 'POST', body: '{"__proto__":{"x":1}}', headers: { 'content-type': 'application/json' } });
      assert.equal(json.statusCode, 200, 'any body is kept as text, never parsed');
    });

    test('over the per-check rate limit pings are 429 and not kept, but a ping that changes the state is still applied', async () => {
      await resolveOpenIncidents(env);
      for (let i = 0; i < 12; i++) assert.equal((await ping(`/ping/${LIMITED_KEY}`)).statusCode, 200);
      const limited = await ping(`/ping/${LIMITED_KEY}`);
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.json().error.code, 'RATE_LIMITED');
      assert.equal((await pings('chatty')).length, 12);
      const fail = await ping(`/ping/${LIMITED_KEY}/fail`);
      assert.equal(fail.statusCode, 429);
      assert.equal((await state('chatty')).status, 'down', 'the failure is not lost to the limit');
      assert.equal((await alerts('monitor/chatty'))[0].status, 'triggered');
    });

    test('the ping key never reaches the log, whatever the answer', async () => {
      const { app, logs } = await buildAppWithCapturedLogs(env);
      try {
        for (const [method, url] of [['GET', `/ping/${HOURLY_KEY}`], ['POST', `/ping/${HOURLY_KEY}/start?rid=r`], ['DELETE', `/ping/${HOURLY_KEY}`], ['GET', `/ping/${HOURLY_KEY}/nonsense`]] as const) {
          const res = await app.inject({ method, url, headers: { 'content-type': 'text/plain' }, payload: method === 'GET' ? undefined : 'x' });
          assert.ok(!res.body.includes(HOURLY_KEY), `${method} ${res.statusCode} echoes the key`);
        }
      } finally {
        await app.close();
      }
      assert.ok(logs().includes('/ping/[redacted]'), 'requests are logged, with the key replaced');
      assert.ok(!logs().includes(HOURLY_KEY));
    });

    test('a paused heartbeat is not expected; its next ping resumes it', async () => {
      await resolveOpenIncidents(env);
      assert.equal((await ping(`/ping/${HOURLY_KEY}`)).statusCode, 200);
      const paused = await t.app.inject({ method: 'POST', url: '/api/v1/monitors/hourly-sync/pause', headers: t.auth.token });
      assert.equal(paused.json().status, 'paused', paused.body);
      env.clock.advance(3 * 3_600_000);
      await sweepHeartbeats(env.ctx());
      assert.equal((await state('hourly-sync')).status, 'new');
      assert.equal((await ping(`/ping/${HOURLY_KEY}`)).statusCode, 200);
      const s = await state('hourly-sync');
      assert.equal(s.status, 'up');
      assert.equal(s.paused_at, null);
    });
  });
}
