import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { resolveOpenIncidents, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { fireAlertmanagerAlert } from './receiver-kit.ts';

/** The example config's events_v2 integration (database service) and alertmanager integration. */
const PD_KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';
const HOUR = 3_600_000;

for (const { name, skip } of DIALECTS) {
  describe(`silences [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    let seq = 0;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));
    // Each test starts with no open incident and no silence in force.
    beforeEach(async () => {
      await resolveOpenIncidents(env);
      await env.db.kysely.updateTable('silences').set({ expired_at: env.clock.now() }).where('expired_at', 'is', null).execute();
    });

    const silence = (body: unknown, headers = t.auth.responder) => t.app.inject({ method: 'POST', url: '/api/v1/silences', headers, payload: body as object });
    const created = async (body: Record<string, unknown>): Promise<{ id: string; state: string }> => {
      const res = await silence({ duration: '2h', comment: 'planned maintenance', ...body });
      assert.equal(res.statusCode, 201, res.body);
      return res.json();
    };
    const trigger = async (dedupKey: string, payload: Record<string, unknown> = {}) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v2/enqueue',
        payload: { routing_key: PD_KEY, event_action: 'trigger', dedup_key: dedupKey, payload: { summary: 'Replica lag', source: 'db-1', severity: 'critical', ...payload } },
      });
      assert.equal(res.statusCode, 202, res.body);
    };
    const amFire = (fingerprint: string, labels: Record<string, string>) => fireAlertmanagerAlert(env, t, fingerprint, labels);
    const alert = (dedupKey: string) => env.db.kysely.selectFrom('alerts').selectAll().where('dedup_key', '=', dedupKey).orderBy('first_seen_at', 'desc').executeTakeFirstOrThrow();
    const key = (what: string) => `${what}-${++seq}`;
    const refused = (res: LightMyRequestResponse, status: number, code: string) => {
      assert.equal(res.statusCode, status, res.body);
      assert.equal(res.json().error.code, code, res.body);
    };

    test('a silence on service=database suppresses an events_v2 trigger: alert kept, no incident, 202 as usual', async () => {
      const s = await created({ matchers: [{ name: 'service', op: '=', value: 'database' }] });
      assert.match(s.id, /^sil_/);
      assert.equal(s.state, 'active');
      const incidentsBefore = (await env.db.kysely.selectFrom('incidents').select('id').execute()).length;
      const k = key('db');
      await trigger(k, { component: 'postgres' });
      const a = await alert(k);
      assert.equal(a.suppressed_by, s.id);
      assert.equal(a.incident_id, null);
      assert.equal(a.status, 'triggered');
      assert.deepEqual(JSON.parse(a.labels), { source: 'db-1', severity: 'critical', component: 'postgres', service: 'database', integration: 'database-monitoring' });
      assert.equal((await env.db.kysely.selectFrom('incidents').select('id').execute()).length, incidentsBefore);
      // Repeats only count; a resolve resolves it as usual.
      await trigger(k);
      assert.equal((await alert(k)).event_count, 2);
      assert.equal((await alert(k)).incident_id, null);
      const res = await t.app.inject({ method: 'POST', url: '/v2/enqueue', payload: { routing_key: PD_KEY, event_action: 'resolve', dedup_key: k } });
      assert.equal(res.statusCode, 202, res.body);
      assert.equal((await alert(k)).status, 'resolved');
    });

    test('a non-matching alert opens an incident as usual', async () => {
      await created({ matchers: [{ name: 'service', op: '=', value: 'api' }] });
      const k = key('db');
      await trigger(k);
      const a = await alert(k);
      assert.equal(a.suppressed_by, null);
      assert.ok(a.incident_id);
    });

    test('regex matchers on Alertmanager labels are anchored (full match); != and !~ work', async () => {
      const disk = await created({ matchers: [{ name: 'alertname', op: '=~', value: 'Disk.*' }] });
      const f1 = key('fp');
      await amFire(f1, { alertname: 'DiskFull' });
      assert.equal((await alert(f1)).suppressed_by, disk.id);
      // Not a full match: "Disk.*" does not match "BigDiskFull".
      const f2 = key('fp');
      await amFire(f2, { alertname: 'BigDiskFull' });
      assert.equal((await alert(f2)).suppressed_by, null);
      // Non-capturing groups and alternation are fine.
      const grouped = await created({ matchers: [{ name: 'alertname', op: '=~', value: '(?:Mem|Cpu)(?:High|Low)+' }] });
      const g1 = key('fp');
      await amFire(g1, { alertname: 'MemHighLow' });
      assert.equal((await alert(g1)).suppressed_by, grouped.id);
      await resolveOpenIncidents(env);

      const neq = await created({ matchers: [{ name: 'team', op: '=', value: 'storage' }, { name: 'env', op: '!=', value: 'prod' }] });
      const f3 = key('fp');
      await amFire(f3, { alertname: 'X', team: 'storage', env: 'staging' });
      assert.equal((await alert(f3)).suppressed_by, neq.id);
      const f4 = key('fp');
      await amFire(f4, { alertname: 'X', team: 'storage', env: 'prod' });
      assert.equal((await alert(f4)).suppressed_by, null);
      await resolveOpenIncidents(env);

      const nre = await created({ matchers: [{ name: 'team', op: '=', value: 'search' }, { name: 'instance', op: '!~', value: 'prod-.*' }] });
      const f5 = key('fp');
      await amFire(f5, { alertname: 'X', team: 'search', instance: 'canary-1' });
      assert.equal((await alert(f5)).suppressed_by, nre.id);
      const f6 = key('fp');
      await amFire(f6, { alertname: 'X', team: 'search', instance: 'prod-1' });
      assert.equal((await alert(f6)).suppressed_by, null);
      assert.ok((await alert(f6)).incident_id);
    });

    test('expired by DELETE: no longer suppresses, and a repeat of a suppressed alert opens the incident', async () => {
      const s = await created({ matchers: [{ name: 'service', op: '=', value: 'database' }] });
      const k = key('db');
      await trigger(k);
      assert.equal((await alert(k)).suppressed_by, s.id);
      const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/silences/${s.id}`, headers: t.auth.responder });
      assert.equal(del.statusCode, 204, del.body);
      // Idempotent.
      assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/silences/${s.id}`, headers: t.auth.responder })).statusCode, 204);
      refused(await t.app.inject({ method: 'DELETE', url: '/api/v1/silences/sil_nope', headers: t.auth.responder }), 404, 'NOT_FOUND');
      const audits = await env.db.kysely.selectFrom('audit_log').selectAll().where('entity_id', '=', s.id).orderBy('id').execute();
      assert.deepEqual(audits.map((r) => r.action), ['silence.created', 'silence.expired']);
      const events = await env.db.kysely.selectFrom('outbox').select('topic').where('aggregate_id', '=', s.id).orderBy('id').execute();
      assert.deepEqual(events.map((e) => e.topic), ['silence.created', 'silence.expired']);

      await trigger(k);
      const a = await alert(k);
      assert.equal(a.suppressed_by, null);
      assert.ok(a.incident_id, 'the repeat after expiry opened an incident');
      assert.equal(a.event_count, 2);
      const k2 = key('db');
      await trigger(k2);
      assert.equal((await alert(k2)).suppressed_by, null);
      const list = await t.app.inject({ method: 'GET', url: '/api/v1/silences?state=expired', headers: t.auth.viewer });
      assert.ok(list.json().data.some((x: { id: string; state: string }) => x.id === s.id && x.state === 'expired'));
    });

    test('expired by time: past ends_at it no longer suppresses', async () => {
      const s = await created({ matchers: [{ name: 'service', op: '=', value: 'database' }], duration: '1h' });
      const k = key('db');
      await trigger(k);
      assert.equal((await alert(k)).suppressed_by, s.id);
      env.clock.advance(HOUR + 1000);
      await trigger(k);
      assert.ok((await alert(k)).incident_id);
      assert.equal((await alert(k)).suppressed_by, null);
      const active = await t.app.inject({ method: 'GET', url: '/api/v1/silences?state=active', headers: t.auth.viewer });
      assert.ok(!active.json().data.some((x: { id: string }) => x.id === s.id));
    });

    test('a pending silence (starts_at in the future) does not suppress yet', async () => {
      const start = env.clock.now() + HOUR;
      const s = await created({ matchers: [{ name: 'service', op: '=', value: 'database' }], starts_at: new Date(start).toISOString(), duration: undefined, ends_at: new Date(start + HOUR).toISOString() });
      assert.equal(s.state, 'pending');
      const k = key('db');
      await trigger(k);
      assert.equal((await alert(k)).suppressed_by, null);
      const pending = await t.app.inject({ method: 'GET', url: '/api/v1/silences?state=pending', headers: t.auth.viewer });
      assert.equal(pending.statusCode, 200);
      assert.ok(pending.json().data.some((x: { id: string }) => x.id === s.id));
      await resolveOpenIncidents(env);
      env.clock.advance(HOUR);
      const k2 = key('db');
      await trigger(k2);
      assert.equal((await alert(k2)).suppressed_by, s.id);
    });

    test('validation errors → 400 with nothing stored', async () => {
      const count = async () => Number((await env.db.kysely.selectFrom('silences').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const before = await count();
      const auditBefore = (await env.db.kysely.selectFrom('audit_log').select('id').execute()).length;
      const m = [{ name: 'service', op: '=', value: 'database' }];
      const now = env.clock.now();
      for (const body of [
        { matchers: [{ name: 'x', op: '=~', value: '(' }], duration: '1h', comment: 'c' },
        { matchers: [{ name: 'x', op: '=~', value: 'a'.repeat(257) }], duration: '1h', comment: 'c' },
        { matchers: [{ name: 'x', op: '=~', value: '(a+)+' }], duration: '1h', comment: 'c' },
        { matchers: [{ name: 'x', op: '!~', value: '(a)\\1' }], duration: '1h', comment: 'c' },
        { matchers: [], duration: '1h', comment: 'c' },
        { matchers: Array.from({ length: 21 }, (_, i) => ({ name: `l${i}`, op: '=', value: 'v' })), duration: '1h', comment: 'c' },
        { matchers: [{ name: 'x', op: '<', value: 'v' }], duration: '1h', comment: 'c' },
        { matchers: m, ends_at: new Date(now - 1000).toISOString(), comment: 'c' },
        { matchers: m, ends_at: new Date(now + 91 * 24 * HOUR).toISOString(), comment: 'c' },
        { matchers: m, duration: '2160h1m', comment: 'c' },
        { matchers: m, duration: 'soon', comment: 'c' },
        { matchers: m, comment: 'c' },
        { matchers: m, duration: '1h', ends_at: new Date(now + HOUR).toISOString(), comment: 'c' },
        { matchers: m, duration: '1h' },
        { matchers: m, duration: '1h', comment: '   ' },
        { matchers: m, duration: '1h', comment: 'c', created_by: 'someone-else' },
        { matchers: [{ name: 'x', op: '=', value: 'v', extra: 1 }], duration: '1h', comment: 'c' },
      ]) {
        refused(await silence(body), 400, 'VALIDATION_FAILED');
      }
      assert.equal(await count(), before);
      assert.equal((await env.db.kysely.selectFrom('audit_log').select('id').execute()).length, auditBefore);
    });

    test('a viewer cannot create or expire silences (403); anonymous callers get 401', async () => {
      const body = { matchers: [{ name: 'service', op: '=', value: 'database' }], duration: '1h', comment: 'c' };
      refused(await silence(body, t.auth.viewer), 403, 'FORBIDDEN');
      refused(await silence(body, t.auth.anonymous), 401, 'UNAUTHENTICATED');
      const s = await created({ matchers: [{ name: 'nothing', op: '=', value: 'x' }] });
      refused(await t.app.inject({ method: 'DELETE', url: `/api/v1/silences/${s.id}`, headers: t.auth.viewer }), 403, 'FORBIDDEN');
    });

    test('the audit row says who and why', async () => {
      const s = await created({ matchers: [{ name: 'service', op: '=', value: 'nothing' }], comment: 'DB failover drill, ticket OPS-42' });
      const row = await env.db.kysely.selectFrom('audit_log').selectAll().where('entity_id', '=', s.id).executeTakeFirstOrThrow();
      assert.equal(row.action, 'silence.created');
      assert.equal(row.actor_id, env.users.responder.id);
      assert.equal(JSON.parse(row.data).comment, 'DB failover drill, ticket OPS-42');
      const view = (await t.app.inject({ method: 'GET', url: '/api/v1/silences', headers: t.auth.viewer })).json().data.find((x: { id: string }) => x.id === s.id);
      assert.equal(view.created_by, env.users.responder.handle);
      assert.equal(view.comment, 'DB failover drill, ticket OPS-42');
    });
  });
}
