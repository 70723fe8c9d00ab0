import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { recordProbeResults } from '../../src/modules/monitors/index.ts';
import { evaluateRpo, rpoAlertKey, rpoExposure, rpoMetricsText, serviceObjectives } from '../../src/modules/recovery/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { resolveOpenIncidents, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { configWithMonitors } from '../monitors/monitor-kit.ts';

const DB_KEY = 'db-backup-key-0123456789abcdef';
const PLAIN_KEY = 'plain-key-0123456789abcdef';

for (const { name, skip } of DIALECTS) {
  describe(`recovery points and RPO exposure [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)), {
      app: { monitors: false },
      configure: (e) =>
        (e.config.current = configWithMonitors([
          { id: 'db-backup', service: 'database', type: 'heartbeat', key: DB_KEY, period: '1h', grace: '10m', recovery_point: true },
          { id: 'plain', service: 'storage', type: 'heartbeat', key: PLAIN_KEY, period: '1h' },
          { id: 'files-restic', service: 'storage', type: 'backup_status', command: ['restic', 'snapshots', '--json'], format: 'restic' },
          { id: 'files-replica', service: 'storage', type: 'replication_lag', url: 'http://127.0.0.1:9/lag' },
          { id: 'not-counted', service: 'cache', type: 'backup_status', command: ['true'], format: 'restic', recovery_point: false },
        ])),
    });
    beforeEach(() => env.clock.advance(61_000));

    const ping = (url: string, opts: { method?: 'GET' | 'POST'; body?: string; type?: string } = {}) =>
      t.app.inject({ method: opts.method ?? 'GET', url, ...(opts.body !== undefined ? { payload: opts.body } : {}), headers: { 'content-type': opts.type ?? 'text/plain' } });
    const point = (id: string) => env.db.kysely.selectFrom('recovery_points').selectAll().where('monitor_id', '=', id).executeTakeFirst();
    const rpoOf = async (service: string) => (await rpoExposure(env.ctx())).find((r) => r.service === service);
    /** The service's open RPO alert, else its latest. */
    const alert = async (service: string) => {
      const rows = await env.db.kysely.selectFrom('alerts').selectAll().where('dedup_key', '=', rpoAlertKey(service)).orderBy('first_seen_at').execute();
      return rows.find((r) => r.status !== 'resolved') ?? rows.at(-1);
    };
    const incidentSeverity = async (id: string | null) => (id === null ? null : (await env.db.kysely.selectFrom('incidents').select('severity').where('id', '=', id).executeTakeFirstOrThrow()).severity);

    test('a ping carries its restorable point and size in the query or a JSON body; the newest point stays', async () => {
      const now = env.clock.now();
      const at = new Date(now - 120_000).toISOString();
      const res = await ping(`/ping/${DB_KEY}?restorable_at=${encodeURIComponent(at)}&size_bytes=12345`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.body, 'OK');
      let p = await point('db-backup');
      assert.equal(Number(p?.restorable_at), now - 120_000);
      assert.equal(Number(p?.size_bytes), 12345);
      assert.equal(p?.source, 'heartbeat');
      assert.equal(p?.service, 'database');

      const body = JSON.stringify({ restorable_at: Math.floor((now - 30_000) / 1000), size_bytes: 999 });
      const json = await ping(`/ping/${DB_KEY}`, { method: 'POST', body, type: 'application/json' });
      assert.equal(json.statusCode, 200, json.body);
      p = await point('db-backup');
      assert.equal(Number(p?.restorable_at), now - 30_000);
      assert.equal(Number(p?.size_bytes), 999);
      // JSON sent as text (curl -d) counts too; an older point (a late retry) does not replace the newer one.
      const older = await ping(`/ping/${DB_KEY}/0`, { method: 'POST', body: JSON.stringify({ restorable_at: new Date(now - 3_600_000).toISOString() }) });
      assert.equal(older.body, 'OK');
      p = await point('db-backup');
      assert.equal(Number(p?.restorable_at), now - 30_000);
      assert.equal(Number(p?.observed_at), now);
      const kept = await env.db.kysely.selectFrom('heartbeat_pings').select('body').where('monitor_id', '=', 'db-backup').orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.match(kept.body ?? '', /restorable_at/, 'the body is still kept as the log');
    });

    test('bad values are refused politely: the ping counts, the answer and the log say what was ignored', async () => {
      const before = await point('db-backup');
      for (const [query, problem] of [
        ['restorable_at=yesterday', /restorable_at ignored: not ISO 8601/],
        [`restorable_at=${Math.floor(env.clock.now() / 1000) + 3600}`, /restorable_at ignored: in the future/],
        ['restorable_at=1999-12-31T00:00:00Z', /before 2000/],
        ['restorable_at=2026-05-01T10:00:00', /not ISO 8601 with a time zone/],
      ] as const) {
        const res = await ping(`/ping/${DB_KEY}?${query}&size_bytes=10`);
        assert.equal(res.statusCode, 200, res.body);
        assert.match(res.body, /^OK\n/);
        assert.match(res.body, problem);
        assert.match(res.body, /size_bytes ignored: it belongs to the restorable point refused/);
      }
      const after = await point('db-backup');
      assert.equal(Number(after?.restorable_at), Number(before?.restorable_at), 'a refused point never replaces the known one');
      const state = await env.db.kysely.selectFrom('monitor_state').select('status').where('monitor_id', '=', 'db-backup').executeTakeFirstOrThrow();
      assert.equal(state.status, 'up');

      const size = await ping(`/ping/${DB_KEY}?restorable_at=${encodeURIComponent(new Date(env.clock.now()).toISOString())}&size_bytes=-5`);
      assert.match(size.body, /size_bytes ignored: not a whole number/);
      assert.equal(Number((await point('db-backup'))?.restorable_at), env.clock.now(), 'a good point with a bad size is kept');
      const fail = await ping(`/ping/${DB_KEY}/fail?restorable_at=${Math.floor(env.clock.now() / 1000)}`);
      assert.match(fail.body, /only a success ping records a restorable point/);
      const odd = await ping(`/ping/${DB_KEY}`, { method: 'POST', body: '{"restorable_at": {"x": 1}}', type: 'application/json' });
      assert.match(odd.body, /restorable_at ignored/);
      const lonely = await ping(`/ping/${PLAIN_KEY}?size_bytes=100`);
      assert.match(lonely.body, /size_bytes ignored: no restorable_at/);
      assert.equal(await point('plain'), undefined);
      // Back to a clean state for the next tests.
      await ping(`/ping/${DB_KEY}`);
      await resolveOpenIncidents(env);
    });

    test('without restorable_at a recovery-point heartbeat counts from the start of the run it finishes', async () => {
      await ping(`/ping/${DB_KEY}/start`);
      const started = env.clock.now();
      env.clock.advance(45_000);
      const res = await ping(`/ping/${DB_KEY}`);
      assert.equal(res.body, 'OK');
      const p = await point('db-backup');
      assert.equal(Number(p?.restorable_at), started);
      assert.deepEqual(JSON.parse(p?.detail ?? '{}'), { from: 'run start' });
      // A heartbeat without recovery_point records nothing.
      await ping(`/ping/${PLAIN_KEY}`);
      assert.equal(await point('plain'), undefined);
    });

    test('exposure: warning at 80% of the RPO (P3), breached over it (P1), resolved when a new point arrives', async () => {
      await resolveOpenIncidents(env);
      const rpo = serviceObjectives(env.config.current, 'database').rpo_ms;
      await ping(`/ping/${DB_KEY}?restorable_at=${encodeURIComponent(new Date(env.clock.now()).toISOString())}`);
      const base = env.clock.now();
      assert.deepEqual(await evaluateRpo(env.ctx()), []);
      let r = await rpoOf('database');
      assert.equal(r?.exposure_ms, 0);
      assert.equal(r?.status, 'ok');

      env.clock.set(base + Math.ceil(rpo * 0.8) - 1000);
      assert.deepEqual(await evaluateRpo(env.ctx()), []);
      assert.equal(await alert('database'), undefined);

      env.clock.set(base + Math.ceil(rpo * 0.8));
      assert.deepEqual(await evaluateRpo(env.ctx()), ['database']);
      assert.deepEqual(await evaluateRpo(env.ctx()), [], 'a status is alerted once');
      let a = await alert('database');
      assert.equal(a?.status, 'triggered');
      assert.match(a?.summary ?? '', /RPO at risk for database/);
      assert.equal(await incidentSeverity(a?.incident_id ?? null), 'P3');

      env.clock.set(base + rpo + 1000);
      assert.equal((await rpoOf('database'))?.status, 'breached');
      assert.deepEqual(await evaluateRpo(env.ctx()), ['database']);
      a = await alert('database');
      assert.equal(a?.status, 'triggered');
      assert.match(a?.summary ?? '', /RPO breached for database/);
      assert.equal(await incidentSeverity(a?.incident_id ?? null), 'P1');
      const all = await env.db.kysely.selectFrom('alerts').select(['status']).where('dedup_key', '=', rpoAlertKey('database')).execute();
      assert.deepEqual(all.map((x) => x.status).sort(), ['resolved', 'triggered'], 'the warning made way for the breach');

      const api = await t.app.inject({ method: 'GET', url: '/api/v1/recovery/rpo', headers: t.auth.token });
      assert.equal(api.statusCode, 200, api.body);
      const db = api.json().data.find((x: { service: string }) => x.service === 'database');
      assert.equal(db.status, 'breached');
      assert.equal(db.rpo_seconds, rpo / 1000);
      assert.equal(db.exposure_seconds, rpo / 1000 + 1);
      assert.equal(db.newest_restorable_at, new Date(base).toISOString());
      assert.deepEqual(db.sources.map((s: { monitor_id: string }) => s.monitor_id), ['db-backup']);
      const storage = api.json().data.find((x: { service: string }) => x.service === 'storage');
      assert.equal(storage.status, 'unknown', 'no point yet from its backup or replica');
      assert.deepEqual(storage.sources.map((s: { monitor_id: string }) => s.monitor_id), ['files-restic', 'files-replica']);
      assert.equal(api.json().data.find((x: { service: string }) => x.service === 'cache'), undefined, 'recovery_point: false does not count');

      const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: t.auth.token });
      assert.match(metrics.body, new RegExp(`firebreak_rpo_exposure_seconds\\{service="database"\\} ${rpo / 1000 + 1}\\n`));
      assert.match(metrics.body, new RegExp(`firebreak_rpo_objective_seconds\\{service="database"\\} ${rpo / 1000}\\n`));
      assert.match(metrics.body, /firebreak_rpo_objective_seconds\{service="storage"\}/);
      assert.doesNotMatch(metrics.body, /firebreak_rpo_exposure_seconds\{service="storage"\}/);

      await ping(`/ping/${DB_KEY}?restorable_at=${Math.floor(env.clock.now() / 1000)}`);
      assert.deepEqual(await evaluateRpo(env.ctx()), ['database']);
      assert.equal((await alert('database'))?.status, 'resolved');
      assert.equal((await rpoOf('database'))?.status, 'ok');
    });

    test('backup_status and replication_lag results record command and replication points; the newest source wins', async () => {
      await resolveOpenIncidents(env);
      const now = env.clock.now();
      await recordProbeResults(env.ctx(), [
        { monitorId: 'files-restic', at: now, result: { status: 'up', durationMs: 40, reason: null, message: null, restorableAt: now - 600_000, sizeBytes: 4096, pointDetail: { snapshot: 'abcd1234' } } },
        { monitorId: 'files-replica', at: now, result: { status: 'up', durationMs: 5, reason: null, message: null, lagMs: 2500 } },
        { monitorId: 'not-counted', at: now, result: { status: 'up', durationMs: 5, reason: null, message: null, restorableAt: now - 10 } },
      ]);
      const restic = await point('files-restic');
      assert.equal(restic?.source, 'command');
      assert.equal(Number(restic?.restorable_at), now - 600_000);
      assert.equal(Number(restic?.size_bytes), 4096);
      assert.deepEqual(JSON.parse(restic?.detail ?? '{}'), { snapshot: 'abcd1234' });
      const replica = await point('files-replica');
      assert.equal(replica?.source, 'replication');
      assert.equal(Number(replica?.restorable_at), now - 2500);
      const storage = await rpoOf('storage');
      assert.equal(storage?.exposure_ms, 2500, 'the replica is the newest copy');
      // A command's reading replaces the last one, even when older (snapshots were pruned).
      await recordProbeResults(env.ctx(), [{ monitorId: 'files-restic', at: now + 1000, result: { status: 'up', durationMs: 40, reason: null, message: null, restorableAt: now - 900_000 } }]);
      assert.equal(Number((await point('files-restic'))?.restorable_at), now - 900_000);
      // The replica stops answering: its last point ages and the exposure grows.
      env.clock.advance(serviceObjectives(env.config.current, 'storage').rpo_ms);
      assert.equal((await rpoOf('storage'))?.status, 'breached');
      assert.ok((await evaluateRpo(env.ctx())).includes('storage'));
      assert.equal((await alert('storage'))?.status, 'triggered');
      const text = await rpoMetricsText(env.ctx());
      assert.match(text, /firebreak_rpo_exposure_seconds\{service="storage"\}/);
    });

    test('a service no longer watched resolves its alert', async () => {
      const before = env.config.current;
      env.config.current = configWithMonitors([{ id: 'db-backup', service: 'database', type: 'heartbeat', key: DB_KEY, period: '1h', recovery_point: true }]);
      try {
        assert.ok((await evaluateRpo(env.ctx())).includes('storage'));
        assert.equal((await alert('storage'))?.status, 'resolved');
      } finally {
        env.config.current = before;
      }
    });

    test('GET /api/v1/recovery/rpo needs a session', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/recovery/rpo' });
      assert.equal(res.statusCode, 401);
    });
  });
}
