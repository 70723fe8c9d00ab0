import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { DIALECTS } from '../helpers/dialects.ts';
import { resolveOpenIncidents, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { fireAlertmanagerAlert } from './receiver-kit.ts';

/** The example config's events_v2 integration pages the database service. */
const PD_KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';
const URL = '/api/v1/maintenance-windows';

for (const { name, skip } of DIALECTS) {
  describe(`maintenance windows [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    let seq = 0;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));
    // Each test starts with no open incident and no window in force.
    beforeEach(async () => {
      await resolveOpenIncidents(env);
      await env.db.kysely.updateTable('maintenance_windows').set({ cancelled_at: env.clock.now() }).where('cancelled_at', 'is', null).execute();
    });

    const post = (body: Record<string, unknown>, headers = t.auth.responder) => t.app.inject({ method: 'POST', url: URL, headers, payload: body });
    const create = async (body: Record<string, unknown>) => {
      const res = await post({ title: 'Storage upgrade', services: ['database'], ...body });
      assert.equal(res.statusCode, 201, res.body);
      return res.json();
    };
    const trigger = async (dedupKey: string) => {
      const res = await t.app.inject({ method: 'POST', url: '/v2/enqueue', payload: { routing_key: PD_KEY, event_action: 'trigger', dedup_key: dedupKey, payload: { summary: 'Replica lag', source: 'db-1', severity: 'critical' } } });
      assert.equal(res.statusCode, 202, res.body);
    };
    const alert = (dedupKey: string) => env.db.kysely.selectFrom('alerts').selectAll().where('dedup_key', '=', dedupKey).orderBy('first_seen_at', 'desc').executeTakeFirstOrThrow();
    const key = () => `mw-${++seq}`;
    /** A local "YYYY-MM-DDTHH:MM" in UTC, `minutes` from the test clock. */
    const utcLocal = (minutes: number) => new Date(env.clock.now() + minutes * 60_000).toISOString().slice(0, 16);

    test('during a window, alerts on its services are kept, open no incident, and the window is named; after it, a repeat pages', async () => {
      const w = await create({ time_zone: 'UTC', starts_at: utcLocal(-5), ends_at: utcLocal(55) });
      assert.match(w.id, /^mw_/);
      assert.equal(w.state, 'in_progress');
      assert.equal(w.created_by, 'responder-user');
      const incidentsBefore = (await env.db.kysely.selectFrom('incidents').select('id').execute()).length;
      const k = key();
      await trigger(k);
      let a = await alert(k);
      assert.equal(a.suppressed_by, w.id);
      assert.equal(a.incident_id, null);
      assert.equal((await env.db.kysely.selectFrom('incidents').select('id').execute()).length, incidentsBefore);
      // Visible through the alerts API as suppressed.
      const listed = await t.app.inject({ method: 'GET', url: '/api/v1/alerts?suppressed=true', headers: t.auth.viewer });
      assert.ok(listed.json().data.some((x: { dedup_key: string }) => x.dedup_key === k), listed.body);
      // Other services are not in maintenance.
      await fireAlertmanagerAlert(env, t, `fp-${k}`, { service: 'checkout' });
      assert.notEqual((await env.db.kysely.selectFrom('alerts').select('incident_id').where('dedup_key', '=', `fp-${k}`).executeTakeFirstOrThrow()).incident_id, null);
      // The window ends: the next repeat opens an incident.
      env.clock.advance(61 * 60_000);
      await trigger(k);
      a = await alert(k);
      assert.equal(a.suppressed_by, null);
      assert.notEqual(a.incident_id, null);
      const got = await t.app.inject({ method: 'GET', url: `${URL}/${w.id}`, headers: t.auth.viewer });
      assert.equal(got.json().state, 'completed');
      assert.equal(got.json().current_or_next, null);
    });

    test('a weekly window in Europe/Berlin suppresses at local 22:00 before and after the DST change', async () => {
      // The test clock is 2026-06-01 (summer). A weekly window from a winter Saturday: 22:00 local
      // is 21:00 UTC in winter and 20:00 UTC in summer.
      const w = await create({ services: ['database'], time_zone: 'Europe/Berlin', starts_at: '2026-03-21T22:00', ends_at: '2026-03-21T23:00', recurrence: 'weekly' });
      assert.equal(w.state, 'scheduled');
      assert.deepEqual(w.current_or_next, { starts_at: '2026-06-06T20:00:00.000Z', ends_at: '2026-06-06T21:00:00.000Z' });
      env.clock.set(Date.parse('2026-06-06T20:30:00Z'));
      const inSummer = key();
      await trigger(inSummer);
      assert.equal((await alert(inSummer)).suppressed_by, w.id);
      env.clock.set(Date.parse('2026-06-06T21:30:00Z'));
      const after = key();
      await trigger(after);
      assert.equal((await alert(after)).suppressed_by, null, '23:30 local is after the window');
      await resolveOpenIncidents(env);
      // Back in winter time (DST ends 2026-10-25): 22:00 local is 21:00 UTC again.
      env.clock.set(Date.parse('2026-10-31T21:30:00Z'));
      const inWinter = key();
      await trigger(inWinter);
      assert.equal((await alert(inWinter)).suppressed_by, w.id);
      // (An API token: months on, the test sessions have expired.)
      const list = await t.app.inject({ method: 'GET', url: `${URL}?state=in_progress&service=database`, headers: t.auth.token });
      assert.deepEqual(list.json().data.map((x: { id: string }) => x.id), [w.id]);
      env.clock.set(Date.parse('2026-06-01T02:13:00Z') + ++seq * 3_600_000);
    });

    test('cancelling ends a window at once (idempotent, audited); viewers cannot create or cancel', async () => {
      const w = await create({ time_zone: 'UTC', starts_at: utcLocal(-1), ends_at: utcLocal(60) });
      assert.equal((await post({ title: 'x', services: ['database'], starts_at: utcLocal(0), ends_at: utcLocal(5) }, t.auth.viewer)).statusCode, 403);
      assert.equal((await t.app.inject({ method: 'DELETE', url: `${URL}/${w.id}`, headers: t.auth.viewer })).statusCode, 403);
      const del = await t.app.inject({ method: 'DELETE', url: `${URL}/${w.id}`, headers: t.auth.responder });
      assert.equal(del.statusCode, 200, del.body);
      assert.equal(del.json().state, 'cancelled');
      assert.equal((await t.app.inject({ method: 'DELETE', url: `${URL}/${w.id}`, headers: t.auth.responder })).json().state, 'cancelled');
      const audits = await env.db.kysely.selectFrom('audit_log').select('action').where('entity_id', '=', w.id).execute();
      assert.deepEqual(audits.map((a) => a.action).sort(), ['maintenance_window.cancelled', 'maintenance_window.created']);
      const k = key();
      await trigger(k);
      assert.equal((await alert(k)).suppressed_by, null);
      assert.equal((await t.app.inject({ method: 'GET', url: `${URL}/mw_nope`, headers: t.auth.viewer })).statusCode, 404);
    });

    test('bad windows → 400 naming the field (or 422 for unknown services), nothing stored', async () => {
      const before = (await env.db.kysely.selectFrom('maintenance_windows').select('id').execute()).length;
      const bad = async (body: Record<string, unknown>, path: string) => {
        const res = await post({ title: 'Bad', services: ['database'], starts_at: '2099-01-01T01:00', ends_at: '2099-01-01T02:00', ...body });
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json().error.code, 'VALIDATION_FAILED');
        assert.ok(res.json().error.details.issues.some((i: { path: string }) => i.path === path), `${path}: ${res.body}`);
      };
      await bad({ time_zone: 'Mars/Olympus' }, 'time_zone');
      await bad({ starts_at: '2099-01-01T01:00Z' }, 'starts_at');
      await bad({ starts_at: '2099-02-30T01:00' }, 'starts_at');
      await bad({ ends_at: '2099-01-01T00:30' }, 'ends_at');
      await bad({ ends_at: '2099-01-09T02:00' }, 'ends_at');
      await bad({ recurrence: 'daily', ends_at: '2099-01-02T02:00' }, 'ends_at');
      await bad({ until: '2099-02-01' }, 'until');
      await bad({ recurrence: 'weekly', until: '2098-12-01' }, 'until');
      await bad({ starts_at: '2000-01-01T01:00', ends_at: '2000-01-01T02:00' }, 'ends_at');
      const unknown = await post({ title: 'Bad', services: ['nope'], starts_at: '2099-01-01T01:00', ends_at: '2099-01-01T02:00' });
      assert.equal(unknown.json().error.code, 'UNKNOWN_SERVICE', unknown.body);
      const hostile = await post({ title: '<script>alert(1)</script>', description: "'; DROP TABLE incidents; --", services: ['database'], starts_at: '2099-01-01T01:00', ends_at: '2099-01-01T02:00' });
      assert.equal(hostile.statusCode, 201, 'stored as text, never interpreted');
      assert.equal(hostile.json().title, '<script>alert(1)</script>');
      assert.equal((await env.db.kysely.selectFrom('maintenance_windows').select('id').execute()).length, before + 1);
    });
  });
}
