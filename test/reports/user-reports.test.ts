import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { parseConfigText } from '../../src/config/load.ts';
import { createIncident, getIncident } from '../../src/modules/incidents/index.ts';
import { submitReport } from '../../src/modules/reports/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { assertError, rowCounts } from '../http/support.ts';

const HOSTILE = [
  '<script>alert(document.cookie)</script>',
  "'; DROP TABLE user_reports; --",
  '" OR 1=1 -- ',
  '${process.exit(1)} {{constructor.constructor("return process")()}} #{7*7}',
  'ctrl \u0001\u0002\u0007\b\u000b\f\u001b[31mred\u001b[0m\u007f\u0085 end',
  'bidi \u202etxt.exe\u202c zero\u200bwidth\u200d join\ufeffbom',
  'emoji 👩‍👩‍👧‍👦 🏳️‍🌈 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﷽',
  '  line\nbreaks\r\nand\ttabs inside  ',
];

describe('reports config', () => {
  const MINIMAL = 'organisation:\n  name: Minimal\n';
  test('defaults when the section is absent', () => {
    const r = parseConfigText(MINIMAL, {});
    assert.ok(r.ok);
    assert.deepEqual(r.config.reports, { window: 15 * 60_000, threshold: 3, severity: 'P3', anonymous: { enabled: true, rate_limit: { per_minute: 10 } } });
  });
  test('partial sections are filled in', () => {
    const r = parseConfigText(`${MINIMAL}reports:\n  window: 5m\n  anonymous:\n    enabled: false\n`, {});
    assert.ok(r.ok);
    assert.deepEqual(r.config.reports, { window: 5 * 60_000, threshold: 3, severity: 'P3', anonymous: { enabled: false, rate_limit: { per_minute: 10 } } });
  });
  test('every problem is reported with its path', () => {
    const r = parseConfigText(`${MINIMAL}reports:\n  window: soon\n  threshold: 0\n  severity: P9\n  colour: red\n  anonymous:\n    rate_limit:\n      per_minute: -1\n`, {});
    assert.equal(r.ok, false);
    const paths = (r as { issues: { path: string }[] }).issues.map((i) => i.path).sort();
    assert.deepEqual(paths, ['reports.anonymous.rate_limit.per_minute', 'reports.colour', 'reports.severity', 'reports.threshold', 'reports.window']);
  });
});

