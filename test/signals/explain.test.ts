import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { DIALECTS } from '../helpers/dialects.ts';
import { resolveOpenIncidents, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';

const PD_KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';
const TABLES = ['signals', 'alerts', 'incidents', 'incident_timeline', 'audit_log', 'outbox'] as const;

for (const { name, skip } of DIALECTS) {
  describe(`explain endpoint [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));
    beforeEach(() => resolveOpenIncidents(env));

    const explain = (integration: string, body: unknown, headers: Record<string, string> = t.auth.viewer) =>
      t.app.inject({ method: 'POST', url: `/api/v1/integrations/${integration}/explain`, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
    const counts = async () => {
      const out: Record<string, number> = {};
      for (const table of TABLES) out[table] = Number((await env.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      return out;
    };
    const amSample = (alerts: { fp: string; labels: Record<string, string>; status?: string }[]) => ({
      version: '4',
      groupKey: 'g',
      status: 'firing',
      receiver: 'firebreak',
      alerts: alerts.map((a) => ({ status: a.status ?? 'firing', labels: { alertname: 'HighErrorRate', ...a.labels }, annotations: {}, startsAt: new Date(env.clock.now() - 60_000).toISOString(), fingerprint: a.fp })),
    });

    test('an Alertmanager sample: dedup key, service, severity with the deciding rule, a new incident; nothing stored', async () => {
      const before = await counts();
      const res = await explain('prometheus', amSample([
        { fp: 'x-1', labels: { service: 'checkout', severity: 'critical' } },
        { fp: 'x-2', labels: { service: 'docs', severity: 'warning', category: 'security' } },
        { fp: 'x-3', labels: { service: 'docs' }, status: 'resolved' },
      ]));
      assert.equal(res.statusCode, 200, res.body);
      const { integration, type, alerts } = res.json();
      assert.equal(integration, 'prometheus');
      assert.equal(type, 'alertmanager');
      assert.equal(alerts[0].dedup_key, 'x-1');
      assert.equal(alerts[0].service, 'checkout');
      assert.deepEqual(alerts[0].incident, { action: 'create', absorbs: [] });
      assert.equal(alerts[0].severity.severity, 'P1');
      assert.equal(alerts[0].severity.rule, null);
      assert.match(alerts[0].severity.reason, /no rule matched; severity "critical" maps to P1/);
      assert.equal(alerts[0].severity.impact.score, 54);
      assert.match(alerts[0].outcome, /opens a P1 incident on checkout/);
      assert.equal(alerts[1].severity.severity, 'P0');
      assert.equal(alerts[1].severity.rule, 'security');
      assert.equal(alerts[2].action, 'resolve');
      assert.match(alerts[2].outcome, /dropped: no alert is open/);
      assert.deepEqual(await counts(), before, 'explaining stores nothing');
    });

    test('silences, maintenance windows, the incident it would join (by dependency), and a repeat', async () => {
      // An open incident on database: checkout depends on it.
      const pd = await t.app.inject({ method: 'POST', url: '/v2/enqueue', payload: { routing_key: PD_KEY, event_action: 'trigger', dedup_key: 'db-down', payload: { summary: 'Primary down', source: 'db-1', severity: 'critical' } } });
      assert.equal(pd.statusCode, 202);
      const ref = `INC-${(await env.db.kysely.selectFrom('incidents').select('number').orderBy('number', 'desc').executeTakeFirstOrThrow()).number}`;
      let res = await explain('prometheus', amSample([{ fp: 'y-1', labels: { service: 'checkout', severity: 'critical' } }]));
      let [a] = res.json().alerts;
      assert.deepEqual(a.incident, { action: 'join', ref, via: 'dependency', root_cause_service: 'database' });
      assert.match(a.outcome, new RegExp(`joins ${ref} \\(on database, which checkout depends on: likely root cause\\)`));
      // The same key as the open PD alert is a repeat.
      res = await explain('database-monitoring', { routing_key: 'ignored here', event_action: 'trigger', dedup_key: 'db-down', payload: { summary: 'Primary down', source: 'db-1', severity: 'critical' } });
      [a] = res.json().alerts;
      assert.equal(a.dedup_key, 'db-down');
      assert.equal(a.open_alert.status, 'triggered');
      assert.match(a.outcome, /^repeats open alert alt_/);
      // A silence and a window on checkout: both listed, the first wins.
      const sil = await t.app.inject({ method: 'POST', url: '/api/v1/silences', headers: t.auth.responder, payload: { matchers: [{ name: 'alertname', op: '=', value: 'HighErrorRate' }], duration: '1h', comment: 'noisy' } });
      const now = new Date(env.clock.now());
      const local = (ms: number) => new Date(now.getTime() + ms).toISOString().slice(0, 16);
      const mw = await t.app.inject({ method: 'POST', url: '/api/v1/maintenance-windows', headers: t.auth.responder, payload: { title: 'Checkout deploy', services: ['checkout'], time_zone: 'UTC', starts_at: local(-60_000), ends_at: local(3_600_000) } });
      res = await explain('prometheus', amSample([{ fp: 'y-2', labels: { service: 'checkout', severity: 'critical' } }]));
      [a] = res.json().alerts;
      assert.deepEqual(a.suppressed_by, [{ type: 'silence', id: sil.json().id }, { type: 'maintenance_window', id: mw.json().id }]);
      assert.match(a.outcome, /suppressed by silence sil_/);
      await t.app.inject({ method: 'DELETE', url: `/api/v1/silences/${sil.json().id}`, headers: t.auth.responder });
      await t.app.inject({ method: 'DELETE', url: `/api/v1/maintenance-windows/${mw.json().id}`, headers: t.auth.responder });
    });

    test('a generic webhook sample; PD acknowledge and resolve without an open alert are dropped', async () => {
      const res = await explain('datadog', { id: 'dd-9', title: 'Disk full', transition: 'Triggered', priority: 'P1', tags: { service: 'reporting' } });
      assert.equal(res.statusCode, 200, res.body);
      const [a] = res.json().alerts;
      assert.equal(a.dedup_key, 'dd-9');
      assert.equal(a.service, 'reporting');
      const ack = await explain('database-monitoring', { routing_key: 'x', event_action: 'acknowledge', dedup_key: 'nothing-open' });
      assert.match(ack.json().alerts[0].outcome, /dropped/);
    });

    test('refused as the receiver would refuse; unknown integration 404; sign-in required', async () => {
      const bad = await explain('prometheus', { version: '3', alerts: [] });
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().error.code, 'VALIDATION_FAILED');
      const future = await explain('database-monitoring', { event_action: 'trigger', payload: { summary: 's', source: 's', severity: 'critical', timestamp: '2999-01-01T00:00:00Z' } });
      assert.equal(future.statusCode, 400, future.body);
      assert.equal((await explain('nope', {})).statusCode, 404);
      assert.equal((await explain('prometheus', amSample([]), {})).statusCode, 401);
      assert.equal((await explain('prometheus', amSample([]), { authorization: 'Bearer 4d7e2a91c03b58f6e1a9d2c47b805f3e' })).statusCode, 401, 'the integration key is not a sign-in');
    });
  });
}
