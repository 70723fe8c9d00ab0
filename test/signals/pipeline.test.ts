import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { changeSeverity, getIncident, transitionIncident } from '../../src/modules/incidents/index.ts';
import { pipelineTimerHandlers } from '../../src/modules/signals/pipeline-timers.ts';
import { runDueTimers } from '../../src/modules/timers/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { resolveOpenIncidents, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { EXAMPLE_AM_KEY, EXAMPLE_AM_URL } from './receiver-kit.ts';

/** The example config's events_v2 integration pages the database service (critical → P0). */
const PD_KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';
const MIN = 60_000;

for (const { name, skip } of DIALECTS) {
  describe(`signal pipeline: classification, correlation, flapping, auto-resolve [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    let seq = 0;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));
    let baseConfig: TestEnv['config']['current'];
    beforeEach(async () => {
      baseConfig ??= env.config.current;
      env.config.current = baseConfig;
      await resolveOpenIncidents(env);
      await env.db.kysely.deleteFrom('timers').execute();
    });

    const fp = (what: string) => `${what}-${++seq}`;
    /** One Alertmanager alert (the example's `prometheus` integration, auto-resolve after 10m). */
    const am = async (fingerprint: string, status: 'firing' | 'resolved', labels: Record<string, string>) => {
      const alert = { status, labels: { alertname: 'HighErrorRate', ...labels }, annotations: { summary: `${labels.service} errors` }, startsAt: new Date(env.clock.now() - MIN).toISOString(), fingerprint };
      const res = await t.app.inject({ method: 'POST', url: EXAMPLE_AM_URL, headers: { authorization: `Bearer ${EXAMPLE_AM_KEY}` }, payload: { version: '4', groupKey: `g-${fingerprint}`, status, receiver: 'r', alerts: [alert] } });
      assert.equal(res.statusCode, 200, res.body);
    };
    const pd = async (dedupKey: string, action: 'trigger' | 'resolve' = 'trigger') => {
      const res = await t.app.inject({ method: 'POST', url: '/v2/enqueue', payload: { routing_key: PD_KEY, event_action: action, dedup_key: dedupKey, payload: { summary: 'Primary down', source: 'db-1', severity: 'critical' } } });
      assert.equal(res.statusCode, 202, res.body);
    };
    const incidentOf = async (dedupKey: string) => {
      const a = await env.db.kysely.selectFrom('alerts').select('incident_id').where('dedup_key', '=', dedupKey).orderBy('first_seen_at', 'desc').executeTakeFirstOrThrow();
      assert.ok(a.incident_id, `alert ${dedupKey} has an incident`);
      return getIncident(env.ctx(), a.incident_id);
    };
    const kinds = (inc: { timeline: { kind: string }[] }) => inc.timeline.map((e) => e.kind);
    const entry = (inc: { timeline: { kind: string; body: string; data: Record<string, unknown> }[] }, kind: string) => {
      const e = inc.timeline.find((x) => x.kind === kind);
      assert.ok(e, `a ${kind} entry in ${JSON.stringify(kinds(inc))}`);
      return e;
    };
    const fireTimers = () => runDueTimers(env.ctx(), pipelineTimerHandlers);
    const configure = (patch: Partial<TestEnv['config']['current']>) => (env.config.current = { ...baseConfig, ...patch });

    describe('classification', () => {
      test('no rule matches: the integration map decides, and the timeline gives the impact figures', async () => {
        const k = fp('cls');
        await am(k, 'firing', { service: 'checkout', severity: 'critical' });
        const inc = await incidentOf(k);
        assert.equal(inc.severity, 'P1');
        const created = entry(inc, 'created');
        assert.match(created.body, /no rule matched; severity "critical" maps to P1 for integration prometheus; impact score 54 \(tier p1, customer-facing, 30% of users, 1 service\)/);
        assert.deepEqual((created.data.classification as { rule: unknown }).rule, null);
        assert.equal((created.data.classification as { impact: { score: number } }).impact.score, 54);
      });

      test('the first matching rule decides: a label rule, and a rule that takes the impact score', async () => {
        const sec = fp('sec');
        await am(sec, 'firing', { service: 'docs', severity: 'warning', category: 'security' });
        const secInc = await incidentOf(sec);
        assert.equal(secInc.severity, 'P0');
        assert.match(entry(secInc, 'created').body, /rule "security" gave P0/);
        // web: customer-facing, all users: the rule takes the impact score (90 → P0).
        const web = fp('web');
        await am(web, 'firing', { service: 'web', severity: 'critical' });
        const webInc = await incidentOf(web);
        assert.equal(webInc.severity, 'P0');
        assert.match(entry(webInc, 'created').body, /rule "critical-where-most-users-notice" gave P0 from the impact score; impact score 90/);
        // Rules run in order: with a catch-all first, it wins.
        configure({ classification: { ...baseConfig.classification, rules: [{ name: 'everything-p2', match: {}, severity: 'P2' }, ...baseConfig.classification.rules] } });
        await resolveOpenIncidents(env);
        const other = fp('web');
        await am(other, 'firing', { service: 'web', severity: 'critical' });
        assert.equal((await incidentOf(other)).severity, 'P2');
      });

      test('a more severe alert joining raises the incident; a person\'s severity is never overridden', async () => {
        const low = fp('low');
        await am(low, 'firing', { service: 'docs', severity: 'warning' });
        let inc = await incidentOf(low);
        assert.equal(inc.severity, 'P3');
        await am(fp('high'), 'firing', { service: 'docs', severity: 'warning', category: 'security' });
        inc = await getIncident(env.ctx(), inc.id);
        assert.equal(inc.severity, 'P0');
        assert.match(entry(inc, 'severity_changed').body, /P3 → P0: a new alert classifies higher: rule "security"/);
        // A person sets P2; another security alert leaves it.
        await changeSeverity(env.ctx(env.users.responder.actor), inc.id, { severity: 'P2', reason: 'contained' });
        await am(fp('high'), 'firing', { service: 'docs', severity: 'warning', category: 'security' });
        assert.equal((await getIncident(env.ctx(), inc.id)).severity, 'P2');
      });

      test('duration rules raise an incident still open (counted from each severity), never over a person', async () => {
        const k = fp('dur');
        await am(k, 'firing', { service: 'docs', severity: 'warning' });
        let inc = await incidentOf(k);
        assert.equal(inc.severity, 'P3');
        env.clock.advance(4 * 60 * MIN - 1);
        assert.equal(await fireTimers(), 0);
        env.clock.advance(1);
        assert.equal(await fireTimers(), 1);
        inc = await getIncident(env.ctx(), inc.id);
        assert.equal(inc.severity, 'P2');
        assert.match(entry(inc, 'severity_changed').body, /P3 → P2: open for 4h at P3 \(duration rule\)/);
        // P2 for 30 minutes (from now, not from opening) → P1.
        assert.equal(await fireTimers(), 0);
        env.clock.advance(30 * MIN);
        await fireTimers();
        assert.equal((await getIncident(env.ctx(), inc.id)).severity, 'P1');
        // A person's severity stops the rules.
        const other = fp('dur');
        await resolveOpenIncidents(env);
        await am(other, 'firing', { service: 'docs', severity: 'warning' });
        const human = await incidentOf(other);
        // Confirming automation's P3 makes it a person's choice.
        await changeSeverity(env.ctx(env.users.responder.actor), human.id, { severity: 'P3', reason: 'known noise' });
        assert.match(entry(await getIncident(env.ctx(), human.id), 'severity_confirmed').body, /Severity P3 confirmed: known noise/);
        env.clock.advance(5 * 60 * MIN);
        await fireTimers();
        assert.equal((await getIncident(env.ctx(), human.id)).severity, 'P3');
      });
    });

    describe('dependency correlation', () => {
      test('an alert on a dependent joins the open incident on its dependency, naming the likely root cause', async () => {
        const db = fp('db');
        await pd(db);
        const root = await incidentOf(db);
        const k = fp('checkout');
        await am(k, 'firing', { service: 'checkout', severity: 'critical' });
        const joined = await incidentOf(k);
        assert.equal(joined.id, root.id);
        assert.deepEqual(joined.services.sort(), ['checkout', 'database']);
        assert.match(entry(joined, 'correlated').body, /checkout depends on database, which has this open incident: likely root cause database/);
        assert.equal((await env.db.kysely.selectFrom('incidents').select('id').where('state', '=', 'triggered').execute()).length, 1);
      });

      test('an incident opening on a dependency absorbs the untouched incidents of its dependents', async () => {
        const k = fp('checkout');
        await am(k, 'firing', { service: 'checkout', severity: 'critical' });
        const dependent = await incidentOf(k);
        const mine = fp('work-orders');
        await am(mine, 'firing', { service: 'work-orders', severity: 'critical' });
        const taken = await incidentOf(mine);
        // Someone is working on the work-orders incident: it stays theirs.
        await transitionIncident(env.ctx(env.users.responder.actor), taken.id, 'acknowledge');
        const db = fp('db');
        await pd(db);
        const root = await incidentOf(db);
        assert.notEqual(root.id, dependent.id);
        assert.equal((await incidentOf(k)).id, root.id, "the dependent's alerts moved to the root incident");
        assert.ok(root.services.includes('checkout'));
        assert.match(entry(await getIncident(env.ctx(), root.id), 'absorbed').body, new RegExp(`INC-${dependent.number} on checkout merged here: checkout depends on database`));
        const merged = await getIncident(env.ctx(), dependent.id);
        assert.equal(merged.state, 'resolved');
        assert.match(merged.timeline.at(-1)!.body, new RegExp(`merged into INC-${root.number}`));
        const row = await env.db.kysely.selectFrom('incidents').select('merged_into').where('id', '=', dependent.id).executeTakeFirstOrThrow();
        assert.equal(row.merged_into, root.id);
        assert.equal((await getIncident(env.ctx(), taken.id)).state, 'acknowledged');
        assert.equal((await incidentOf(mine)).id, taken.id);
      });

      test('with dependency correlation off, each service has its own incident', async () => {
        configure({ correlation: { ...baseConfig.correlation, dependencies: false } });
        const db = fp('db');
        await pd(db);
        const k = fp('checkout');
        await am(k, 'firing', { service: 'checkout', severity: 'critical' });
        assert.notEqual((await incidentOf(k)).id, (await incidentOf(db)).id);
      });

      test('a grouping window: an incident quiet for longer than it is not joined', async () => {
        configure({ correlation: { ...baseConfig.correlation, group_window: 15 * MIN } });
        const a = fp('gw');
        await am(a, 'firing', { service: 'docs', severity: 'warning' });
        const b = fp('gw');
        env.clock.advance(10 * MIN);
        await am(b, 'firing', { service: 'docs', severity: 'warning' });
        assert.equal((await incidentOf(b)).id, (await incidentOf(a)).id);
        env.clock.advance(16 * MIN);
        const c = fp('gw');
        await am(c, 'firing', { service: 'docs', severity: 'warning' });
        assert.notEqual((await incidentOf(c)).id, (await incidentOf(a)).id);
      });

      test('a new alert on an acknowledged incident re-notifies when configured', async () => {
        configure({ correlation: { ...baseConfig.correlation, renotify_acknowledged: true } });
        const a = fp('rn');
        await am(a, 'firing', { service: 'docs', severity: 'warning' });
        const inc = await incidentOf(a);
        await am(fp('rn'), 'firing', { service: 'docs', severity: 'warning' });
        assert.ok(!kinds(await getIncident(env.ctx(), inc.id)).includes('renotify'), 'not while nobody has acknowledged: the page is still out');
        await transitionIncident(env.ctx(env.users.responder.actor), inc.id, 'acknowledge');
        await am(fp('rn'), 'firing', { service: 'docs', severity: 'warning' });
        assert.ok(kinds(await getIncident(env.ctx(), inc.id)).includes('renotify'));
        const events = await env.db.kysely.selectFrom('outbox').select('topic').where('aggregate_id', '=', inc.id).execute();
        assert.ok(events.some((e) => e.topic === 'incident.renotify'), 'the escalation side reacts to the domain event');
      });
    });

    describe('flapping and auto-resolve', () => {
      test('an alert that changes state too often is marked flapping, stops re-notifying, and settles after a quiet window', async () => {
        configure({ flapping: { changes: 3, window: 30 * MIN }, correlation: { ...baseConfig.correlation, renotify_acknowledged: true } });
        const k = fp('flap');
        await am(k, 'firing', { service: 'docs', severity: 'warning' });
        const inc = await incidentOf(k);
        await transitionIncident(env.ctx(env.users.responder.actor), inc.id, 'acknowledge');
        for (let i = 0; i < 2; i++) {
          env.clock.advance(MIN);
          await am(k, 'resolved', { service: 'docs', severity: 'warning' });
          env.clock.advance(MIN);
          await am(k, 'firing', { service: 'docs', severity: 'warning' });
        }
        const after = await getIncident(env.ctx(), inc.id);
        assert.match(entry(after, 'alert_flapping').body, new RegExp(`Alert ${k} is flapping: 5 state changes within 30m`));
        assert.ok(kinds(after).includes('renotify_skipped'));
        const flapping = await env.db.kysely.selectFrom('alerts').select('flapping_since').where('dedup_key', '=', k).where('status', '<>', 'resolved').executeTakeFirstOrThrow();
        assert.notEqual(flapping.flapping_since, null);
        // Quiet for a whole window: it settles.
        env.clock.advance(30 * MIN);
        await fireTimers();
        const settled = await env.db.kysely.selectFrom('alerts').select('flapping_since').where('dedup_key', '=', k).where('status', '<>', 'resolved').executeTakeFirstOrThrow();
        assert.equal(settled.flapping_since, null);
        assert.ok(kinds(await getIncident(env.ctx(), inc.id)).includes('alert_settled'));
      });

      test('auto-resolve: monitoring when every alert resolved, back to investigating if one fires again, resolved after the quiet period', async () => {
        const a = fp('ar');
        const b = fp('ar');
        await am(a, 'firing', { service: 'docs', severity: 'warning' });
        await am(b, 'firing', { service: 'docs', severity: 'warning' });
        const inc = await incidentOf(a);
        await transitionIncident(env.ctx(env.users.responder.actor), inc.id, 'acknowledge');
        await am(a, 'resolved', { service: 'docs', severity: 'warning' });
        assert.equal((await getIncident(env.ctx(), inc.id)).state, 'acknowledged', 'one alert still firing');
        await am(b, 'resolved', { service: 'docs', severity: 'warning' });
        assert.equal((await getIncident(env.ctx(), inc.id)).state, 'monitoring');
        env.clock.advance(5 * MIN);
        await am(a, 'firing', { service: 'docs', severity: 'warning' });
        assert.equal((await getIncident(env.ctx(), inc.id)).state, 'investigating');
        assert.match((await getIncident(env.ctx(), inc.id)).timeline.at(-1)!.body, /auto-resolve cancelled/);
        await am(a, 'resolved', { service: 'docs', severity: 'warning' });
        env.clock.advance(10 * MIN - 1);
        await fireTimers();
        assert.equal((await getIncident(env.ctx(), inc.id)).state, 'monitoring');
        env.clock.advance(1);
        assert.equal(await fireTimers(), 1);
        const done = await getIncident(env.ctx(), inc.id);
        assert.equal(done.state, 'resolved');
        assert.match(done.timeline.at(-1)!.body, /auto-resolved: no alert fired for 10m/);
      });

      test('auto-resolve of an unacknowledged incident keeps it triggered (no fake acknowledgement); integrations without it never auto-resolve', async () => {
        const a = fp('ar');
        await am(a, 'firing', { service: 'docs', severity: 'warning' });
        const inc = await incidentOf(a);
        await am(a, 'resolved', { service: 'docs', severity: 'warning' });
        const waiting = await getIncident(env.ctx(), inc.id);
        assert.equal(waiting.state, 'triggered');
        assert.ok(kinds(waiting).includes('auto_resolve_scheduled'));
        env.clock.advance(10 * MIN);
        await fireTimers();
        const done = await getIncident(env.ctx(), inc.id);
        assert.equal(done.state, 'resolved');
        assert.equal(done.acknowledged_at, null);
        // database-monitoring (events_v2) has no auto_resolve.
        const db = fp('db');
        await pd(db);
        await pd(db, 'resolve');
        env.clock.advance(60 * MIN);
        await fireTimers();
        assert.equal((await incidentOf(db)).state, 'triggered');
      });
    });
  });
}
