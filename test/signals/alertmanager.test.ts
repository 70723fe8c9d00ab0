import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { getIncident, transitionIncident } from '../../src/modules/incidents/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { injectInsertFailure, resolveOpenIncidents, waitForNewestSignalSetAside, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { assertKeyNeverLogged, receiverKit } from './receiver-kit.ts';

/** The example config's alertmanager integration (default service api; severity page → P1). */
const KEY = '4d7e2a91c03b58f6e1a9d2c47b805f3e';
const INTEGRATION = 'prometheus';
const URL = `/api/v1/integrations/${INTEGRATION}/alertmanager`;
/** The example config's events_v2 integration and its key. */
const PD_INTEGRATION = 'database-monitoring';
const PD_KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';
const ZERO = '0001-01-01T00:00:00Z';
const TABLES = ['signals', 'alerts', 'incidents', 'incident_timeline', 'outbox', 'audit_log'] as const;

type Alert = { status: 'firing' | 'resolved'; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; generatorURL: string; fingerprint: string };

for (const { name, skip } of DIALECTS) {
  describe(`Alertmanager webhook [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));
    // Alerts on one service group into its open incident; each test starts with none open.
    beforeEach(() => resolveOpenIncidents(env));

    const iso = (ms: number) => new Date(ms).toISOString();
    /** An alert as in the reference example (section 1.4), started ten minutes ago. */
    const amAlert = (fingerprint: string, status: 'firing' | 'resolved' = 'firing', labels: Record<string, string> = {}, annotations: Record<string, string> = {}): Alert => ({
      status,
      labels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'critical', team: 'payments', pod: `checkout-7f9c-${fingerprint}`, ...labels },
      annotations: { summary: `5xx ratio 7.2% on checkout-7f9c-${fingerprint}`, runbook_url: 'https://runbooks.example.org/checkout-5xx', ...annotations },
      startsAt: iso(env.clock.now() - 10 * 60_000),
      endsAt: status === 'firing' ? ZERO : iso(env.clock.now() - 1000),
      generatorURL: 'https://prometheus.example.org/graph?g0.expr=...',
      fingerprint,
    });
    /** A notification for a group, as Alertmanager v0.34 sends it. */
    const webhook = (alerts: unknown[], extra: Record<string, unknown> = {}) => ({
      version: '4',
      groupKey: '{}/{team="payments"}:{alertname="HighErrorRate", service="checkout"}',
      truncatedAlerts: 0,
      status: alerts.some((a) => (a as Alert).status === 'firing') ? 'firing' : 'resolved',
      receiver: 'payments-oncall',
      groupLabels: { alertname: 'HighErrorRate', service: 'checkout' },
      commonLabels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'critical', team: 'payments' },
      commonAnnotations: { runbook_url: 'https://runbooks.example.org/checkout-5xx' },
      externalURL: 'https://alertmanager.example.org',
      notification_reason: 'first notification',
      routeLabels: {},
      alerts,
      ...extra,
    });
    const { send, ok, refused, counts, alertFor, lastSignal } = receiverKit(() => ({ env, t }), { key: KEY, url: URL, integration: INTEGRATION, tables: TABLES });

    test('a grouped notification (reference example): the firing alert opens an incident on its service, the unknown resolved one is dropped', async () => {
      const before = await counts();
      const firing = amAlert('3a5f0c9d1e7b2468');
      const resolved = amAlert('b41e77c0aa93d512', 'resolved', {}, { summary: '5xx ratio back under 1%' });
      const body = webhook([firing, resolved], { notification_reason: 'some alerts resolved', somethingNew: { from: 'v0.99' } });
      ok(await send(body), 2);

      const alert = (await alertFor('3a5f0c9d1e7b2468'))!;
      assert.equal(alert.status, 'triggered');
      assert.equal(alert.service_id, 'checkout', 'the service label names a configured service');
      assert.equal(alert.severity, 'critical');
      assert.equal(alert.summary, '5xx ratio 7.2% on checkout-7f9c-3a5f0c9d1e7b2468');
      assert.equal(alert.source, 'payments-oncall', 'no instance or job label: the receiver');
      assert.equal(alert.detected_at, Date.parse(firing.startsAt));
      assert.equal(alert.event_count, 1);
      const details = JSON.parse(alert.details);
      assert.deepEqual(details.labels, firing.labels);
      assert.deepEqual(details.annotations, firing.annotations);
      assert.equal(details.startsAt, firing.startsAt);
      assert.equal(details.endsAt, null, 'the zero time means not set');
      assert.equal(details.generatorURL, firing.generatorURL);
      assert.equal(await alertFor('b41e77c0aa93d512'), undefined, 'resolve without an open alert is dropped');

      const inc = await getIncident(env.ctx(), alert.incident_id!);
      assert.equal(inc.title, firing.annotations.summary);
      assert.equal(inc.source, 'automated');
      assert.equal(inc.severity, 'P1', 'critical → P1');
      assert.deepEqual(inc.services, ['checkout']);
      assert.equal(inc.detected_at, firing.startsAt);
      assert.equal(inc.created_by, `integration ${INTEGRATION}`);
      assert.deepEqual(inc.timeline.map((e) => e.kind), ['created', 'alert_added']);

      const signal = await lastSignal();
      assert.equal(signal.integration_id, INTEGRATION);
      assert.equal(signal.kind, 'alert');
      assert.equal(signal.event_action, 'firing');
      assert.equal(signal.dedup_key, body.groupKey);
      assert.deepEqual(JSON.parse(signal.payload), body, 'kept as sent, unknown fields too');
      assert.ok(!signal.payload.includes(KEY));
      const afterCounts = await counts();
      assert.equal(afterCounts.signals, before.signals + 1);
      assert.equal(afterCounts.alerts, before.alerts + 1);
      assert.equal(afterCounts.incidents, before.incidents + 1);
    });

    test('send_resolved: firing then all resolved → alerts resolved, alert_resolved on the timeline', async () => {
      ok(await send(webhook([amAlert('flow-1'), amAlert('flow-2')])), 2);
      const a1 = (await alertFor('flow-1'))!;
      const a2 = (await alertFor('flow-2'))!;
      assert.equal(a2.incident_id, a1.incident_id, 'both alerts of the group are on one incident');
      env.clock.advance(5 * 60_000);
      ok(await send(webhook([amAlert('flow-1', 'resolved'), amAlert('flow-2', 'resolved')], { notification_reason: 'all alerts resolved' })), 2);
      for (const fp of ['flow-1', 'flow-2']) {
        const a = (await alertFor(fp))!;
        assert.equal(a.status, 'resolved');
        assert.equal(a.resolved_at, env.clock.now());
      }
      assert.equal((await lastSignal()).event_action, 'resolved');
      const inc = await getIncident(env.ctx(), a1.incident_id!);
      // The example's prometheus integration auto-resolves once every alert has resolved.
      // The two alerts arrived in one notification: one alert_added entry lists both.
      assert.deepEqual(inc.timeline.map((e) => e.kind), ['created', 'alert_added', 'alert_resolved', 'alert_resolved', 'auto_resolve_scheduled']);
      assert.equal(inc.timeline[1].data.count, 2);
      assert.deepEqual((inc.timeline[1].data.alerts as { alert_id: string }[]).map((a) => a.alert_id), [a1.id, a2.id]);
      assert.equal(inc.timeline[2].data.alert_id, a1.id);
      // Alertmanager in an HA pair sends the same notification twice: the second resolve is dropped.
      const before = await counts();
      ok(await send(webhook([amAlert('flow-1', 'resolved'), amAlert('flow-2', 'resolved')])), 2);
      const afterCounts = await counts();
      assert.deepEqual({ ...afterCounts, signals: before.signals }, before);
      assert.equal(afterCounts.signals, before.signals + 1);
    });

    test('repeat notification (same fingerprints): counts and last seen go up, no new alerts or incidents', async () => {
      ok(await send(webhook([amAlert('rep-1'), amAlert('rep-2')])), 2);
      const before = await counts();
      env.clock.advance(4 * 3600_000);
      ok(await send(webhook([amAlert('rep-1'), amAlert('rep-2')], { notification_reason: 'repeat interval elapsed' })), 2);
      for (const fp of ['rep-1', 'rep-2']) {
        const a = (await alertFor(fp))!;
        assert.equal(a.event_count, 2);
        assert.equal(a.last_seen_at, env.clock.now());
      }
      const afterCounts = await counts();
      assert.equal(afterCounts.incidents, before.incidents);
      assert.equal(afterCounts.alerts, before.alerts);
      assert.equal(afterCounts.incident_timeline, before.incident_timeline);
      assert.equal(afterCounts.signals, before.signals + 1);
    });

    // checkout and docs share no dependency, so their alerts open an incident each.
    test('a batch of 100 alerts over two services: two incidents, all or nothing in one transaction', async () => {
      const batch = Array.from({ length: 100 }, (_, i) => amAlert(`big-${String(i).padStart(3, '0')}`, 'firing', { service: i % 2 ? 'docs' : 'checkout', severity: i % 2 ? 'warning' : 'critical' }));
      const k = env.db.kysely;
      // A failure at the very last alert must leave nothing of the other 99: the notification was
      // accepted (durable) and answered 200, and its work is applied whole or not at all.
      const heal = await injectInsertFailure(env, 'alerts', "new.dedup_key = 'big-099'");
      const before = await counts();
      let res: LightMyRequestResponse;
      let failed;
      try {
        res = await send(webhook(batch));
        failed = await waitForNewestSignalSetAside(env);
      } finally {
        await heal();
      }
      ok(res, 100);
      assert.match(failed.error!, /boom: injected failure/);
      assert.deepEqual(await counts(), { ...before, signals: before.signals + 1 });

      // Alertmanager sends the group again (its next group_interval); then the whole batch goes through.
      ok(await send(webhook(batch)), 100);
      const afterCounts = await counts();
      assert.equal(afterCounts.signals, before.signals + 2, 'one signal per notification');
      assert.equal(afterCounts.alerts, before.alerts + 100);
      assert.equal(afterCounts.incidents, before.incidents + 2);
      const rows = await k.selectFrom('alerts').select(['service_id', 'incident_id']).where('dedup_key', 'like', 'big-%').execute();
      const byService = new Map<string, Set<string | null>>();
      for (const r of rows) byService.set(r.service_id, (byService.get(r.service_id) ?? new Set()).add(r.incident_id));
      assert.deepEqual([...byService.keys()].sort(), ['checkout', 'docs']);
      assert.equal(byService.get('checkout')!.size, 1);
      assert.equal(byService.get('docs')!.size, 1);
      const [checkoutInc] = [...byService.get('checkout')!];
      const [docsInc] = [...byService.get('docs')!];
      assert.notEqual(checkoutInc, docsInc);
      assert.equal((await getIncident(env.ctx(), checkoutInc!)).severity, 'P1');
      assert.equal((await getIncident(env.ctx(), docsInc!)).severity, 'P3', 'warning → P3');
      const added = (await getIncident(env.ctx(), docsInc!)).timeline.filter((e) => e.kind === 'alert_added');
      assert.equal(added.length, 1, 'one alert_added entry for the 50 alerts of one notification');
      assert.equal(added[0].data.count, 50);
      assert.match(added[0].body, /^50 alerts from Prometheus Alertmanager, the first: /);
      assert.equal((added[0].data.alerts as unknown[]).length, 50);
    });

    test('severity label → P level: defaults, the integration map, anything else → default P3', async () => {
      const cases: [Record<string, string>, string][] = [
        [{ severity: 'critical' }, 'P1'],
        [{ severity: 'error' }, 'P2'],
        [{ severity: 'warning' }, 'P3'],
        [{ severity: 'info' }, 'P3'],
        [{ severity: 'page' }, 'P1'],
        [{ severity: 'bogus' }, 'P3'],
        [{ severity: 'toString' }, 'P3'],
      ];
      for (const [i, [labels, want]] of cases.entries()) {
        // Closed, not just resolved: a resolved incident would reopen for the next alert.
        await resolveOpenIncidents(env);
        ok(await send(webhook([amAlert(`sev-${i}`, 'firing', labels)])), 1);
        const a = (await alertFor(`sev-${i}`))!;
        assert.equal(a.severity, labels.severity);
        assert.equal((await getIncident(env.ctx(), a.incident_id!)).severity, want, JSON.stringify(labels));
      }
      // No severity label at all: the map's default, and the alert keeps an empty severity.
      await resolveOpenIncidents(env);
      const bare = amAlert('sev-none');
      delete bare.labels.severity;
      ok(await send(webhook([bare])), 1);
      const a = (await alertFor('sev-none'))!;
      assert.equal(a.severity, '');
      assert.equal((await getIncident(env.ctx(), a.incident_id!)).severity, 'P3');
    });

    test('service label naming no configured service, summary and source fallbacks, escaped receiver', async () => {
      const alert = amAlert('svc-unknown', 'firing', { service: 'no-such-service', instance: '', job: 'node-exporter' }, { summary: '  ' });
      ok(await send(webhook([alert], { receiver: 'team\\.payments\\-oncall' })), 1);
      const a = (await alertFor('svc-unknown'))!;
      assert.equal(a.service_id, 'api', "the integration's default service");
      assert.equal(a.summary, 'HighErrorRate', 'blank summary annotation: the alertname');
      assert.equal(a.source, 'node-exporter', 'empty instance: the job');
      assert.equal(JSON.parse(a.details).receiver, 'team.payments-oncall');

      const bare = amAlert('svc-bare', 'firing', { instance: 'db-1:9100' });
      bare.labels = { instance: 'db-1:9100' };
      bare.annotations = {};
      ok(await send(webhook([bare], { receiver: 'ops\\.pager' })), 1);
      const b = (await alertFor('svc-bare'))!;
      assert.equal(b.summary, 'Alertmanager alert');
      assert.equal(b.source, 'db-1:9100');
      assert.equal(b.service_id, 'api');

      const noSource = amAlert('svc-receiver', 'firing', { service: 'database' });
      ok(await send(webhook([noSource], { receiver: 'db\\-team' })), 1);
      const c = (await alertFor('svc-receiver'))!;
      assert.equal(c.source, 'db-team', 'receiver names arrive regex-escaped');
      assert.equal(c.service_id, 'database');

      // A long multi-line summary (templated annotations) is shortened for the alert and the title, kept whole in details.
      const long = `Disk almost full\n${'x'.repeat(30_000)}`;
      ok(await send(webhook([amAlert('svc-long', 'firing', { service: 'storage' }, { summary: long })])), 1);
      const d = (await alertFor('svc-long'))!;
      assert.equal(d.summary.length, 1024);
      assert.equal(JSON.parse(d.details).annotations.summary, long);
      const inc = await getIncident(env.ctx(), d.incident_id!);
      assert.ok(inc.title.length <= 200 && inc.title.startsWith('Disk almost full'), inc.title);
    });

    test('times: zero startsAt means now, nanoseconds and offsets accepted, resolved with zero endsAt still resolves, future startsAt refused', async () => {
      const zero = { ...amAlert('time-zero'), startsAt: ZERO };
      ok(await send(webhook([zero])), 1);
      const a = (await alertFor('time-zero'))!;
      assert.equal(a.detected_at, env.clock.now());
      assert.equal(JSON.parse(a.details).startsAt, null);

      const started = env.clock.now() - 3600_000;
      const offset = new Date(started + 2 * 3600_000).toISOString().replace('Z', '').replace(/\.\d+$/, '.123456789+02:00');
      ok(await send(webhook([{ ...amAlert('time-nano'), startsAt: offset }])), 1);
      assert.equal((await alertFor('time-nano'))!.detected_at, Math.floor(started / 1000) * 1000 + 123);

      env.clock.advance(60_000);
      ok(await send(webhook([{ ...amAlert('time-zero', 'resolved'), endsAt: ZERO }])), 1);
      const r = (await alertFor('time-zero'))!;
      assert.equal(r.status, 'resolved');
      assert.equal(r.resolved_at, env.clock.now());

      // A start a little ahead (clock skew) is capped at now; beyond five minutes it is refused, with nothing stored.
      ok(await send(webhook([{ ...amAlert('time-skew'), startsAt: iso(env.clock.now() + 60_000) }])), 1);
      assert.equal((await alertFor('time-skew'))!.detected_at, env.clock.now());
      const before = await counts();
      const future = { ...amAlert('time-future'), startsAt: iso(env.clock.now() + 10 * 60_000) };
      const err = refused(await send(webhook([amAlert('time-ok'), future])), 400, 'VALIDATION_FAILED');
      assert.match(err.message, /alerts\.1\.startsAt/);
      for (const bad of ['yesterday', '2026-06-01 02:13:00', '2026-06-01T02:13:00']) {
        refused(await send(webhook([{ ...amAlert('time-bad'), startsAt: bad }])), 400, 'VALIDATION_FAILED');
        refused(await send(webhook([{ ...amAlert('time-bad'), endsAt: bad }])), 400, 'VALIDATION_FAILED');
      }
      assert.deepEqual(await counts(), before);
    });

    test('bad input → 4xx with nothing stored', async () => {
      const before = await counts();
      const good = () => webhook([amAlert('bad-1')]);
      refused(await send('{"version":"4","alerts":['), 400, 'INVALID_JSON');
      refused(await send(''), 400, 'INVALID_JSON');
      refused(await send('[]'), 400, 'VALIDATION_FAILED');
      refused(await send('"hello"'), 400, 'VALIDATION_FAILED');
      const { alerts: _a, ...noAlerts } = good();
      assert.match(refused(await send(noAlerts), 400, 'VALIDATION_FAILED').message, /alerts/);
      assert.match(refused(await send({ ...good(), version: '3' }), 400, 'VALIDATION_FAILED').message, /version/);
      refused(await send({ ...good(), version: 4 }), 400, 'VALIDATION_FAILED');
      refused(await send({ ...good(), status: 'pending' }), 400, 'VALIDATION_FAILED');
      refused(await send({ ...good(), groupKey: 7 }), 400, 'VALIDATION_FAILED');
      refused(await send({ ...good(), alerts: {} }), 400, 'VALIDATION_FAILED');
      refused(await send(webhook([{ ...amAlert('bad-2'), labels: { severity: 3 } }])), 400, 'VALIDATION_FAILED');
      refused(await send(webhook([{ ...amAlert('bad-3'), fingerprint: '' }])), 400, 'VALIDATION_FAILED');
      refused(await send(webhook([{ ...amAlert('bad-4'), status: 'pending' }])), 400, 'VALIDATION_FAILED');
      refused(await send(webhook([amAlert('bad-5'), null])), 400, 'VALIDATION_FAILED');
      refused(await send(webhook([amAlert('bad-6', 'firing', {}, { summary: 'nul \u0000 here' })])), 400, 'VALIDATION_FAILED');
      const huge = webhook([amAlert('bad-7', 'firing', {}, { description: 'z'.repeat(520 * 1024) })]);
      refused(await send(huge), 413, 'PAYLOAD_TOO_LARGE');
      // A body between the API's usual 256 KB and this route's 512 KB is fine.
      const res = await t.app.inject({ method: 'POST', url: URL, headers: { 'content-type': 'text/plain', authorization: `Bearer ${KEY}` }, payload: JSON.stringify(good()) });
      refused(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      assert.deepEqual(await counts(), before);
      ok(await send(webhook([amAlert('big-ok', 'firing', {}, { description: 'z'.repeat(400 * 1024) })])), 1);
    });

    test('wrong or missing key → 401; unknown integration or one of another type → 404; nothing stored', async () => {
      const before = await counts();
      const body = webhook([amAlert('auth-1')]);
      const other = 'ffffffffffffffffffffffffffffffff';
      refused(await send(body, {}), 401, 'UNAUTHENTICATED');
      refused(await send(body, { authorization: `Bearer ${other}` }), 401, 'UNAUTHENTICATED');
      refused(await send(body, { authorization: `Bearer ${PD_KEY}` }), 401, 'UNAUTHENTICATED');
      refused(await send(body, { authorization: `Basic ${Buffer.from(`x:${KEY}`).toString('base64')}` }), 401, 'UNAUTHENTICATED');
      refused(await send(body, { authorization: `Bearer ${KEY}x` }), 401, 'UNAUTHENTICATED');
      refused(await send(body, { authorization: KEY }), 401, 'UNAUTHENTICATED');
      refused(await send(body, { authorization: `Bearer ${KEY}` }, '/api/v1/integrations/nope/alertmanager'), 404, 'NOT_FOUND');
      refused(await send(body, { authorization: `Bearer ${PD_KEY}` }, `/api/v1/integrations/${PD_INTEGRATION}/alertmanager`), 404, 'NOT_FOUND');
      // The Alertmanager key is no routing key for the Events API.
      const pd = await send({ routing_key: KEY, event_action: 'trigger', payload: { summary: 's', source: 's', severity: 'critical' } }, {}, '/v2/enqueue');
      assert.equal(pd.statusCode, 404, pd.body);
      assert.deepEqual(await counts(), before);
      // The key authenticates, whatever the case of "Bearer".
      ok(await send(body, { authorization: `bearer ${KEY}` }), 1);
    });

    test('the route is in the route table as public and in the API description', async () => {
      const route = t.routes.find((r) => r.url === '/api/v1/integrations/:id/alertmanager')!;
      assert.equal(route.access, 'public');
      assert.equal(route.method, 'POST');
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: t.auth.viewer });
      assert.equal(res.statusCode, 200);
      assert.ok(res.json().paths['/api/v1/integrations/{id}/alertmanager']?.post, Object.keys(res.json().paths).join(' '));
    });

    test('the same notification from both peers of an HA pair at once: one alert per fingerprint, one incident', async () => {
      const before = await counts();
      const body = webhook(Array.from({ length: 5 }, (_, i) => amAlert(`ha-${i}`)));
      const [a, b] = await Promise.all([send(body), send(body)]);
      ok(a, 5);
      ok(b, 5);
      const afterCounts = await counts();
      assert.equal(afterCounts.alerts, before.alerts + 5);
      assert.equal(afterCounts.incidents, before.incidents + 1);
      assert.equal(afterCounts.signals, before.signals + 2);
      for (let i = 0; i < 5; i++) assert.equal((await alertFor(`ha-${i}`))!.event_count, 2);
    });

    test('the key never appears in the logs, even at trace level and on errors', () =>
      assertKeyNeverLogged(env, {
        key: KEY,
        url: URL,
        unknownUrl: '/api/v1/integrations/nope/alertmanager',
        version: '4',
        body: (overrides, description) => webhook([amAlert('logged', 'firing', {}, description === undefined ? undefined : { description })], overrides),
      }));
  });
}
