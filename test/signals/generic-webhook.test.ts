import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { parseConfigText } from '../../src/config/load.ts';
import { getIncident } from '../../src/modules/incidents/index.ts';
import { CLOUDWATCH_KEY as CW_KEY, CLOUDWATCH_SNS_INTEGRATION, file } from '../config/integration-fixtures.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { buildAppWithCapturedLogs, createTestApp, createTestEnv, resolveOpenIncidents, type TestApp, type TestEnv } from '../helpers/env.ts';

/** The example config's generic integration (a Datadog webhook; default service api). */
const KEY = 'e57a0c2d9f184b36a2c8d1e0f4b79a63';
const INTEGRATION = 'datadog';
const URL = `/api/v1/integrations/${INTEGRATION}/webhook`;
/** Added by the test: CloudWatch alarms through an SNS HTTPS subscription (CW_KEY). */
const CW_URL = '/api/v1/integrations/cloudwatch/webhook';
const GRAFANA_KEY = '9b3e61f0a7c24d58e0b1c6a3f9d27e45';
const TABLES = ['signals', 'alerts', 'incidents', 'incident_timeline', 'outbox', 'audit_log'] as const;

/** With a severity map on the alarm's first dimension, which the severity tests check. */
const CLOUDWATCH = `${CLOUDWATCH_SNS_INTEGRATION}    severity:
      prod: P1
      default: P2
`;

