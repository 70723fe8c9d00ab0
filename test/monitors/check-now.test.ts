import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DIALECTS } from '../helpers/dialects.ts';
import { type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { configWithMonitors } from './monitor-kit.ts';

let healthy = true;
const target = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ status: healthy ? 'ok' : 'degraded', checks: [1, 2, 3] }));
});
before(() => new Promise<void>((r) => target.listen(0, '127.0.0.1', r)));
after(() => new Promise<void>((r) => target.close(() => r())));
const url = () => `http://127.0.0.1:${(target.address() as AddressInfo).port}/health`;

for (const { name, skip } of DIALECTS) {
  describe(`run a check now, against a real server [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)), {
      // A long interval: only the checks this test asks for run.
      configure: (e) =>
        (e.config.current = configWithMonitors([
          { id: 'api-json', service: 'api', type: 'http', url: url(), interval: '1d', timeout: '5s', expect: { status: [200], json: ['$.status == "ok"', 'len($.checks) >= 3'], headers: { 'content-type': 'json' } } },
          { id: 'hb', service: 'api', type: 'heartbeat', key: 'hb-key-0123456789abcdef', period: '1h' },
        ])),
    });

    test('a passing check returns its result with phase timings and counts like a scheduled one; failing ones confirm and page', async () => {
      healthy = true;
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/monitors/api-json/check', headers: t.auth.responder });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.result.status, 'up');
      assert.equal(body.result.http_status, 200);
      assert.ok(body.result.phases_ms.connect >= 0);
      assert.equal(body.monitor.last_check.status, 'up');

      healthy = false;
      for (let i = 0; i < 3; i++) {
        const r = await t.app.inject({ method: 'POST', url: '/api/v1/monitors/api-json/check', headers: t.auth.responder });
        assert.equal(r.json().result.status, 'down');
        assert.equal(r.json().result.reason, 'json');
        assert.match(r.json().result.message, /\$\.status == "ok": got "degraded"/);
      }
      const alert = await env.db.kysely.selectFrom('alerts').selectAll().where('dedup_key', '=', 'monitor/api-json').executeTakeFirst();
      assert.equal(alert?.status, 'triggered');
      const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: t.auth.admin });
      assert.match(metrics.body, /^probe_success\{monitor="api-json",service="api",type="http",reason="json"\} 0$/m);
      assert.match(metrics.body, /^probe_http_duration_seconds\{monitor="api-json",service="api",type="http",phase="connect"\} [\d.e-]+$/m);
      assert.match(metrics.body, /^firebreak_monitor_scheduler_lag_seconds\{quantile="0.99"\} /m);

      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/monitors/hb/check', headers: t.auth.responder })).statusCode, 400);
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/monitors/api-json/check', headers: t.auth.viewer })).statusCode, 403);
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/monitors/api-json/check' })).statusCode, 401);
      const scheduler = await t.app.inject({ method: 'GET', url: '/api/v1/monitors/scheduler', headers: t.auth.viewer });
      assert.equal(scheduler.json().monitors, 1);
    });
  });
}