for (const { name, skip } of DIALECTS) {
  describe(`user reports [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));

    const report = (payload: unknown, headers: Record<string, string> = t.auth.viewer) => t.app.inject({ method: 'POST', url: '/api/v1/reports', headers, payload: payload as object });
    const anonymous = (payload: unknown, remoteAddress = '203.0.113.7', headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'POST', url: '/api/v1/reports/anonymous', headers, payload: payload as object, remoteAddress });
    const created = (res: LightMyRequestResponse) => {
      assert.equal(res.statusCode, 201, res.body);
      return res.json();
    };
    const reportCount = async () => Number((await env.db.kysely.selectFrom('user_reports').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const incidentsOn = (service: string) =>
      env.db.kysely
        .selectFrom('incidents')
        .innerJoin('incident_services', 'incident_services.incident_id', 'incidents.id')
        .select(['incidents.id', 'incidents.number', 'incidents.source', 'incidents.title', 'incidents.severity', 'incidents.created_by'])
        .where('incident_services.service_id', '=', service)
        .execute();

    test('reports inside the window share a group; after a quiet window a new group starts', async () => {
      const a = created(await report({ service: 'web', description: 'page is blank' }));
      assert.deepEqual(a.group, { report_count: 1, threshold: 3 });
      assert.equal(a.incident, null);
      assert.match(a.id, /^rep_/);
      env.clock.advance(10 * 60_000);
      const b = created(await report({ service: 'web', description: 'still blank' }));
      assert.equal(b.group.report_count, 2);
      // The window counts from the group's last report, not its first.
      env.clock.advance(14 * 60_000);
      const c = created(await report({ service: 'web', description: 'blank again' }, t.auth.responder));
      assert.equal(c.incident, 'INC-1');
      env.clock.advance(15 * 60_000 + 1);
      const d = created(await report({ service: 'web', description: 'blank, much later' }));
      assert.deepEqual(d.group, { report_count: 1, threshold: 3 });
      const rows = await env.db.kysely.selectFrom('user_reports').select(['id', 'group_id']).where('service_id', '=', 'web').orderBy('received_at').execute();
      assert.equal(new Set(rows.slice(0, 3).map((r) => r.group_id)).size, 1);
      assert.notEqual(rows[3].group_id, rows[0].group_id);
      const groups = await env.db.kysely.selectFrom('report_groups').selectAll().where('service_id', '=', 'web').orderBy('opened_at').execute();
      assert.equal(groups.length, 2);
      assert.notEqual(groups[0].closed_at, null);
      assert.equal(groups[1].closed_at, null);
      // A group on another service is separate.
      assert.equal(created(await report({ service: 'cache', description: 'slow' })).group.report_count, 1);
    });

    test('the threshold opens exactly one incident with source user_report and its timeline', async () => {
      for (const [i, description] of ['checkout button spins', 'payment failed twice', 'order page 500'].entries()) {
        const r = created(await report({ service: 'checkout', description, contact: `user${i}@example.com` }));
        assert.equal(r.group.report_count, i + 1);
        if (i < 2) assert.equal(r.incident, null);
        else assert.match(r.incident, /^INC-\d+$/);
      }
      const incidents = await incidentsOn('checkout');
      assert.equal(incidents.length, 1);
      const [inc] = incidents;
      assert.equal(inc.source, 'user_report');
      assert.equal(inc.severity, 'P3');
      assert.equal(inc.title, '3 user reports about Checkout');
      assert.equal(inc.created_by, 'user reports');
      const view = await getIncident(env.ctx(), inc.id);
      assert.match(view.description, /checkout button spins[\s\S]*payment failed twice[\s\S]*order page 500/);
      assert.deepEqual(view.timeline.map((e) => e.kind), ['created', 'user_reports']);
      assert.deepEqual(view.timeline.map((e) => e.actor), [
        { type: 'integration', id: null, name: 'user reports' },
        { type: 'integration', id: null, name: 'user reports' },
      ]);
      assert.equal(view.timeline[1].data.report_count, 3);
      assert.deepEqual(view.timeline[1].data.descriptions, ['checkout button spins', 'payment failed twice', 'order page 500']);
      // Contact details never reach the incident.
      assert.ok(!JSON.stringify(view).includes('@example.com'));

      // A fourth report is noted on the incident, cheaply, and opens nothing.
      env.clock.advance(60_000);
      const fourth = created(await report({ service: 'checkout', description: 'cannot pay' }));
      assert.equal(fourth.group.report_count, 4);
      assert.equal(fourth.incident, `INC-${inc.number}`);
      assert.equal((await incidentsOn('checkout')).length, 1);
      const after = await getIncident(env.ctx(), inc.id);
      assert.deepEqual(after.timeline.map((e) => e.kind), ['created', 'user_reports', 'user_report']);
      assert.equal(after.timeline[2].data.report_count, 4);
      assert.match(after.timeline[2].body, /cannot pay/);
      // Every report of the group points at the incident.
      const list = await t.app.inject({ method: 'GET', url: '/api/v1/reports?service=checkout', headers: t.auth.viewer });
      assert.deepEqual(list.json().data.map((r: { incident: string }) => r.incident), Array(4).fill(`INC-${inc.number}`));
    });

    test('an incident already open on the service absorbs the group', async () => {
      const existing = await createIncident(env.ctx(env.users.responder.actor), { title: 'Login broken', severity: 'P1', services: ['auth'] });
      for (const description of ['cannot sign in', 'SSO loops', 'password reset never arrives']) created(await report({ service: 'auth', description }));
      const incidents = await incidentsOn('auth');
      assert.deepEqual(incidents.map((i) => i.id), [existing.id]);
      const view = await getIncident(env.ctx(), existing.id);
      assert.deepEqual(view.timeline.map((e) => e.kind), ['created', 'user_reports']);
      assert.equal(view.timeline[1].data.report_count, 3);
      assert.match(view.timeline[1].body, /cannot sign in[\s\S]*SSO loops/);
      assert.equal(view.severity, 'P1', 'joining does not change the severity');
      const next = created(await report({ service: 'auth', description: 'also me' }));
      assert.equal(next.incident, existing.ref);
    });

    test('10 concurrent reports open one incident', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => submitReport(env.ctx(env.users.viewer.actor), { service: 'storage', description: `uploads fail #${i}` })),
      );
      assert.deepEqual(results.map((r) => r.group.report_count).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const incidents = await incidentsOn('storage');
      assert.equal(incidents.length, 1);
      assert.equal(incidents[0].source, 'user_report');
      const refs = new Set(results.filter((r) => r.group.report_count >= 3).map((r) => r.incident));
      assert.deepEqual([...refs], [`INC-${incidents[0].number}`]);
      const view = await getIncident(env.ctx(), incidents[0].id);
      assert.deepEqual(view.timeline.map((e) => e.kind), ['created', 'user_reports', ...Array(7).fill('user_report')]);
      const groups = await env.db.kysely.selectFrom('report_groups').selectAll().where('service_id', '=', 'storage').execute();
      assert.equal(groups.length, 1);
      assert.equal(groups[0].report_count, 10);
    });

    test('anonymous reports: stored without a user, 404 when disabled', async () => {
      // Credentials sent along are ignored: the public form is anonymous.
      const r = created(await anonymous({ service: 'work-orders', description: 'list is empty' }, '198.51.100.1', t.auth.viewer));
      assert.deepEqual(Object.keys(r), ['id']);
      const row = await env.db.kysely.selectFrom('user_reports').selectAll().where('id', '=', r.id).executeTakeFirstOrThrow();
      assert.equal(row.reporter_user_id, null);
      assert.equal(row.reporter_address, '198.51.100.1');
      const original = env.config.current;
      env.config.current = { ...original, reports: { ...original.reports, anonymous: { ...original.reports.anonymous, enabled: false } } };
      try {
        const before = await reportCount();
        assertError(await anonymous({ service: 'work-orders', description: 'list is empty' }, '198.51.100.2'), 404, 'NOT_FOUND');
        assert.equal(await reportCount(), before);
        // Signed-in reports still work.
        created(await report({ service: 'work-orders', description: 'signed in' }));
      } finally {
        env.config.current = original;
      }
    });

    test('anonymous reports are rate-limited per client address → 429 with retry-after', async () => {
      for (let i = 0; i < 10; i++) created(await anonymous({ service: 'reporting', description: `charts empty ${i}` }, '192.0.2.50'));
      const before = await reportCount();
      const res = await anonymous({ service: 'reporting', description: 'one too many' }, '192.0.2.50');
      const err = assertError(res, 429, 'RATE_LIMITED');
      assert.equal(typeof err.details.retry_after, 'number');
      assert.ok((err.details.retry_after as number) > 0 && (err.details.retry_after as number) <= 60);
      assert.equal(res.headers['retry-after'], String(err.details.retry_after));
      assert.equal(await reportCount(), before);
      // Another address is not affected; refused input does not count; the window passes.
      created(await anonymous({ service: 'reporting', description: 'from elsewhere' }, '192.0.2.51'));
      assertError(await anonymous({ service: 'reporting', description: '' }, '192.0.2.52'), 400, 'VALIDATION_FAILED');
      env.clock.advance(60_000);
      created(await anonymous({ service: 'reporting', description: 'later' }, '192.0.2.50'));
    });

    test('unknown service → 422 UNKNOWN_SERVICE; bad input → 400; nothing stored', async () => {
      const before = { reports: await reportCount(), rows: await rowCounts(env) };
      assertError(await report({ service: 'nope', description: 'x' }), 422, 'UNKNOWN_SERVICE');
      assertError(await anonymous({ service: 'nope', description: 'x' }, '192.0.2.60'), 422, 'UNKNOWN_SERVICE');
      for (const payload of [
        {},
        { service: 'api' },
        { description: 'no service' },
        { service: 'api', description: '' },
        { service: 'api', description: ' \n\t ' },
        { service: 'api', description: 'x'.repeat(5001) },
        { service: 'api', description: 'ok', contact: 'c'.repeat(201) },
        { service: 'api', description: 'ok', contact: 42 },
        { service: ['api'], description: 'ok' },
        { service: 'api', description: 'ok', reporter_address: '1.2.3.4' },
        { service: 'api', description: 'nul \u0000' },
      ]) {
        assertError(await report(payload), 400, 'VALIDATION_FAILED');
        assertError(await anonymous(payload, '192.0.2.61'), 400, 'VALIDATION_FAILED');
      }
      assertError(await t.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { ...t.auth.viewer, 'content-type': 'application/json' }, payload: '{"service":' }), 400, 'INVALID_JSON');
      assertError(await anonymous({ service: 'api', description: 'x'.repeat(70_000) }, '192.0.2.62'), 413, 'PAYLOAD_TOO_LARGE');
      assertError(await report({ service: 'api', description: 'x' }, {}), 401, 'UNAUTHENTICATED');
      assert.equal(await reportCount(), before.reports);
      assert.deepEqual(await rowCounts(env), before.rows);
      // The maximum itself is fine, in code points.
      created(await report({ service: 'api', description: '😀'.repeat(5000), contact: 'ж'.repeat(200) }));
    });

    test('viewers never see contact details; nobody sees the reporter address', async () => {
      created(await report({ service: 'database', description: 'queries time out', contact: 'alice@example.com' }, t.auth.viewer));
      created(await anonymous({ service: 'database', description: 'reports page hangs', contact: '+1 555 0100' }, '192.0.2.77'));
      const asViewer = await t.app.inject({ method: 'GET', url: '/api/v1/reports?service=database&limit=10', headers: t.auth.viewer });
      assert.equal(asViewer.statusCode, 200, asViewer.body);
      const data = asViewer.json().data;
      assert.equal(data.length, 2);
      assert.deepEqual(data.map((r: { description: string }) => r.description), ['reports page hangs', 'queries time out'], 'newest first');
      for (const r of data) assert.ok(!('contact' in r), JSON.stringify(r));
      assert.equal(data[0].reported_by, null);
      assert.equal(data[1].reported_by, env.users.viewer.handle);
      for (const res of [asViewer, await t.app.inject({ method: 'GET', url: '/api/v1/reports?service=database', headers: t.auth.responder })]) {
        assert.ok(!res.body.includes('192.0.2.77') && !res.body.includes('address') && !res.body.includes('127.0.0.1'), res.body);
        assert.ok(!asViewer.body.includes('alice@example.com'));
      }
      const asResponder = (await t.app.inject({ method: 'GET', url: '/api/v1/reports?service=database', headers: t.auth.responder })).json().data;
      assert.deepEqual(asResponder.map((r: { contact: string | null }) => r.contact), ['+1 555 0100', 'alice@example.com']);
      // limit and bad queries.
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/reports?limit=1', headers: t.auth.viewer })).json().data.length, 1);
      for (const qs of ['limit=0', 'limit=201', 'limit=abc', 'service=' + 'x'.repeat(64), 'other=1']) {
        assertError(await t.app.inject({ method: 'GET', url: `/api/v1/reports?${qs}`, headers: t.auth.viewer }), 400, 'VALIDATION_FAILED');
      }
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/reports' }), 401, 'UNAUTHENTICATED');
    });

    test('hostile strings are stored and returned verbatim', async () => {
      for (const s of HOSTILE) {
        const r = created(await report({ service: 'notifications', description: s, contact: s.slice(0, 200) }, t.auth.responder));
        const row = await env.db.kysely.selectFrom('user_reports').select(['description', 'contact']).where('id', '=', r.id).executeTakeFirstOrThrow();
        assert.equal(row.description, s);
        assert.equal(row.contact, s.slice(0, 200));
      }
      const list = (await t.app.inject({ method: 'GET', url: '/api/v1/reports?service=notifications&limit=200', headers: t.auth.responder })).json().data;
      assert.deepEqual(list.map((r: { description: string }) => r.description).reverse(), HOSTILE);
      assert.deepEqual(list.map((r: { contact: string }) => r.contact).reverse(), HOSTILE);
      // The incident they opened quotes them and every table is intact.
      const [inc] = await incidentsOn('notifications');
      const view = await getIncident(env.ctx(), inc.id);
      assert.ok(view.description.includes(HOSTILE[0]) && view.description.includes(HOSTILE[1]));
      assert.ok((await rowCounts(env)).users >= 3);
    });
  });
}
