import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { getIncident } from '../../src/modules/incidents/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { resolveOpenIncidents, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { assertKeyNeverLogged, receiverKit } from './receiver-kit.ts';

/** The example config's grafana integration (default service web; severity critical → P1). */
const KEY = '9b3e61f0a7c24d58e0b1c6a3f9d27e45';
const INTEGRATION = 'grafana';
const URL = `/api/v1/integrations/${INTEGRATION}/grafana`;
/** The example config's alertmanager integration and its key. */
const AM_KEY = '4d7e2a91c03b58f6e1a9d2c47b805f3e';
const ZERO = '0001-01-01T00:00:00Z';
const TABLES = ['signals', 'alerts', 'incidents', 'incident_timeline', 'outbox', 'audit_log'] as const;

type Alert = Record<string, unknown> & { status: 'firing' | 'resolved'; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; fingerprint: string };

for (const { name, skip } of DIALECTS) {
  describe(`Grafana webhook [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));
    beforeEach(() => resolveOpenIncidents(env));

    const iso = (ms: number) => new Date(ms).toISOString();
    /** An alert as in the reference example (section 3.5), started ten minutes ago. */
    const gAlert = (fingerprint: string, status: 'firing' | 'resolved' = 'firing', labels: Record<string, string> = {}, annotations: Record<string, string> = { summary: 'Disk / at 93% on node-07' }): Alert => ({
      status,
      labels: { alertname: 'Disk almost full', grafana_folder: 'Infra', host: 'node-07', team: 'platform', ...labels },
      annotations,
      startsAt: iso(env.clock.now() - 10 * 60_000).replace('Z', '+00:00'),
      endsAt: status === 'firing' ? ZERO : iso(env.clock.now() - 1000),
      generatorURL: 'https://grafana.example.org/alerting/grafana/dfk2a9x/view',
      fingerprint,
      silenceURL: 'https://grafana.example.org/alerting/silence/new?alertmanager=grafana&matcher=...',
      dashboardURL: '',
      panelURL: '',
      values: { A: 93.1, C: 1 },
      valueString: "[ var='A' labels={host=node-07} value=93.1 ], [ var='C' ... value=1 ]",
      ruleUID: 'dfk2a9x',
    });
    const webhook = (alerts: unknown[], extra: Record<string, unknown> = {}) => ({
      receiver: 'platform-webhook',
      status: alerts.some((a) => (a as Alert).status === 'firing') ? 'firing' : 'resolved',
      orgId: 1,
      alerts,
      groupLabels: { alertname: 'Disk almost full', grafana_folder: 'Infra' },
      commonLabels: { alertname: 'Disk almost full', grafana_folder: 'Infra', host: 'node-07', team: 'platform' },
      commonAnnotations: { summary: 'Disk / at 93% on node-07' },
      externalURL: 'https://grafana.example.org/',
      version: '1',
      groupKey: '{}/{team="platform"}:{alertname="Disk almost full", grafana_folder="Infra"}',
      truncatedAlerts: 0,
      title: '[FIRING:1] Disk almost full Infra (node-07 platform)',
      state: 'alerting',
      message: '**Firing**\n\nValue: A=93.1 ...',
      ...extra,
    });
    const { send, ok, refused, counts, alertFor, lastSignal } = receiverKit(() => ({ env, t }), { key: KEY, url: URL, integration: INTEGRATION, tables: TABLES });

    test('the reference example: the alert opens an incident on the default service, Grafana fields kept in details', async () => {
      const before = await counts();
      const alert = gAlert('5e0b9a1c77d2f3e8');
      const body = webhook([alert], { appVersion: '12.1.0', somethingNew: { x: 1 } });
      ok(await send(body), 1);

      const row = (await alertFor('5e0b9a1c77d2f3e8'))!;
      assert.equal(row.status, 'triggered');
      assert.equal(row.service_id, 'web', 'no service label: the integration default');
      assert.equal(row.severity, '', 'no severity label');
      assert.equal(row.summary, 'Disk / at 93% on node-07');
      assert.equal(row.source, 'platform-webhook', 'no instance or job label: the receiver');
      assert.equal(row.detected_at, Date.parse(alert.startsAt));
      const details = JSON.parse(row.details);
      assert.deepEqual(details.labels, alert.labels);
      assert.deepEqual(details.annotations, alert.annotations);
      assert.deepEqual(details.values, { A: 93.1, C: 1 });
      assert.equal(details.valueString, alert.valueString);
      assert.equal(details.silenceURL, alert.silenceURL);
      assert.equal(details.dashboardURL, null, 'empty legacy URLs are not set');
      assert.equal(details.panelURL, null);
      assert.equal(details.generatorURL, alert.generatorURL);
      assert.equal(details.ruleUID, 'dfk2a9x');
      assert.equal(details.endsAt, null, 'the zero time means not set');
      assert.equal(details.orgId, 1);

      const inc = await getIncident(env.ctx(), row.incident_id!);
      assert.equal(inc.title, 'Disk / at 93% on node-07');
      assert.equal(inc.severity, 'P3', 'no severity label → default P3');
      assert.deepEqual(inc.services, ['web']);
      assert.equal(inc.created_by, `integration ${INTEGRATION}`);

      const signal = await lastSignal();
      assert.equal(signal.integration_id, INTEGRATION);
      assert.equal(signal.event_action, 'firing');
      assert.equal(signal.dedup_key, body.groupKey);
      assert.deepEqual(JSON.parse(signal.payload), body, 'kept as sent');
      const afterCounts = await counts();
      assert.equal(afterCounts.signals, before.signals + 1);
      assert.equal(afterCounts.alerts, before.alerts + 1);
      assert.equal(afterCounts.incidents, before.incidents + 1);
    });

    test('firing, repeated, then resolved: one alert, counted, resolved on the timeline', async () => {
      ok(await send(webhook([gAlert('flow-1'), gAlert('flow-2')])), 2);
      const a1 = (await alertFor('flow-1'))!;
      assert.equal((await alertFor('flow-2'))!.incident_id, a1.incident_id);
      env.clock.advance(60_000);
      ok(await send(webhook([gAlert('flow-1'), gAlert('flow-2')])), 2);
      const repeated = (await alertFor('flow-1'))!;
      assert.equal(repeated.id, a1.id);
      assert.equal(repeated.event_count, 2);
      assert.equal(repeated.last_seen_at, env.clock.now());
      env.clock.advance(60_000);
      ok(await send(webhook([gAlert('flow-1', 'resolved'), gAlert('flow-2', 'resolved')], { state: 'ok', title: '[RESOLVED] Disk almost full' })), 2);
      assert.equal((await alertFor('flow-1'))!.status, 'resolved');
      assert.equal((await alertFor('flow-2'))!.status, 'resolved');
      assert.equal((await lastSignal()).event_action, 'resolved');
      const inc = await getIncident(env.ctx(), a1.incident_id!);
      assert.equal(inc.timeline.filter((e) => e.kind === 'alert_resolved').length, 2);
      // A resolve for an alert that is not open is dropped.
      ok(await send(webhook([gAlert('flow-never', 'resolved')])), 1);
      assert.equal(await alertFor('flow-never'), undefined);
    });

    test('severity and service labels; summary falls back to alertname, then the title', async () => {
      ok(await send(webhook([gAlert('sev-1', 'firing', { severity: 'critical', service: 'checkout', instance: 'node-07:9100' })])), 1);
      const a = (await alertFor('sev-1'))!;
      assert.equal(a.service_id, 'checkout');
      assert.equal(a.severity, 'critical');
      assert.equal(a.source, 'node-07:9100');
      assert.equal((await getIncident(env.ctx(), a.incident_id!)).severity, 'P1', 'critical → P1 (example map)');

      ok(await send(webhook([gAlert('sev-2', 'firing', { service: 'nowhere', severity: 'whatever' }, {})])), 1);
      const b = (await alertFor('sev-2'))!;
      assert.equal(b.service_id, 'web', 'unknown service label: the default');
      assert.equal(b.summary, 'Disk almost full', 'no summary annotation: alertname');

      const { alertname: _n, ...noName } = gAlert('sev-3').labels;
      ok(await send(webhook([{ ...gAlert('sev-3', 'firing', { service: 'storage' }, {}), labels: { ...noName, service: 'storage' }, annotations: null, values: null }])), 1);
      const c = (await alertFor('sev-3'))!;
      assert.equal(c.summary, '[FIRING:1] Disk almost full Infra (node-07 platform)', 'then the title');
      assert.equal(JSON.parse(c.details).values, null);
    });

    test('bad input → 4xx with nothing stored', async () => {
      const before = await counts();
      const good = () => webhook([gAlert('bad-1')]);
      refused(await send('{"version":"1","alerts":['), 400, 'INVALID_JSON');
      refused(await send('[]'), 400, 'VALIDATION_FAILED');
      assert.match(refused(await send({ ...good(), version: '4' }), 400, 'VALIDATION_FAILED').message, /version/);
      refused(await send({ ...good(), status: 'pending' }), 400, 'VALIDATION_FAILED');
      refused(await send({ ...good(), groupKey: '' }), 400, 'VALIDATION_FAILED');
      refused(await send(webhook([{ ...gAlert('bad-2'), fingerprint: '' }])), 400, 'VALIDATION_FAILED');
      refused(await send(webhook([{ ...gAlert('bad-3'), values: { A: 'high' } }])), 400, 'VALIDATION_FAILED');
      refused(await send(webhook([{ ...gAlert('bad-4'), startsAt: 'yesterday' }])), 400, 'VALIDATION_FAILED');
      assert.match(refused(await send(webhook([gAlert('bad-ok'), { ...gAlert('bad-5'), startsAt: iso(env.clock.now() + 3600_000) }])), 400, 'VALIDATION_FAILED').message, /alerts\.1\.startsAt/);
      refused(await send(webhook([gAlert('bad-6', 'firing', {}, { summary: 'nul \u0000 here' })])), 400, 'VALIDATION_FAILED');
      refused(await send(webhook([gAlert('bad-7', 'firing', {}, { description: 'z'.repeat(520 * 1024) })])), 413, 'PAYLOAD_TOO_LARGE');
      assert.deepEqual(await counts(), before);
      ok(await send(webhook([gAlert('big-ok', 'firing', {}, { description: 'z'.repeat(400 * 1024) })])), 1);
    });

    test('wrong or missing key → 401; unknown integration or one of another type → 404; nothing stored', async () => {
      const before = await counts();
      const body = webhook([gAlert('auth-1')]);
      refused(await send(body, {}), 401, 'UNAUTHENTICATED');
      refused(await send(body, { authorization: 'Bearer ffffffffffffffffffffffffffffffff' }), 401, 'UNAUTHENTICATED');
      refused(await send(body, { authorization: `Bearer ${AM_KEY}` }), 401, 'UNAUTHENTICATED');
      refused(await send(body, { authorization: `Basic ${Buffer.from(`x:${KEY}`).toString('base64')}` }), 401, 'UNAUTHENTICATED');
      refused(await send(body, { authorization: KEY }), 401, 'UNAUTHENTICATED');
      refused(await send(body, {}, `${URL}?key=${KEY}`), 401, 'UNAUTHENTICATED');
      refused(await send(body, { authorization: `Bearer ${KEY}` }, '/api/v1/integrations/nope/grafana'), 404, 'NOT_FOUND');
      refused(await send(body, { authorization: `Bearer ${AM_KEY}` }, '/api/v1/integrations/prometheus/grafana'), 404, 'NOT_FOUND');
      refused(await send(body, { authorization: `Bearer ${KEY}` }, `/api/v1/integrations/${INTEGRATION}/alertmanager`), 404, 'NOT_FOUND');
      assert.deepEqual(await counts(), before);
      ok(await send(body, { authorization: `bearer ${KEY}` }), 1);
    });

    test('the route is in the route table as public and in the API description', async () => {
      assert.equal(t.routes.find((r) => r.url === '/api/v1/integrations/:id/grafana')?.access, 'public');
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: t.auth.viewer });
      assert.ok(res.json().paths['/api/v1/integrations/{id}/grafana']?.post);
    });

    test('the key never appears in the logs, even at trace level and on errors', () =>
      assertKeyNeverLogged(env, {
        key: KEY,
        url: URL,
        unknownUrl: '/api/v1/integrations/nope/grafana',
        version: '1',
        body: (overrides, description) => webhook([gAlert('logged', 'firing', {}, description === undefined ? undefined : { description })], overrides),
      }));
  });
}
