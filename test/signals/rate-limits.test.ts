import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { FirebreakConfig } from '../../src/config/schema.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestApp, createTestEnv, resolveOpenIncidents, type TestApp, type TestEnv } from '../helpers/env.ts';

/** The example config's integrations and keys. */
const PD_KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';
const AM_KEY = '4d7e2a91c03b58f6e1a9d2c47b805f3e';
const GRAFANA_KEY = '9b3e61f0a7c24d58e0b1c6a3f9d27e45';
const DATADOG_KEY = 'e57a0c2d9f184b36a2c8d1e0f4b79a63';
const AM_URL = '/api/v1/integrations/prometheus/alertmanager';
const TABLES = ['signals', 'alerts', 'incidents', 'incident_timeline', 'outbox', 'audit_log'] as const;
const LIMIT = 3;

/** The config with `rate_limit.per_minute` set per integration id. */
const withLimits = (config: FirebreakConfig, limits: Record<string, number>): FirebreakConfig => ({
  ...config,
  integrations: config.integrations.map((i) => (i.id in limits ? { ...i, rate_limit: { per_minute: limits[i.id] } } : i)),
});

for (const { name, skip } of DIALECTS) {
  describe(`per-integration rate limits [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    let original: FirebreakConfig;
    before(async () => {
      env = await createTestEnv(name, import.meta.url);
      original = env.config.current;
      env.config.current = withLimits(original, { 'database-monitoring': LIMIT, prometheus: LIMIT, grafana: 1, datadog: 1 });
      t = await createTestApp(env);
    });
    after(async () => {
      await t?.app.close();
      await env?.close();
    });
    // Each test starts in a fresh window with no open incident.
    beforeEach(() => resolveOpenIncidents(env));

    let n = 0;
    const trigger = (key = PD_KEY) => ({ routing_key: key, event_action: 'trigger', dedup_key: `lag-${++n}`, payload: { summary: 'Replica lag', source: 'db-2', severity: 'error' } });
    const change = () => ({ routing_key: PD_KEY, payload: { summary: 'Deployed v1.2.3', source: 'ci' } });
    const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(payload) });
    const am = (alerts = 1, key = AM_KEY) =>
      post(
        AM_URL,
        {
          version: '4',
          groupKey: '{}:{alertname="HighErrorRate"}',
          status: 'firing',
          receiver: 'oncall',
          alerts: Array.from({ length: alerts }, () => ({
            status: 'firing',
            labels: { alertname: 'HighErrorRate', service: 'checkout' },
            annotations: {},
            startsAt: new Date(env.clock.now() - 60_000).toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            fingerprint: `fp-${++n}`,
          })),
        },
        { authorization: `Bearer ${key}` },
      );
    const counts = async () => {
      const out: Record<string, number> = {};
      for (const table of TABLES) out[table] = Number((await env.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      return out;
    };
    const throttledPd = (res: LightMyRequestResponse, seconds: number) => {
      assert.equal(res.statusCode, 429, res.body);
      assert.equal(res.headers['retry-after'], String(seconds));
      assert.deepEqual(res.json(), { status: 'throttle event', message: 'Requests for this routing key are being throttled', errors: [`retry after ${seconds} seconds`] });
      assert.ok(!res.body.includes(PD_KEY), 'the key is never echoed');
    };
    const throttled = (res: LightMyRequestResponse, seconds: number, key: string) => {
      assert.equal(res.statusCode, 429, res.body);
      assert.equal(res.headers['retry-after'], String(seconds));
      const { error } = res.json();
      assert.equal(error.code, 'RATE_LIMITED');
      assert.equal(typeof error.message, 'string');
      assert.deepEqual(error.details, { retry_after: seconds });
      assert.ok(!res.body.includes(key), 'the key is never echoed');
    };

    test('events API: the limit is accepted, the next request is 429 (PagerDuty-shaped, Retry-After) and stores nothing; a minute later it is accepted again', async () => {
      for (let i = 0; i < LIMIT; i++) assert.equal((await post('/v2/enqueue', trigger())).statusCode, 202);
      const before = await counts();
      env.clock.advance(20_500);
      throttledPd(await post('/v2/enqueue', trigger()), 40);
      throttledPd(await post('/v2/change/enqueue', change()), 40);
      assert.deepEqual(await counts(), before, 'nothing is stored for refused requests');
      env.clock.advance(60_000);
      const res = await post('/v2/enqueue', trigger());
      assert.equal(res.statusCode, 202, res.body);
      assert.equal((await counts()).signals, before.signals + 1);
    });

    test('events API: change events share the budget; unknown keys (404) and invalid bodies before the key use none of it', async () => {
      for (let i = 0; i < 5; i++) assert.equal((await post('/v2/enqueue', trigger('ffffffffffffffffffffffffffffffff'))).statusCode, 404);
      for (let i = 0; i < 5; i++) assert.equal((await post('/v2/enqueue', { event_action: 'trigger' })).statusCode, 400);
      assert.equal((await post('/v2/change/enqueue', change())).statusCode, 202);
      for (let i = 1; i < LIMIT; i++) assert.equal((await post('/v2/enqueue', trigger())).statusCode, 202);
      throttledPd(await post('/v2/enqueue', trigger()), 60);
    });

    test('Alertmanager: a batch counts once; past the limit 429 RATE_LIMITED with Retry-After and nothing stored; a wrong key (401) uses none of it; a minute later accepted', async () => {
      for (let i = 0; i < 5; i++) assert.equal((await am(1, 'wrong-key-wrong-key-wrong-key')).statusCode, 401);
      assert.equal((await post('/api/v1/integrations/nope/alertmanager', {}, { authorization: `Bearer ${AM_KEY}` })).statusCode, 404);
      const batch = await am(5);
      assert.equal(batch.statusCode, 200, batch.body);
      assert.deepEqual(batch.json(), { status: 'success', alerts: 5 });
      for (let i = 1; i < LIMIT; i++) assert.equal((await am()).statusCode, 200);
      const before = await counts();
      throttled(await am(2), 60, AM_KEY);
      assert.deepEqual(await counts(), before, 'nothing is stored for the refused notification');
      env.clock.advance(59_000);
      throttled(await am(), 1, AM_KEY);
      env.clock.advance(1_000);
      const res = await am();
      assert.equal(res.statusCode, 200, res.body);
      assert.equal((await counts()).signals, before.signals + 1);
    });

    test('integrations have budgets of their own', async () => {
      for (let i = 0; i < LIMIT; i++) assert.equal((await am()).statusCode, 200);
      throttled(await am(), 60, AM_KEY);
      assert.equal((await post('/v2/enqueue', trigger())).statusCode, 202, 'the events_v2 integration is not throttled by the alertmanager one');
    });

    test('Grafana and generic: every authenticated request counts, valid or not; the next is 429', async () => {
      const grafana = (headers = { authorization: `Bearer ${GRAFANA_KEY}` }) => post('/api/v1/integrations/grafana/grafana', { version: '1' }, headers);
      assert.equal((await grafana({ authorization: 'Bearer not-the-grafana-key' })).statusCode, 401);
      assert.equal((await grafana()).statusCode, 400, 'the first request is checked (and refused) as usual');
      throttled(await grafana(), 60, GRAFANA_KEY);
      const datadog = (url = `/api/v1/integrations/datadog/webhook?key=${DATADOG_KEY}`) => post(url, { nothing: 'mapped' });
      assert.equal((await datadog()).statusCode, 400);
      const before = await counts();
      throttled(await datadog(), 60, DATADOG_KEY);
      throttled(await post('/api/v1/integrations/datadog/webhook', {}, { authorization: `Bearer ${DATADOG_KEY}` }), 60, DATADOG_KEY);
      assert.deepEqual(await counts(), before);
    });

    test('a reload that changes an integration\'s limit starts a fresh limiter with the new limit', async () => {
      for (let i = 0; i < LIMIT; i++) assert.equal((await am()).statusCode, 200);
      throttled(await am(), 60, AM_KEY);
      const current = env.config.current;
      env.config.current = withLimits(current, { prometheus: LIMIT + 2 });
      try {
        for (let i = 0; i < LIMIT + 2; i++) assert.equal((await am()).statusCode, 200, `request ${i + 1} under the new limit`);
        throttled(await am(), 60, AM_KEY);
        env.config.current = withLimits(current, { prometheus: 6000 });
        assert.equal((await am()).statusCode, 200, 'the default is far above any test');
      } finally {
        env.config.current = current;
      }
    });
  });
}