for (const { name, skip } of DIALECTS) {
  describe(`Generic JSON webhook [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    before(async () => {
      env = await createTestEnv(name, import.meta.url);
      const extra = parseConfigText(file(CLOUDWATCH), {});
      assert.ok(extra.ok, JSON.stringify(extra));
      env.config.current = { ...env.config.current, integrations: [...env.config.current.integrations, ...extra.config.integrations] };
      t = await createTestApp(env);
    });
    after(async () => {
      await t?.app.close();
      await env?.close();
    });
    beforeEach(() => resolveOpenIncidents(env));

    /** A Datadog webhook with the example's payload template. */
    const dd = (id: string, transition = 'Triggered', extra: Record<string, unknown> = {}) => ({
      id,
      title: `[${transition}] CPU above 90% on web-3`,
      transition,
      priority: 'P1',
      tags: { service: 'checkout', env: 'prod' },
      date: env.clock.now() - 5 * 60_000,
      ...extra,
    });
    /** An SNS HTTP notification holding a CloudWatch alarm state change. */
    const sns = (alarm: string, state: string, extra: Record<string, unknown> = {}) => ({
      Type: 'Notification',
      MessageId: '5a1d6c4e-0d4c-5b3e-9a2f-1c8e7b6d5f4a',
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:firebreak',
      Subject: `ALARM: "${alarm}" in EU (Ireland)`,
      Message: JSON.stringify({
        AlarmName: alarm,
        AlarmDescription: 'Bucket 5xx',
        AWSAccountId: '123456789012',
        NewStateValue: state,
        NewStateReason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
        StateChangeTime: new Date(env.clock.now() - 2 * 60_000).toISOString().replace('Z', '+0000'),
        Region: 'EU (Ireland)',
        AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarm}`,
        OldStateValue: 'OK',
        Trigger: { MetricName: '5xxErrors', Namespace: 'AWS/S3', Dimensions: [{ name: 'env', value: 'prod' }] },
        ...extra,
      }),
      Timestamp: new Date(env.clock.now()).toISOString(),
      SignatureVersion: '1',
      Signature: 'EXAMPLE',
    });
    const send = (payload: unknown, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }, url = URL, type = 'application/json') =>
      t.app.inject({ method: 'POST', url, headers: { 'content-type': type, ...headers }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
    const ok = (res: LightMyRequestResponse, alerts: number) => {
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { status: 'success', alerts });
    };
    const refused = (res: LightMyRequestResponse, status: number, code: string) => {
      assert.equal(res.statusCode, status, res.body);
      assert.equal(res.json().error.code, code, res.body);
      assert.ok(!res.body.includes(KEY) && !res.body.includes(CW_KEY), 'the key is never echoed');
      return res.json().error;
    };
    const counts = async () => {
      const out: Record<string, number> = {};
      for (const table of TABLES) out[table] = Number((await env.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      return out;
    };
    const alertFor = (dedupKey: string, integration = INTEGRATION) =>
      env.db.kysely.selectFrom('alerts').selectAll().where('integration_id', '=', integration).where('dedup_key', '=', dedupKey).orderBy('first_seen_at', 'desc').executeTakeFirst();
    const lastSignal = () => env.db.kysely.selectFrom('signals').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();

    test('a flat Datadog payload: mapped summary, key, status, severity, service and time; then repeated and recovered', async () => {
      const before = await counts();
      const body = dd('dd-1');
      ok(await send(body), 1);
      const a = (await alertFor('dd-1'))!;
      assert.equal(a.status, 'triggered');
      assert.equal(a.summary, '[Triggered] CPU above 90% on web-3');
      assert.equal(a.service_id, 'checkout', 'tags.service names a configured service');
      assert.equal(a.severity, 'P1');
      assert.equal(a.source, 'Datadog monitors', 'no source mapped: the integration name');
      assert.equal(a.detected_at, body.date, 'epoch milliseconds');
      const details = JSON.parse(a.details);
      assert.deepEqual(details.body, body);
      assert.equal(details.mapped.dedup_key, 'dd-1');
      const inc = await getIncident(env.ctx(), a.incident_id!);
      assert.equal(inc.severity, 'P1');
      assert.deepEqual(inc.services, ['checkout']);
      assert.equal(inc.created_by, `integration ${INTEGRATION}`);
      const signal = await lastSignal();
      assert.equal(signal.integration_id, INTEGRATION);
      assert.equal(signal.event_action, 'firing');
      assert.equal(signal.dedup_key, 'dd-1');
      assert.deepEqual(JSON.parse(signal.payload), body);

      env.clock.advance(60_000);
      ok(await send(dd('dd-1', 'Re-Triggered')), 1);
      assert.equal((await alertFor('dd-1'))!.event_count, 2);
      ok(await send(dd('dd-1', 'Recovered')), 1);
      assert.equal((await alertFor('dd-1'))!.status, 'resolved');
      assert.equal((await lastSignal()).event_action, 'resolved');
      const afterCounts = await counts();
      assert.equal(afterCounts.alerts, before.alerts + 1);
      assert.equal(afterCounts.incidents, before.incidents + 1);
      assert.equal(afterCounts.signals, before.signals + 3);

      // Numbers are keys too; epoch seconds are times; an unknown service or severity falls back.
      // (checkout's incident is resolved first: checkout depends on api, and a new incident on api
      // would absorb it, with its P1.)
      await resolveOpenIncidents(env);
      ok(await send(dd('x', 'Triggered', { id: 4242, priority: 'P4', tags: { service: 'ghost' }, date: Math.floor((env.clock.now() - 60_000) / 1000) })), 1);
      const n = (await alertFor('4242'))!;
      assert.equal(n.service_id, 'api');
      assert.equal(n.detected_at, Math.floor((env.clock.now() - 60_000) / 1000) * 1000);
      assert.equal((await getIncident(env.ctx(), n.incident_id!)).severity, 'P3', 'unlisted severity → default');
    });

    test('a CloudWatch alarm through SNS (text/plain, Message parsed by parse_json): ALARM then OK', async () => {
      const body = sns('bucket-5xx', 'ALARM');
      ok(await send(body, { authorization: `Bearer ${CW_KEY}` }, CW_URL, 'text/plain; charset=UTF-8'), 1);
      const a = (await alertFor('arn:aws:cloudwatch:eu-west-1:123456789012:alarm:bucket-5xx', 'cloudwatch'))!;
      assert.equal(a.summary, 'bucket-5xx');
      assert.equal(a.source, 'AWS/S3');
      assert.equal(a.severity, 'prod');
      assert.equal(a.service_id, 'database');
      assert.equal(a.detected_at, env.clock.now() - 2 * 60_000);
      assert.equal(JSON.parse(a.details).body.Message.NewStateReason.startsWith('Threshold Crossed'), true, 'the parsed message is kept');
      assert.equal((await getIncident(env.ctx(), a.incident_id!)).severity, 'P1');
      assert.equal(JSON.parse((await lastSignal()).payload).Message, body.Message, 'the signal keeps the body as sent');

      ok(await send(sns('bucket-5xx', 'OK'), { authorization: `Bearer ${CW_KEY}` }, CW_URL), 1);
      assert.equal((await alertFor('arn:aws:cloudwatch:eu-west-1:123456789012:alarm:bucket-5xx', 'cloudwatch'))!.status, 'resolved');
      // INSUFFICIENT_DATA is neither firing nor resolved here.
      const err = refused(await send(sns('bucket-5xx', 'INSUFFICIENT_DATA'), { authorization: `Bearer ${CW_KEY}` }, CW_URL), 400, 'VALIDATION_FAILED');
      assert.match(err.message, /Message\.NewStateValue: unknown status "INSUFFICIENT_DATA"/);
    });

    test('an array body: each object one alert, in one transaction; key as a query parameter', async () => {
      const before = await counts();
      ok(await send([dd('arr-1'), dd('arr-2', 'Triggered', { tags: { service: 'docs' } }), dd('arr-3', 'Recovered')], {}, `${URL}?key=${KEY}`), 3);
      const a1 = (await alertFor('arr-1'))!;
      const a2 = (await alertFor('arr-2'))!;
      assert.equal(a1.service_id, 'checkout');
      assert.equal(a2.service_id, 'docs');
      assert.notEqual(a1.incident_id, a2.incident_id);
      assert.equal(await alertFor('arr-3'), undefined, 'a resolve for no open alert is dropped');
      const signal = await lastSignal();
      assert.equal(signal.dedup_key, null);
      assert.equal(signal.event_action, 'firing');
      const afterCounts = await counts();
      assert.equal(afterCounts.signals, before.signals + 1);
      assert.equal(afterCounts.alerts, before.alerts + 2);
    });

    test('missing paths, bad values, unknown status → 400 naming the path, nothing stored', async () => {
      const before = await counts();
      const { title: _t, ...noTitle } = dd('bad-1');
      assert.match(refused(await send(noTitle), 400, 'VALIDATION_FAILED').message, /^title: missing/);
      assert.match(refused(await send(dd('bad-2', 'Triggered', { id: null })), 400, 'VALIDATION_FAILED').message, /^id: missing/);
      assert.match(refused(await send(dd('bad-3', 'Triggered', { id: { a: 1 } })), 400, 'VALIDATION_FAILED').message, /^id: must be a string or a number/);
      assert.match(refused(await send(dd('bad-4', 'Triggered', { title: '  ' })), 400, 'VALIDATION_FAILED').message, /^title: must not be empty/);
      assert.match(refused(await send(dd('bad-5', 'triggered')), 400, 'VALIDATION_FAILED').message, /^transition: unknown status "triggered"/);
      assert.match(refused(await send(dd('x'.repeat(300))), 400, 'VALIDATION_FAILED').message, /^id: must be at most 255/);
      assert.match(refused(await send(dd('bad-6', 'Triggered', { date: env.clock.now() + 3600_000 })), 400, 'VALIDATION_FAILED').message, /^date: /);
      assert.match(refused(await send(dd('bad-7', 'Triggered', { date: 'last tuesday' })), 400, 'VALIDATION_FAILED').message, /^date: /);
      // In an array, the object's index leads the path; one bad object refuses them all.
      const err = refused(await send([dd('bad-8'), dd('bad-9', 'Triggered', { transition: 'Maybe' }), 7]), 400, 'VALIDATION_FAILED');
      assert.deepEqual(err.details.issues.map((i: { path: string }) => i.path), ['[1].transition', '[2]']);
      refused(await send([]), 400, 'VALIDATION_FAILED');
      refused(await send('"text"'), 400, 'VALIDATION_FAILED');
      refused(await send('{"id":'), 400, 'INVALID_JSON');
      refused(await send(dd('bad-10', 'Triggered', { title: 'nul \u0000' })), 400, 'VALIDATION_FAILED');
      refused(await send(dd('bad-11', 'Triggered', { blob: 'z'.repeat(520 * 1024) })), 413, 'PAYLOAD_TOO_LARGE');
      refused(await send(dd('bad-12', 'Triggered', { blob: 'z'.repeat(520 * 1024) }), undefined, URL, 'text/plain'), 413, 'PAYLOAD_TOO_LARGE');
      refused(await send('{"id":', undefined, URL, 'text/plain'), 400, 'INVALID_JSON');
      refused(await send('{"__proto__":{"x":1},"id":"p"}', undefined, URL, 'text/plain'), 400, 'INVALID_JSON');
      refused(await send('{"__proto__":{"x":1},"id":"p"}'), 400, 'INVALID_JSON');
      // parse_json on a string that is not JSON.
      const notJson = { ...sns('nj', 'ALARM'), Message: 'not json' };
      assert.match(refused(await send(notJson, { authorization: `Bearer ${CW_KEY}` }, CW_URL), 400, 'VALIDATION_FAILED').message, /^Message: must be a string holding JSON/);
      // Text the edge could not see (inside the embedded JSON) is checked after parsing.
      const nul = { ...sns('nul \u0000 alarm', 'ALARM'), Subject: 'ALARM' };
      assert.ok(nul.Message.includes('\\u0000'));
      assert.match(refused(await send(nul, { authorization: `Bearer ${CW_KEY}` }, CW_URL), 400, 'VALIDATION_FAILED').message, /^Message\.AlarmName: text must not contain NUL/);
      assert.deepEqual(await counts(), before);
    });

    test('wrong or missing key → 401 (header or query); unknown integration or one of another type → 404; nothing stored', async () => {
      const before = await counts();
      const body = dd('auth-1');
      const other = 'ffffffffffffffffffffffffffffffff';
      refused(await send(body, {}), 401, 'UNAUTHENTICATED');
      refused(await send(body, {}, `${URL}?key=${other}`), 401, 'UNAUTHENTICATED');
      refused(await send(body, {}, `${URL}?key=${KEY}&key=${KEY}`), 401, 'UNAUTHENTICATED');
      refused(await send(body, {}, `${URL}?key=${CW_KEY}`), 401, 'UNAUTHENTICATED');
      refused(await send(body, { authorization: `Bearer ${other}` }, `${URL}?key=${KEY}`), 401, 'UNAUTHENTICATED');
      refused(await send(body, { authorization: `Bearer ${GRAFANA_KEY}` }), 401, 'UNAUTHENTICATED');
      refused(await send(body, {}, `/api/v1/integrations/nope/webhook?key=${KEY}`), 404, 'NOT_FOUND');
      refused(await send(body, {}, `/api/v1/integrations/grafana/webhook?key=${GRAFANA_KEY}`), 404, 'NOT_FOUND');
      refused(await send(body, { authorization: `Bearer ${KEY}` }, `/api/v1/integrations/${INTEGRATION}/grafana`), 404, 'NOT_FOUND');
      // text/plain is read by the webhook only.
      refused(await send(webhookLike(), { authorization: `Bearer ${GRAFANA_KEY}` }, '/api/v1/integrations/grafana/grafana', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      assert.deepEqual(await counts(), before);
      ok(await send(body, {}, `${URL}?key=${encodeURIComponent(KEY)}`), 1);
    });
    const webhookLike = () => ({ version: '1', alerts: [] });

    test('the route is public and in the API description', async () => {
      assert.equal(t.routes.find((r) => r.url === '/api/v1/integrations/:id/webhook')?.access, 'public');
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: t.auth.viewer });
      assert.ok(res.json().paths['/api/v1/integrations/{id}/webhook']?.post);
    });

    test('the query-string key never appears in the logs at trace level, on success or refusal', async () => {
      const { app, logs: captured } = await buildAppWithCapturedLogs(env);
      const other = 'ffffffffffffffffffffffffffffffff';
      const post = (payload: string, url: string) => app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });
      try {
        assert.equal((await post(JSON.stringify(dd('logged')), `${URL}?key=${KEY}`)).statusCode, 200);
        assert.equal((await post(JSON.stringify(dd('logged')), `${URL}?a=1&KEY=${KEY}`)).statusCode, 401, 'the parameter name is case-sensitive');
        assert.equal((await post(JSON.stringify(dd('logged')), `${URL}?k%65y=${KEY}`)).statusCode, 200);
        assert.equal((await post(JSON.stringify(dd('logged')), `${URL}?key=${other}`)).statusCode, 401);
        assert.equal((await post(JSON.stringify(dd('logged')), `/api/v1/integrations/nope/webhook?key=${KEY}`)).statusCode, 404);
        assert.equal((await post(JSON.stringify(dd('logged', 'Triggered', { id: KEY, transition: KEY })), `${URL}?key=${KEY}`)).statusCode, 400);
        assert.equal((await post(`{"id":"${KEY}",`, `${URL}?key=${KEY}`)).statusCode, 400);
        assert.equal((await post(JSON.stringify(dd('logged', 'Triggered', { blob: 'z'.repeat(520 * 1024) })), `${URL}?key=${KEY}`)).statusCode, 413);
        assert.equal((await post(JSON.stringify(dd('logged')), `/api/v1/integrations/${INTEGRATION}/nowhere?key=${KEY}`)).statusCode, 404);
      } finally {
        await app.close();
      }
      assert.ok(captured().includes('/webhook?key=[redacted]'), 'requests were logged at all');
      assert.ok(!captured().includes(KEY), 'the integration key was logged');
      assert.ok(!captured().includes(other), 'an unknown key was logged');
    });
  });
}
