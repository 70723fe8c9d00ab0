import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { SEVERITIES } from '../../src/config/defaults.ts';
import { buildApp } from '../../src/http/build-app.ts';
import { createDatabase } from '../../src/db/create-db.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { INCIDENT_STATES } from '../../src/modules/incidents/index.ts';
import { DIALECTS, PG_ADMIN_URL } from '../helpers/dialects.ts';
import { type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { assertError } from './support.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MINUTE = 60_000;

/** Parses Prometheus text exposition into samples: name, labels, value. */
function parseMetrics(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    out.push({ name: m[1], labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return out;
}

for (const { name, skip } of DIALECTS) {
  describe(`operations over HTTP [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;

    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));

    const create = async (payload: Record<string, unknown>, headers = t.auth.token) => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers, payload });
      assert.equal(res.statusCode, 201, res.body);
      return res.json() as { ref: string; number: number; state: string; severity: string; triggered_at: string };
    };
    const act = async (ref: string, verb: string) => {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${ref}/${verb}`, headers: t.auth.token });
      assert.equal(res.statusCode, 200, res.body);
    };
    const list = async (qs: string) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/incidents${qs ? `?${qs}` : ''}`, headers: t.auth.viewer });
      assert.equal(res.statusCode, 200, `${qs}: ${res.body}`);
      return res.json() as { data: { ref: string; number: number; state: string; severity: string; services: string[] }[]; next_cursor: string | null };
    };
    /** Follows next_cursor to the end; returns every ref in order and the number of pages. */
    const listAll = async (qs: string, limit: number) => {
      const refs: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await list([qs, `limit=${limit}`, cursor ? `cursor=${encodeURIComponent(cursor)}` : ''].filter(Boolean).join('&'));
        assert.ok(page.data.length <= limit, `page of ${page.data.length} > limit ${limit}`);
        refs.push(...page.data.map((i) => i.ref));
        cursor = page.next_cursor;
        pages++;
        assert.ok(pages < 100, 'pagination does not terminate');
      } while (cursor);
      return { refs, pages };
    };

    test('/healthz answers 200 to anyone', async () => {
      for (const headers of [{}, t.auth.viewer, t.auth.token]) {
        const res = await t.app.inject({ method: 'GET', url: '/healthz', headers });
        assert.equal(res.statusCode, 200);
        assert.deepEqual(res.json(), { status: 'ok' });
      }
    });

    test('/readyz is 200 when current, 503 when the schema is ahead of or behind the code', async () => {
      const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200, ready.body);
      assert.deepEqual(ready.json(), { status: 'ready', checks: { database: 'ok', migrations: 'current' } });

      // Ahead: a migration this build does not know.
      await sql`insert into kysely_migration (name, timestamp) values ('9999-from-the-future', ${new Date().toISOString()})`.execute(env.db.kysely);
      try {
        const ahead = await t.app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(ahead.statusCode, 503, ahead.body);
        assert.deepEqual(ahead.json(), { status: 'not_ready', checks: { database: 'ok', migrations: 'behind_or_ahead' } });
      } finally {
        await sql`delete from kysely_migration where name = '9999-from-the-future'`.execute(env.db.kysely);
      }

      // Behind: a migration this build knows is not recorded as applied.
      const applied = await sql<{ name: string; timestamp: string }>`select name, timestamp from kysely_migration order by name`.execute(env.db.kysely);
      const last = applied.rows.at(-1)!;
      await sql`delete from kysely_migration where name = ${last.name}`.execute(env.db.kysely);
      try {
        const behind = await t.app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(behind.statusCode, 503, behind.body);
        assert.equal(behind.json().checks.migrations, 'behind_or_ahead');
        // Liveness is unaffected: the process is fine, it just should not take traffic.
        assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      } finally {
        await sql`insert into kysely_migration (name, timestamp) values (${last.name}, ${last.timestamp})`.execute(env.db.kysely);
      }
      assert.equal((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    });

    test('/readyz is 503 when the database is unreachable', async () => {
      // A second handle on the same database, closed under a second app.
      const db = createDatabase({ databaseUrl: env.dialect === 'sqlite' ? `sqlite:${env.db.location}` : await pgUrl(env), dataDir: env.dir, poolSize: 1 });
      const { app } = await buildApp({ db, config: env.config, clock: env.clock, logger: createLogger({ level: 'silent' }), version: 'test' });
      await app.ready();
      try {
        assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
        await db.close();
        const down = await app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(down.statusCode, 503, down.body);
        assert.deepEqual(down.json().checks, { database: 'unreachable', migrations: 'behind_or_ahead' });
      } finally {
        await app.close();
      }
    });

    test('/metrics needs credentials and serves Prometheus text', async () => {
      assertError(await t.app.inject({ method: 'GET', url: '/metrics' }), 401, 'UNAUTHENTICATED');
      // Give the latency histogram something to report on a known route.
      for (let i = 0; i < 3; i++) await t.app.inject({ method: 'GET', url: '/healthz' });
      await t.app.inject({ method: 'GET', url: '/api/v1/does-not-exist' });
      for (const headers of [t.auth.viewer, t.auth.token]) {
        const res = await t.app.inject({ method: 'GET', url: '/metrics', headers });
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
        const text = res.body;
        assert.match(text, /^# TYPE firebreak_http_request_duration_seconds histogram$/m);
        assert.match(text, /^# TYPE firebreak_incidents gauge$/m);
        assert.match(text, /^firebreak_signals_pending 0$/m, 'every accepted signal has been applied');
        assert.match(text, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
        const samples = parseMetrics(text);
        const lag = samples.find((s) => s.name === 'nodejs_eventloop_lag_seconds');
        assert.ok(lag && Number.isFinite(lag.value) && lag.value >= 0, 'nodejs_eventloop_lag_seconds has no sane value');
        const healthCount = samples.find((s) => s.name === 'firebreak_http_request_duration_seconds_count' && s.labels.route === '/healthz' && s.labels.method === 'GET' && s.labels.status_code === '200');
        assert.ok(healthCount && healthCount.value >= 3, `healthz latency count: ${JSON.stringify(healthCount)}`);
        const inf = samples.find((s) => s.name === 'firebreak_http_request_duration_seconds_bucket' && s.labels.route === '/healthz' && s.labels.le === '+Inf');
        assert.equal(inf?.value, healthCount.value, '+Inf bucket equals the count');
        // Unmatched URLs share one label value, so scanners cannot blow up the series count.
        assert.ok(samples.some((s) => s.name === 'firebreak_http_request_duration_seconds_count' && s.labels.route === 'unmatched' && s.labels.status_code === '404'), 'no unmatched series');
        assert.ok(!samples.some((s) => s.labels.route?.includes('does-not-exist')), 'a raw URL became a label');
      }
    });

    test('firebreak_incidents{state,severity} counts what is in the database', async () => {
      const gauge = async () => {
        const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: t.auth.viewer });
        const out = new Map<string, number>();
        for (const s of parseMetrics(res.body)) if (s.name === 'firebreak_incidents') out.set(`${s.labels.state}/${s.labels.severity}`, s.value);
        return out;
      };
      const before = await gauge();
      // Every state × severity pair is a series, zero or not.
      assert.equal(before.size, INCIDENT_STATES.length * SEVERITIES.length);
      const a = await create({ title: 'gauge a', severity: 'P0' });
      const b = await create({ title: 'gauge b', severity: 'P0' });
      await create({ title: 'gauge c', severity: 'P2' });
      await act(a.ref, 'acknowledge');
      await act(b.ref, 'resolve');
      await act(b.ref, 'close');
      const now = await gauge();
      const rows = await env.db.kysely.selectFrom('incidents').select(['state', 'severity']).execute();
      for (const state of INCIDENT_STATES) {
        for (const severity of SEVERITIES) {
          const expected = rows.filter((r) => r.state === state && r.severity === severity).length;
          assert.equal(now.get(`${state}/${severity}`), expected, `${state}/${severity}`);
        }
      }
      assert.equal(now.get('acknowledged/P0')! - (before.get('acknowledged/P0') ?? 0), 1);
      assert.equal(now.get('closed/P0')! - (before.get('closed/P0') ?? 0), 1);
      assert.equal(now.get('triggered/P2')! - (before.get('triggered/P2') ?? 0), 1);
    });

    test('x-request-id: generated, a sane one reused, a hostile one replaced', async () => {
      const plain = await t.app.inject({ method: 'GET', url: '/healthz' });
      assert.match(String(plain.headers['x-request-id']), UUID);
      const other = await t.app.inject({ method: 'GET', url: '/healthz' });
      assert.notEqual(other.headers['x-request-id'], plain.headers['x-request-id']);

      for (const id of ['abc-123', 'trace.0af7651916cd43dd_8448eb211c80319c', 'A'.repeat(64)]) {
        const res = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': id } });
        assert.equal(res.headers['x-request-id'], id);
      }
      for (const id of ['<script>alert(1)</script>', 'a b', 'A'.repeat(65), "x'; drop table audit_log; --", '../../etc/passwd', 'ünïcödé', '', '%0d%0aSet-Cookie:x=1']) {
        const res = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': id } });
        assert.match(String(res.headers['x-request-id']), UUID, JSON.stringify(id));
      }
      // Errors carry it too, and the audit trail records the id of the request that made a change.
      const err = await t.app.inject({ method: 'GET', url: '/api/v1/incidents/INC-424242', headers: { ...t.auth.viewer, 'x-request-id': 'lookup-42' } });
      assert.equal(err.statusCode, 404);
      assert.equal(err.headers['x-request-id'], 'lookup-42');
      const made = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { ...t.auth.token, 'x-request-id': 'req-create-1' }, payload: { title: 'traced', severity: 'P3' } });
      assert.equal(made.headers['x-request-id'], 'req-create-1');
      const audit = await env.db.kysely.selectFrom('audit_log').select(['action', 'request_id']).where('request_id', '=', 'req-create-1').execute();
      assert.deepEqual(audit.map((r) => r.action), ['incident.created']);
      const hostile = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { ...t.auth.token, 'x-request-id': '<b>x</b>' }, payload: { title: 'traced 2', severity: 'P3' } });
      const id = String(hostile.headers['x-request-id']);
      assert.match(id, UUID);
      const audit2 = await env.db.kysely.selectFrom('audit_log').select('request_id').where('request_id', '=', id).execute();
      assert.equal(audit2.length, 1);
    });

    test('/api/v1/openapi.json is OpenAPI 3.1 and describes every route', async () => {
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' }), 401, 'UNAUTHENTICATED');
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: t.auth.viewer });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const doc = res.json();
      assert.match(doc.openapi, /^3\.1\.\d+$/);
      assert.equal(typeof doc.info?.title, 'string');
      assert.equal(doc.info.version, 'test');
      assert.ok(Array.isArray(doc.servers), 'servers is not a list');
      assert.equal(typeof doc.paths, 'object');
      assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['bearer', 'session']);
      assert.equal(doc.components.securitySchemes.bearer.type, 'http');
      assert.equal(doc.components.securitySchemes.session.in, 'cookie');
      assert.equal(doc.components.securitySchemes.session.name, 'firebreak_session');

      const operationIds = new Set<string>();
      for (const r of t.routes) {
        const path = r.url.replace(/:(\w+)/g, '{$1}');
        const op = doc.paths[path]?.[r.method.toLowerCase()];
        assert.ok(op, `${r.method} ${r.url} is missing from the OpenAPI document`);
        const where = `${r.method} ${path}`;
        assert.equal(op['x-firebreak-access'], r.access, where);
        assert.equal(op.summary, r.summary, where);
        assert.deepEqual(op.tags, [r.tag], where);
        assert.deepEqual(op.security, r.access === 'public' ? [] : [{ bearer: [] }, { session: [] }], where);
        // Every template variable is declared as a required path parameter, and nothing else is.
        const declared = (op.parameters ?? []).filter((p: { in: string }) => p.in === 'path').map((p: { name: string; required: boolean }) => (assert.equal(p.required, true, where), p.name));
        assert.deepEqual(declared.sort(), [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort(), where);
        for (const p of op.parameters ?? []) assert.ok(['path', 'query'].includes(p.in) && typeof p.name === 'string' && typeof p.schema === 'object', `${where}: bad parameter ${JSON.stringify(p)}`);
        if (r.body) {
          const schema = op.requestBody?.content?.['application/json']?.schema;
          assert.equal(typeof schema, 'object', `${where}: no request body schema`);
          assert.equal(schema.type, 'object', where);
          assert.equal(schema.additionalProperties, false, `${where}: unknown fields are refused, so the schema should say so`);
          assert.equal(schema.$schema, undefined, `${where}: $schema is not allowed inside an OpenAPI document`);
        } else {
          assert.equal(op.requestBody, undefined, where);
        }
        assert.ok(Object.keys(op.responses).some((s) => /^[23]\d\d$/.test(s)), `${where}: no success response`);
        assert.ok(op.responses.default?.content?.['application/json']?.schema, `${where}: no error response`);
        for (const [status, response] of Object.entries(op.responses as Record<string, { description?: string }>)) {
          assert.equal(typeof response.description, 'string', `${where} ${status}: responses need a description`);
        }
        operationIds.add(`${r.method} ${path}`);
      }
      // And nothing the server does not have.
      const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
      assert.deepEqual(documented.sort(), [...operationIds].sort());
      // The list query parameters are documented from the same schema the server enforces.
      const listParams = doc.paths['/api/v1/incidents'].get.parameters.map((p: { name: string }) => p.name);
      for (const q of ['state', 'severity', 'service', 'open', 'since', 'until', 'limit', 'cursor']) assert.ok(listParams.includes(q), `list parameter ${q} undocumented`);
    });

    test('create answers 201 with a Location that resolves to the incident', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: t.auth.responder, payload: { title: 'Located', severity: 'P1', services: ['api'] } });
      assert.equal(res.statusCode, 201, res.body);
      const inc = res.json();
      assert.equal(res.headers.location, `/api/v1/incidents/${inc.ref}`);
      const got = await t.app.inject({ method: 'GET', url: String(res.headers.location), headers: t.auth.viewer });
      assert.equal(got.statusCode, 200);
      assert.equal(got.json().id, inc.id);
      assert.equal(got.json().title, 'Located');
      // The same incident by number and by id.
      for (const ref of [String(inc.number), inc.id, inc.ref.toLowerCase()]) {
        assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${ref}`, headers: t.auth.viewer })).json().id, inc.id, ref);
      }
      const timeline = await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${inc.ref}/timeline`, headers: t.auth.viewer });
      assert.deepEqual(timeline.json().data.map((e: { kind: string }) => e.kind), ['created']);
    });

    test('incident list: filters and cursor pagination over HTTP', async () => {
      // A fresh, known population, spread over time.
      const t0 = env.clock.now();
      const made: { ref: string; number: number; severity: string; services: string[]; at: number }[] = [];
      const plan: [string, string[]][] = [
        ['P0', ['database']],
        ['P1', ['api']],
        ['P2', ['docs']],
        ['P1', ['checkout', 'api']],
        ['P3', []],
        ['P2', ['api']],
        ['P0', ['docs']],
        ['P3', ['reporting']],
        ['P1', []],
      ];
      for (const [i, [severity, services]] of plan.entries()) {
        env.clock.advance(MINUTE);
        const inc = await create({ title: `list ${i}`, severity, services });
        made.push({ ref: inc.ref, number: inc.number, severity, services, at: env.clock.now() });
      }
      await act(made[0].ref, 'acknowledge');
      await act(made[1].ref, 'resolve');
      await act(made[2].ref, 'resolve');
      await act(made[2].ref, 'close');
      await act(made[3].ref, 'investigate');
      const since = new Date(t0 + 1).toISOString();
      const ours = (refs: string[]) => refs.filter((r) => made.some((m) => m.ref === r));
      const expectRefs = (pred: (m: (typeof made)[number]) => boolean) => made.filter(pred).map((m) => m.ref).reverse();
      const states = new Map([
        [made[0].ref, 'acknowledged'],
        [made[1].ref, 'resolved'],
        [made[2].ref, 'closed'],
        [made[3].ref, 'investigating'],
      ]);
      const stateOf = (ref: string) => states.get(ref) ?? 'triggered';

      // Pagination: newest first, every incident exactly once, whatever the page size.
      const everything = (await listAll(`since=${encodeURIComponent(since)}`, 200)).refs;
      assert.deepEqual(everything, made.map((m) => m.ref).reverse());
      for (const limit of [1, 2, 4, 9]) {
        const { refs, pages } = await listAll(`since=${encodeURIComponent(since)}`, limit);
        assert.deepEqual(refs, everything, `limit=${limit}`);
        assert.equal(pages, Math.ceil(made.length / limit), `limit=${limit}: no empty trailing page`);
      }
      const last = await list(`since=${encodeURIComponent(since)}&limit=${made.length}`);
      assert.equal(last.next_cursor, null, 'an exactly full last page has no next cursor');

      // Filters, alone and combined, also paginated.
      assert.deepEqual(ours((await listAll('severity=P1', 2)).refs), expectRefs((m) => m.severity === 'P1'));
      assert.deepEqual(ours((await listAll('severity=P0,P3', 1)).refs), expectRefs((m) => m.severity === 'P0' || m.severity === 'P3'));
      assert.deepEqual(ours((await listAll('service=api', 1)).refs), expectRefs((m) => m.services.includes('api')));
      assert.deepEqual(ours((await listAll('service=docs&severity=P0', 1)).refs), expectRefs((m) => m.services.includes('docs') && m.severity === 'P0'));
      assert.deepEqual(ours((await listAll('state=resolved,closed', 1)).refs), expectRefs((m) => ['resolved', 'closed'].includes(stateOf(m.ref))));
      assert.deepEqual(ours((await listAll('open=false', 2)).refs), expectRefs((m) => ['resolved', 'closed'].includes(stateOf(m.ref))));
      assert.deepEqual(ours((await listAll('open=true', 3)).refs), expectRefs((m) => !['resolved', 'closed'].includes(stateOf(m.ref))));
      assert.deepEqual(ours((await listAll('open=true&state=resolved', 3)).refs), []);
      assert.deepEqual(ours((await listAll('state=investigating&service=api', 1)).refs), [made[3].ref]);
      // Time window: [since, until) on the trigger time.
      const from = new Date(made[2].at).toISOString();
      const until = new Date(made[5].at).toISOString();
      assert.deepEqual((await listAll(`since=${encodeURIComponent(from)}&until=${encodeURIComponent(until)}`, 2)).refs, [made[4].ref, made[3].ref, made[2].ref]);
      assert.deepEqual((await listAll(`since=${encodeURIComponent(from)}&until=${encodeURIComponent(until)}&service=api`, 1)).refs, [made[3].ref]);
      // Every row carries its state, and filtered pages only contain matching rows.
      for (const inc of (await list('state=triggered&limit=200')).data) assert.equal(inc.state, 'triggered');
      for (const inc of (await list('severity=P0&limit=200')).data) assert.equal(inc.severity, 'P0');
      // Cursors are opaque but stable: the same cursor twice gives the same page.
      const first = await list('limit=3');
      const again1 = await list(`limit=3&cursor=${encodeURIComponent(first.next_cursor!)}`);
      const again2 = await list(`limit=3&cursor=${encodeURIComponent(first.next_cursor!)}`);
      assert.deepEqual(again1, again2);
      assert.ok(again1.data.every((i) => i.number < first.data.at(-1)!.number), 'the next page starts after the cursor');
    });
  });
}

/** The Postgres URL of the env's database (its `location` hides the password, which trust auth does not need). */
async function pgUrl(env: TestEnv): Promise<string> {
  const row = await sql<{ db: string }>`select current_database() as db`.execute(env.db.kysely);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${row.rows[0].db}`;
  return url.toString();
}
