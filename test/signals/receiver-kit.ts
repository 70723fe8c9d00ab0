import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { DB } from '../../src/db/schema.ts';
import { buildAppWithCapturedLogs, type TestApp, type TestEnv } from '../helpers/env.ts';

/**
 * The helpers every webhook receiver suite uses: send a body with the integration key, check an
 * acceptance or a refusal (which never echoes the key), count rows, read back alerts and signals.
 * `get` is called lazily, so suites can create the kit before their env exists.
 */
export function receiverKit(get: () => { env: TestEnv; t: TestApp }, opts: { key: string; url: string; integration: string; tables: readonly (keyof DB)[] }) {
  const send = (payload: unknown, headers: Record<string, string> = { authorization: `Bearer ${opts.key}` }, url = opts.url) =>
    get().t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
  const ok = (res: LightMyRequestResponse, alerts: number) => {
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { status: 'success', alerts });
  };
  const refused = (res: LightMyRequestResponse, status: number, code: string) => {
    assert.equal(res.statusCode, status, res.body);
    assert.equal(res.json().error.code, code, res.body);
    assert.ok(!res.body.includes(opts.key), 'the key is never echoed');
    return res.json().error;
  };
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const table of opts.tables) out[table] = Number((await get().env.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    return out;
  };
  const alertFor = (fingerprint: string) =>
    get().env.db.kysely.selectFrom('alerts').selectAll().where('integration_id', '=', opts.integration).where('dedup_key', '=', fingerprint).orderBy('first_seen_at', 'desc').executeTakeFirst();
  const lastSignal = () => get().env.db.kysely.selectFrom('signals').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
  return { send, ok, refused, counts, alertFor, lastSignal };
}

/** The example config's Alertmanager integration. */
export const EXAMPLE_AM_KEY = '4d7e2a91c03b58f6e1a9d2c47b805f3e';
export const EXAMPLE_AM_URL = '/api/v1/integrations/prometheus/alertmanager';

/** Posts one firing Alertmanager alert (HighErrorRate on checkout, plus `labels`) and expects 200. */
export async function fireAlertmanagerAlert(env: TestEnv, t: TestApp, fingerprint: string, labels: Record<string, string>): Promise<void> {
  const alert = { status: 'firing', labels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'critical', ...labels }, annotations: {}, startsAt: new Date(env.clock.now() - 60_000).toISOString(), fingerprint };
  const res = await t.app.inject({
    method: 'POST',
    url: EXAMPLE_AM_URL,
    headers: { authorization: `Bearer ${EXAMPLE_AM_KEY}` },
    payload: { version: '4', groupKey: `g-${fingerprint}`, status: 'firing', receiver: 'r', alerts: [alert] },
  });
  assert.equal(res.statusCode, 200, res.body);
}

/**
 * Sends a labelled-alert receiver (Alertmanager, Grafana) good and bad requests through an app
 * logging at trace level, and checks neither its key nor an unknown key ever reaches the log.
 * `body(overrides, description?)` builds a one-alert notification.
 */
export async function assertKeyNeverLogged(
  env: TestEnv,
  opts: { key: string; url: string; unknownUrl: string; version: string; body: (overrides?: Record<string, unknown>, description?: string) => unknown },
): Promise<void> {
  const { app, logs: captured } = await buildAppWithCapturedLogs(env);
  const other = 'ffffffffffffffffffffffffffffffff';
  const post = (payload: string, key = opts.key, url = opts.url) =>
    app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, payload });
  const json = (overrides?: Record<string, unknown>, description?: string) => JSON.stringify(opts.body(overrides, description));
  try {
    assert.equal((await post(json())).statusCode, 200);
    assert.equal((await post(json(), other)).statusCode, 401);
    assert.equal((await post(json(), opts.key, opts.unknownUrl)).statusCode, 404);
    assert.equal((await post(`{"version":"${opts.version}","groupKey":"${opts.key}",`)).statusCode, 400);
    assert.equal((await post(json({ version: opts.key }))).statusCode, 400);
    assert.equal((await post(json({}, 'z'.repeat(520 * 1024)))).statusCode, 413);
  } finally {
    await app.close();
  }
  const route = opts.url.slice(opts.url.lastIndexOf('/'));
  assert.ok(captured().includes(route), 'requests were logged at all');
  assert.ok(!captured().includes(opts.key), 'the integration key was logged');
  assert.ok(!captured().includes(other), 'an unknown key was logged');
}
