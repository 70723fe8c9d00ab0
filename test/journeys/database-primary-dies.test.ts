import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { isoTime } from '../../src/lib/iso-time.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { nodeDriver } from '../helpers/node-driver.ts';
import { patchedConfig } from '../statuspage/statuspage-kit.ts';

/**
 * Journey 1, steps 6 to 8, through the public API: the database primary dies (P0), the API that
 * depends on it fails too; resolving is refused while the API still fails its health check; once
 * it passes, the incident watches in monitoring and resolves by itself; the status page says
 * resolved; the postmortem is waiting, due in 48 hours and prefilled; analytics counts it.
 */
const MIN = 60_000;
const EVENTS_KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';
const ALERTMANAGER_KEY = '4d7e2a91c03b58f6e1a9d2c47b805f3e';

let apiHealthy = false;
const api = http.createServer((_req, res) => {
  res.statusCode = apiHealthy ? 200 : 502;
  res.end(apiHealthy ? 'ok' : 'bad gateway: no database');
});
before(() => new Promise<void>((r) => api.listen(0, '127.0.0.1', r)));
after(() => new Promise<void>((r) => api.close(() => r())));

for (const { name, skip } of DIALECTS) {
  describe(`journey: the database primary dies at 02:13 [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)), {
      configure: (e) =>
        (e.config.current = patchedConfig((doc) => {
          const port = (api.address() as AddressInfo).port;
          // Checked only when asked (resolving asks): the test moves the clock by hand.
          doc.monitors = [...(doc.monitors ?? []), { id: 'api-health', service: 'api', type: 'http', url: `http://127.0.0.1:${port}/health`, interval: '1d', timeout: '5s' }];
        })),
    });

    const api1 = (method: 'GET' | 'POST', url: string, payload?: object, headers = t.auth.responder) => t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

    test('refused while the API fails its check; monitoring, then resolved by itself; public resolution, postmortem and KPIs follow', async () => {
      apiHealthy = false;
      const driver = await nodeDriver(env);
      const started = env.clock.now();

      // 1–2. PostgresDown (P0 through the integration's map), then the API's alert joins it.
      const pg = await t.app.inject({ method: 'POST', url: '/v2/enqueue', payload: { routing_key: EVENTS_KEY, event_action: 'trigger', dedup_key: 'PostgresDown', payload: { summary: 'PostgresDown: primary not answering', source: 'db-primary', severity: 'critical' } } });
      assert.equal(pg.statusCode, 202, pg.body);
      env.clock.advance(20_000);
      const am = await t.app.inject({
        method: 'POST',
        url: '/api/v1/integrations/prometheus/alertmanager',
        headers: { authorization: `Bearer ${ALERTMANAGER_KEY}` },
        payload: { version: '4', status: 'firing', receiver: 'firebreak', groupKey: 'g', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts: [{ status: 'firing', labels: { alertname: 'ApiErrors', service: 'api', severity: 'critical' }, annotations: { summary: '5xx on every route' }, startsAt: isoTime(env.clock.now()), endsAt: '0001-01-01T00:00:00Z', fingerprint: 'api-5xx' }] },
      });
      assert.equal(am.statusCode, 200, am.body);
      const alerts = await env.db.kysely.selectFrom('alerts').select(['incident_id', 'dedup_key']).execute();
      assert.equal(new Set(alerts.map((a) => a.incident_id)).size, 1, 'one incident, not two');
      const incidentId = alerts[0].incident_id!;
      let incident = (await api1('GET', `/api/v1/incidents/${incidentId}`, undefined, t.auth.viewer)).json();
      assert.equal(incident.severity, 'P0');
      assert.deepEqual([...incident.services].sort(), ['api', 'database']);
      const ref = incident.ref as string;
      await driver.settle();

      // 3. Acknowledged by the on-call responder, who takes command.
      env.clock.advance(MIN);
      assert.equal((await api1('POST', `/api/v1/incidents/${ref}/acknowledge`, {})).statusCode, 200);
      assert.equal((await api1('POST', `/api/v1/incidents/${ref}/roles`, { role: 'commander', user: env.users.responder.handle })).statusCode, 200);
      // 4. The automatic public post goes out after its delay.
      env.clock.advance(2 * MIN);
      await driver.settle();
      const publicIncident = await env.db.kysely.selectFrom('status_incidents').selectAll().where('incident_id', '=', incidentId).executeTakeFirstOrThrow();
      assert.equal(publicIncident.status, 'investigating');

      // 6. The replica is promoted, but the API still fails: resolving is refused and says why.
      env.clock.advance(5 * MIN);
      const refused = await api1('POST', `/api/v1/incidents/${ref}/resolve`, { note: 'replica promoted' });
      assert.equal(refused.statusCode, 409, refused.body);
      assert.equal(refused.json().error.code, 'RESOLUTION_NOT_VALIDATED');
      assert.ok(refused.json().error.details.failed.includes('health_checks'));
      assert.match(refused.json().error.message, /failing: api-health/);

      // The API recovers and the alerts resolve at the source; the check passes; a fix is in: monitoring.
      apiHealthy = true;
      await t.app.inject({ method: 'POST', url: '/v2/enqueue', payload: { routing_key: EVENTS_KEY, event_action: 'resolve', dedup_key: 'PostgresDown' } });
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/integrations/prometheus/alertmanager',
        headers: { authorization: `Bearer ${ALERTMANAGER_KEY}` },
        payload: { version: '4', status: 'resolved', receiver: 'firebreak', groupKey: 'g', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts: [{ status: 'resolved', labels: { alertname: 'ApiErrors', service: 'api', severity: 'critical' }, annotations: { summary: '5xx on every route' }, startsAt: isoTime(started), endsAt: isoTime(env.clock.now()), fingerprint: 'api-5xx' }] },
      });
      assert.equal((await api1('POST', '/api/v1/monitors/api-health/check', {})).json().result.status, 'up');
      incident = (await api1('GET', `/api/v1/incidents/${ref}`, undefined, t.auth.viewer)).json();
      if (incident.state !== 'monitoring') assert.equal((await api1('POST', `/api/v1/incidents/${ref}/monitor`, { note: 'replica promoted, app repointed' })).statusCode, 200);
      const monitoringSince = env.clock.now();
      await driver.settle();
      assert.equal((await env.db.kysely.selectFrom('incidents').select('state').where('id', '=', incidentId).executeTakeFirstOrThrow()).state, 'monitoring');

      // After the stable period (or the integration's quiet period, whichever is first), validated.
      env.clock.advance(15 * MIN);
      await driver.settle();
      incident = (await api1('GET', `/api/v1/incidents/${ref}`, undefined, t.auth.viewer)).json();
      assert.equal(incident.state, 'resolved');
      const resolvedAt = Date.parse(incident.resolved_at);
      assert.ok(resolvedAt > monitoringSince);
      const checks = incident.timeline.filter((e: { kind: string }) => e.kind === 'resolution_validation');
      assert.equal(checks[0].data.passed, false, 'the refused attempt is on the timeline');
      assert.equal(checks.at(-1).data.passed, true);
      assert.equal(checks.at(-1).data.mode, 'recorded');
      // The status page says resolved.
      const after = await env.db.kysely.selectFrom('status_incidents').select('status').where('id', '=', publicIncident.id).executeTakeFirstOrThrow();
      assert.equal(after.status, 'resolved');

      // 7. The postmortem: due 48 h after resolution, owned by the commander, prefilled.
      const pm = await api1('GET', `/api/v1/incidents/${ref}/postmortem`, undefined, t.auth.viewer);
      assert.equal(pm.statusCode, 200, pm.body);
      const postmortem = pm.json();
      assert.equal(Date.parse(postmortem.due_at), resolvedAt + 48 * 60 * MIN);
      assert.equal(postmortem.owner, env.users.responder.handle);
      const row = await env.db.kysely.selectFrom('incidents').selectAll().where('id', '=', incidentId).executeTakeFirstOrThrow();
      const metrics = postmortem.content.metrics;
      assert.equal(metrics.time_to_acknowledge.actual_ms, Number(row.acknowledged_at) - Number(row.triggered_at));
      assert.equal(metrics.time_to_resolve.actual_ms, resolvedAt - Number(row.triggered_at));
      assert.equal(metrics.time_to_acknowledge.target_ms, 2 * MIN);
      assert.ok(postmortem.content.timeline.some((e: { kind: string }) => e.kind === 'resolution_validation'));
      // Action items get owners and due dates.
      const item = await api1('POST', '/api/v1/action-items', { incident: ref, title: 'Page on replica lag before the primary fails', owner: env.users.responder.handle, due_at: isoTime(env.clock.now() + 7 * 24 * 60 * MIN), priority: 'high' });
      assert.equal(item.statusCode, 201, item.body);

      // 8. Analytics: this incident in P0 MTTA/MTTR against the plan's targets, its minutes on the database.
      const period = `from=${encodeURIComponent(isoTime(started - MIN))}&to=${encodeURIComponent(isoTime(env.clock.now()))}`;
      const response = (await api1('GET', `/api/v1/analytics/response?${period}`, undefined, t.auth.viewer)).json();
      const p0 = response.severities.find((s: { severity: string }) => s.severity === 'P0');
      assert.equal(p0.incidents, 1);
      assert.equal(p0.acknowledge.mean_ms, Number(row.acknowledged_at) - Number(row.triggered_at));
      assert.equal(p0.resolve.mean_ms, resolvedAt - Number(row.triggered_at));
      assert.equal(p0.resolve.target_ms, 15 * MIN);
      const patterns = (await api1('GET', `/api/v1/analytics/patterns?${period}`, undefined, t.auth.viewer)).json();
      const database = patterns.incident_minutes.find((m: { service: string }) => m.service === 'database');
      assert.equal(database.minutes, Math.round((resolvedAt - Number(row.triggered_at)) / 6000) / 10);
    });
  });
}
