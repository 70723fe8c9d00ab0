import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/http/build-app.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { getIncident, transitionIncident } from '../../src/modules/incidents/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { buildAppWithCapturedLogs, injectInsertFailure, resolveOpenIncidents, waitForNewestSignalSetAside, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';

/** The example config's events_v2 integration (database service, critical → P0). */
const KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';
const INTEGRATION = 'database-monitoring';
const TABLES = ['signals', 'alerts', 'incidents', 'incident_timeline', 'outbox', 'audit_log'] as const;

const trigger = (extra: Record<string, unknown> = {}, payload: Record<string, unknown> = {}) => ({
  routing_key: KEY,
  event_action: 'trigger',
  ...extra,
  payload: { summary: 'Replica lag 340s on db-eu1-replica-2', source: 'db-eu1-replica-2.internal', severity: 'critical', ...payload },
});

for (const { name, skip } of DIALECTS) {
  describe(`events API v2 [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));
    // Alerts on one service group into its open incident; each test starts with none open.
    beforeEach(() => resolveOpenIncidents(env));

    const send = (payload: unknown, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'POST', url: '/v2/enqueue', headers: { 'content-type': 'application/json', ...headers }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
    const accepted = (res: LightMyRequestResponse): string => {
      assert.equal(res.statusCode, 202, res.body);
      const body = res.json();
      assert.deepEqual(Object.keys(body).sort(), ['dedup_key', 'message', 'status']);
      assert.equal(body.status, 'success');
      assert.equal(body.message, 'Event processed');
      return body.dedup_key;
    };
    const refused = (res: LightMyRequestResponse, status: number): string[] => {
      assert.equal(res.statusCode, status, res.body);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const body = res.json();
      assert.deepEqual(Object.keys(body).sort(), ['errors', 'message', 'status']);
      assert.equal(body.status, 'invalid event');
      assert.equal(typeof body.message, 'string');
      assert.ok(Array.isArray(body.errors) && body.errors.length > 0 && body.errors.every((e: unknown) => typeof e === 'string'), res.body);
      assert.ok(!res.body.includes(KEY), 'the key is never echoed');
      return body.errors;
    };
    const counts = async () => {
      const out: Record<string, number> = {};
      for (const table of TABLES) out[table] = Number((await env.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      return out;
    };
    const alertsFor = (dedupKey: string) => env.db.kysely.selectFrom('alerts').selectAll().where('dedup_key', '=', dedupKey).orderBy('first_seen_at').orderBy('id').execute();
    const lastSignal = () => env.db.kysely.selectFrom('signals').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();

    test('trigger: stores the signal, opens an alert and an automated incident with mapped severity and detection time', async () => {
      const detected = env.clock.now() - 10 * 60_000;
      const stamp = new Date(detected).toISOString().replace('Z', '+0000');
      const key = accepted(await send(trigger({ dedup_key: 'db-eu1/replica-lag' }, { timestamp: stamp, component: 'postgres', custom_details: { lag_seconds: 340 } })));
      assert.equal(key, 'db-eu1/replica-lag');
      const [alert] = await alertsFor(key);
      assert.equal(alert.status, 'triggered');
      assert.equal(alert.integration_id, INTEGRATION);
      assert.equal(alert.service_id, 'database');
      assert.equal(alert.severity, 'critical');
      assert.equal(alert.event_count, 1);
      assert.equal(alert.detected_at, detected);
      assert.deepEqual(JSON.parse(alert.details), { component: 'postgres', custom_details: { lag_seconds: 340 } });
      const inc = await getIncident(env.ctx(), alert.incident_id!);
      assert.equal(inc.title, 'Replica lag 340s on db-eu1-replica-2');
      assert.equal(inc.source, 'automated');
      assert.equal(inc.severity, 'P0', 'critical maps to P0 in the example config');
      assert.equal(inc.severity_source, 'automation');
      assert.deepEqual(inc.services, ['database']);
      assert.equal(inc.state, 'triggered');
      assert.equal(inc.detected_at, new Date(detected).toISOString());
      assert.equal(inc.created_by, `integration ${INTEGRATION}`);
      assert.deepEqual(inc.timeline.map((e) => e.kind), ['created', 'alert_added']);
      assert.deepEqual(inc.timeline[1].actor, { type: 'integration', id: null, name: `integration ${INTEGRATION}` });
      assert.equal(inc.timeline[1].data.count, 1);
      assert.deepEqual(inc.timeline[1].data.alerts, [{ alert_id: alert.id, integration: INTEGRATION, dedup_key: alert.dedup_key, severity: 'critical', source: alert.source }]);
      const signal = await lastSignal();
      assert.equal(signal.integration_id, INTEGRATION);
      assert.equal(signal.event_action, 'trigger');
      assert.equal(signal.kind, 'alert');
      assert.equal(signal.dedup_key, key);
      assert.ok(!signal.payload.includes(KEY), 'the routing key is not stored');
      assert.equal(JSON.parse(signal.payload).payload.custom_details.lag_seconds, 340);
    });

    test('severity defaults apply where the integration does not override: error → P2', async () => {
      accepted(await send(trigger({ dedup_key: 'sev-error' }, { severity: 'error' })));
      const [alert] = await alertsFor('sev-error');
      assert.equal((await getIncident(env.ctx(), alert.incident_id!)).severity, 'P2');
    });

    test('repeat trigger with the same key: same alert, count 2, no new incident', async () => {
      accepted(await send(trigger({ dedup_key: 'repeat' })));
      const before = await counts();
      env.clock.advance(30_000);
      accepted(await send(trigger({ dedup_key: 'repeat' })));
      const alerts = await alertsFor('repeat');
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0].event_count, 2);
      assert.equal(alerts[0].last_seen_at, env.clock.now());
      const afterCounts = await counts();
      assert.equal(afterCounts.incidents, before.incidents);
      assert.equal(afterCounts.alerts, before.alerts);
      assert.equal(afterCounts.signals, before.signals + 1);
    });

    test('a second alert on the same service joins the open incident (alert_added)', async () => {
      accepted(await send(trigger({ dedup_key: 'group-a' })));
      const incidents = (await counts()).incidents;
      accepted(await send(trigger({ dedup_key: 'group-b' }, { summary: 'Connections exhausted', severity: 'warning' })));
      const [a] = await alertsFor('group-a');
      const [b] = await alertsFor('group-b');
      assert.notEqual(a.id, b.id);
      assert.equal(b.incident_id, a.incident_id);
      assert.equal((await counts()).incidents, incidents);
      const inc = await getIncident(env.ctx(), a.incident_id!);
      assert.deepEqual(inc.timeline.map((e) => e.kind), ['created', 'alert_added', 'alert_added']);
      assert.match(inc.timeline[2].body, /Connections exhausted/);
    });

    test('acknowledge: the alert and its triggered incident are acknowledged by the integration', async () => {
      accepted(await send(trigger({ dedup_key: 'ack-me' })));
      env.clock.advance(60_000);
      assert.equal(accepted(await send({ routing_key: KEY, event_action: 'acknowledge', dedup_key: 'ack-me' })), 'ack-me');
      const [alert] = await alertsFor('ack-me');
      assert.equal(alert.status, 'acknowledged');
      assert.equal(alert.acknowledged_at, env.clock.now());
      const inc = await getIncident(env.ctx(), alert.incident_id!);
      assert.equal(inc.state, 'acknowledged');
      assert.equal(inc.timeline.at(-1)!.kind, 'acknowledged');
      assert.equal(inc.timeline.at(-1)!.actor.type, 'integration');
      // A second acknowledge changes nothing more.
      const timeline = inc.timeline.length;
      accepted(await send({ routing_key: KEY, event_action: 'acknowledge', dedup_key: 'ack-me' }));
      assert.equal((await getIncident(env.ctx(), alert.incident_id!)).timeline.length, timeline);
    });

    test('resolve: the alert is resolved with a timeline entry; the incident stays open', async () => {
      accepted(await send(trigger({ dedup_key: 'resolve-me' })));
      env.clock.advance(60_000);
      accepted(await send({ routing_key: KEY, event_action: 'resolve', dedup_key: 'resolve-me' }));
      const [alert] = await alertsFor('resolve-me');
      assert.equal(alert.status, 'resolved');
      assert.equal(alert.resolved_at, env.clock.now());
      const inc = await getIncident(env.ctx(), alert.incident_id!);
      assert.equal(inc.timeline.at(-1)!.kind, 'alert_resolved');
      assert.equal(inc.state, 'triggered');
    });

    test('trigger after resolve: a new alert; it joins the still-open incident, reopens it within the reopen window once resolved, or opens a new one after', async () => {
      accepted(await send(trigger({ dedup_key: 'again' })));
      accepted(await send({ routing_key: KEY, event_action: 'resolve', dedup_key: 'again' }));
      accepted(await send(trigger({ dedup_key: 'again' })));
      let alerts = await alertsFor('again');
      assert.equal(alerts.length, 2);
      assert.deepEqual(alerts.map((a) => a.status), ['resolved', 'triggered']);
      assert.equal(alerts[1].incident_id, alerts[0].incident_id, 'the incident is still open: joined');
      accepted(await send({ routing_key: KEY, event_action: 'resolve', dedup_key: 'again' }));
      await transitionIncident(env.ctx(), alerts[0].incident_id!, 'resolve');
      accepted(await send(trigger({ dedup_key: 'again' })));
      alerts = await alertsFor('again');
      assert.equal(alerts.length, 3);
      assert.equal(alerts[2].incident_id, alerts[0].incident_id, 'the fix did not hold: reopened');
      const reopened = await getIncident(env.ctx(), alerts[2].incident_id!);
      assert.equal(reopened.state, 'investigating');
      assert.equal(reopened.reopen_count, 1);

      accepted(await send({ routing_key: KEY, event_action: 'resolve', dedup_key: 'again' }));
      await transitionIncident(env.ctx(), alerts[0].incident_id!, 'resolve');
      env.clock.advance(env.config.current.resolution.reopen_window + 1);
      accepted(await send(trigger({ dedup_key: 'again' })));
      alerts = await alertsFor('again');
      assert.equal(alerts.length, 4);
      assert.notEqual(alerts[3].incident_id, alerts[0].incident_id, 'past the reopen window: a new incident');
      assert.equal((await getIncident(env.ctx(), alerts[3].incident_id!)).state, 'triggered');
    });

    test('trigger for an open alert whose incident was resolved by hand: that alert ends, a new one reopens the incident (or opens a new one once it is closed)', async () => {
      accepted(await send(trigger({ dedup_key: 'hand-resolved' })));
      const [first] = await alertsFor('hand-resolved');
      await transitionIncident(env.ctx(), first.incident_id!, 'resolve');
      accepted(await send(trigger({ dedup_key: 'hand-resolved' })));
      let alerts = await alertsFor('hand-resolved');
      assert.deepEqual(alerts.map((a) => a.status), ['resolved', 'triggered']);
      assert.equal(alerts[1].incident_id, first.incident_id);
      assert.equal((await getIncident(env.ctx(), first.incident_id!)).reopen_count, 1);

      await transitionIncident(env.ctx(), first.incident_id!, 'resolve');
      await transitionIncident(env.ctx(), first.incident_id!, 'close');
      accepted(await send(trigger({ dedup_key: 'hand-resolved' })));
      alerts = await alertsFor('hand-resolved');
      assert.deepEqual(alerts.map((a) => a.status), ['resolved', 'resolved', 'triggered']);
      assert.notEqual(alerts[2].incident_id, first.incident_id, 'a closed incident is never reopened');
    });

    test('acknowledge or resolve with no open alert: 202, signal stored, nothing else', async () => {
      for (const action of ['acknowledge', 'resolve']) {
        const before = await counts();
        assert.equal(accepted(await send({ routing_key: KEY, event_action: action, dedup_key: `never-seen-${action}` })), `never-seen-${action}`);
        assert.deepEqual(await counts(), { ...before, signals: before.signals + 1 });
        const signal = await lastSignal();
        assert.equal(signal.event_action, action);
        assert.equal(signal.dedup_key, `never-seen-${action}`);
      }
    });

    test('trigger without dedup_key: one is generated and returned; each such trigger is a new alert', async () => {
      const a = accepted(await send(trigger()));
      const b = accepted(await send(trigger()));
      assert.match(a, /^[0-9a-f-]{36}$/);
      assert.notEqual(a, b);
      assert.equal((await alertsFor(a)).length, 1);
      assert.equal((await alertsFor(b)).length, 1);
      assert.equal((await lastSignal()).dedup_key, b);
    });

    test('concurrent triggers: one alert per key, one incident per service', async () => {
      const before = await counts();
      // Interleaved keys: without serialisation PostgreSQL would open an incident per key.
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => send(trigger({ dedup_key: `storm-${i % 3}` }))));
      for (const res of results) accepted(res);
      for (let i = 0; i < 3; i++) assert.equal((await alertsFor(`storm-${i}`))[0].event_count, 4);
      const after = await counts();
      assert.equal(after.alerts, before.alerts + 3);
      assert.equal(after.incidents, before.incidents + 1);
      assert.equal(after.signals, before.signals + 12);
    });

    test('HTML, SQL and control characters are stored verbatim', async () => {
      const summary = `<script>alert(1)</script> '; DROP TABLE incidents; -- \u0001\u001b[31m "quoted" \\ ${'é'.repeat(3)} 🔥`;
      accepted(await send(trigger({ dedup_key: 'verbatim<b>' }, { summary, source: "host'; --" })));
      const [alert] = await alertsFor('verbatim<b>');
      assert.equal(alert.summary, summary);
      assert.equal(alert.source, "host'; --");
      assert.equal(JSON.parse((await lastSignal()).payload).payload.summary, summary);
      assert.equal((await getIncident(env.ctx(), alert.incident_id!)).title, summary);
    });

    test('a long (1024) summary is accepted; the incident title is shortened, the alert keeps it whole', async () => {
      const summary = `${'x'.repeat(1022)}🔥`;
      accepted(await send(trigger({ dedup_key: 'long' }, { summary })));
      const [alert] = await alertsFor('long');
      assert.equal(alert.summary, summary);
      const inc = await getIncident(env.ctx(), alert.incident_id!);
      assert.equal(inc.title.length, 200);
      assert.ok(inc.title.endsWith('…'));
      assert.ok(inc.description.includes(summary));
    });

    test('a body over the API-wide 256 KiB limit but within 512 KB is accepted', async () => {
      accepted(await send(trigger({ dedup_key: 'big' }, { custom_details: { blob: 'y'.repeat(400 * 1024) } })));
    });

    test('bad input: 400 (413 when too large) in PagerDuty shape, and nothing stored', async () => {
      const future = new Date(env.clock.now() + 60 * 60_000).toISOString();
      const cases: [string, unknown, number, RegExp][] = [
        ['malformed JSON', `{"routing_key": "${KEY}", "event_action": `, 400, /not valid JSON/],
        ['empty body', '', 400, /JSON/],
        ['array body', [trigger()], 400, /JSON object/],
        ['missing routing_key', { event_action: 'trigger', payload: trigger().payload }, 400, /routing_key/],
        ['routing_key a number', { ...trigger(), routing_key: 42 }, 400, /routing_key/],
        ['unknown event_action', { ...trigger(), event_action: 'explode' }, 400, /event_action/],
        ['event_action missing', { routing_key: KEY, payload: trigger().payload }, 400, /event_action/],
        ['trigger without payload', { routing_key: KEY, event_action: 'trigger', dedup_key: 'x' }, 400, /payload/],
        ['payload a string', { ...trigger(), payload: 'boom' }, 400, /payload/],
        ['summary a number', trigger({}, { summary: 123 }), 400, /payload\.summary/],
        ['blank summary', trigger({}, { summary: '   ' }), 400, /payload\.summary/],
        ['summary 1025 chars', trigger({}, { summary: 'x'.repeat(1025) }), 400, /payload\.summary/],
        ['missing source', trigger({}, { source: undefined }), 400, /payload\.source/],
        ['severity unknown', trigger({}, { severity: 'fatal' }), 400, /payload\.severity/],
        ['severity a number', trigger({}, { severity: 5 }), 400, /payload\.severity/],
        ['dedup_key 256 chars', trigger({ dedup_key: 'k'.repeat(256) }), 400, /dedup_key/],
        ['dedup_key a number', trigger({ dedup_key: 42 }), 400, /dedup_key/],
        ['acknowledge without dedup_key', { routing_key: KEY, event_action: 'acknowledge' }, 400, /dedup_key/],
        ['timestamp far in the future', trigger({}, { timestamp: future }), 400, /payload\.timestamp: must not be in the future/],
        ['timestamp unparseable', trigger({}, { timestamp: 'yesterday at noon' }), 400, /payload\.timestamp/],
        ['links not an array', { ...trigger(), links: 'https://x' }, 400, /links/],
        ['NUL in summary', trigger({}, { summary: 'a\u0000b' }), 400, /payload\.summary.*NUL/],
        ['lone surrogate in custom_details', trigger({}, { custom_details: { note: 'x\ud800y' } }), 400, /custom_details/],
        ['prototype pollution', `{"routing_key":"${KEY}","event_action":"trigger","__proto__":{"x":1}}`, 400, /JSON/],
        ['over 512 KB', trigger({}, { custom_details: { blob: 'z'.repeat(520 * 1024) } }), 413, /512|524288/],
      ];
      for (const [label, body, status, pattern] of cases) {
        const before = await counts();
        const errors = refused(await send(body), status);
        assert.match(errors.join('\n'), pattern, `${label}: ${errors.join('; ')}`);
        assert.deepEqual(await counts(), before, `${label} stored something`);
      }
      const before = await counts();
      const res = await t.app.inject({ method: 'POST', url: '/v2/enqueue', headers: { 'content-type': 'text/plain' }, payload: JSON.stringify(trigger()) });
      refused(res, 400);
      assert.deepEqual(await counts(), before);
    });

    test('an unknown routing key: 404 in PagerDuty shape, key not echoed, nothing stored', async () => {
      const before = await counts();
      const other = 'ffffffffffffffffffffffffffffffff';
      const res = await send({ ...trigger(), routing_key: other });
      refused(res, 404);
      assert.ok(!res.body.includes(other));
      assert.match(res.json().message, /routing key/i);
      // Even when the rest of the event is invalid, an unknown key is told first.
      refused(await send({ routing_key: other, event_action: 'explode' }), 404);
      assert.deepEqual(await counts(), before);
    });

    test('a failure while applying an accepted event: nothing half-written, the signal kept with its error, the next event applies', async () => {
      const heal = await injectInsertFailure(env, 'outbox', "new.topic = 'incident.alert_added'");
      const before = await counts();
      let res: LightMyRequestResponse;
      let signal;
      try {
        res = await send(trigger({ dedup_key: 'doomed' }));
        // The event was durable before the 202; applying it fails, is retried, then set aside.
        signal = await waitForNewestSignalSetAside(env);
      } finally {
        await heal();
      }
      accepted(res);
      assert.match(signal.error!, /boom: injected failure/);
      assert.equal(signal.dedup_key, 'doomed');
      assert.deepEqual(await counts(), { ...before, signals: before.signals + 1 }, 'the work rolled back whole: no alert, incident or timeline entry');
      // The sender's next event for the key applies normally.
      accepted(await send(trigger({ dedup_key: 'doomed' })));
      assert.equal((await alertsFor('doomed')).length, 1);
    });

    test('SQLite: an event is applied in the commit that stores it, so its 202 comes after the incident exists, with no waiting', { skip: name !== 'sqlite' && 'PostgreSQL applies signals in rounds after the accepting commit' }, async () => {
      const { app } = await buildApp({ db: env.db, config: env.config, clock: env.clock, logger: createLogger({ level: 'silent' }), version: 'test', ingestWaitMs: 0 });
      try {
        await app.ready();
        const res = await app.inject({ method: 'POST', url: '/v2/enqueue', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(trigger({ dedup_key: 'inline' })) });
        accepted(res);
        const [alert] = await alertsFor('inline');
        assert.ok(alert?.incident_id, 'the alert and its incident exist when the 202 arrives');
        assert.notEqual((await lastSignal()).processed_at, null);
      } finally {
        await app.close();
      }
    });

    test('no routing key appears in the logs, even at trace level and on errors', async () => {
      const { app, logs: captured } = await buildAppWithCapturedLogs(env);
      const other = 'ffffffffffffffffffffffffffffffff';
      const post = (payload: string) => app.inject({ method: 'POST', url: '/v2/enqueue', headers: { 'content-type': 'application/json' }, payload });
      try {
        assert.equal((await post(JSON.stringify(trigger({ dedup_key: 'logged' })))).statusCode, 202);
        assert.equal((await post(JSON.stringify({ ...trigger(), routing_key: other }))).statusCode, 404);
        assert.equal((await post(`{"routing_key":"${KEY}","event_action":`)).statusCode, 400);
        assert.equal((await post(JSON.stringify(trigger({ dedup_key: 'k'.repeat(256) })))).statusCode, 400);
        assert.equal((await post(JSON.stringify(trigger({}, { custom_details: 'z'.repeat(520 * 1024) })))).statusCode, 413);
      } finally {
        await app.close();
      }
      assert.ok(captured().includes('/v2/enqueue'), 'requests were logged at all');
      assert.ok(!captured().includes(KEY), 'the integration key was logged');
      assert.ok(!captured().includes(other), 'an unknown key was logged');
    });
  });
}
