import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { BODY_LIMIT } from '../../src/http/build-app.ts';
import { createUser, updateUser } from '../../src/modules/auth/index.ts';
import { parseIsoInstant } from '../../src/modules/oncall/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { TEST_PASSWORD, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { assertError } from '../http/support.ts';
import { at, DAY, HOUR, iso, useSchedulesConfig } from './schedules-kit.ts';

const NOW = at('2026-04-08T10:00:00Z');
const VALID = { user: 'dan', start: '2026-04-08T10:00:00Z', end: '2026-04-08T12:00:00Z', reason: 'covering for bob' };

describe('ISO 8601 instants with an offset', () => {
  test('accepted forms', () => {
    assert.equal(parseIsoInstant('2026-03-29T09:00:00+02:00'), at('2026-03-29T07:00:00Z'));
    assert.equal(parseIsoInstant('2026-03-29T09:00+0200'), at('2026-03-29T07:00:00Z'));
    assert.equal(parseIsoInstant('2026-03-29T07:00:00.5Z'), at('2026-03-29T07:00:00.500Z'));
    assert.equal(parseIsoInstant('2026-03-29T07:00:00.123456789z'), at('2026-03-29T07:00:00.123Z'));
    assert.equal(parseIsoInstant('2026-03-29T02:00:00-05:30'), at('2026-03-29T07:30:00Z'));
    assert.equal(parseIsoInstant('2024-02-29T00:00:00Z'), at('2024-02-29T00:00:00Z'));
    // A query string's unencoded "+" arrives as a space.
    assert.equal(parseIsoInstant('2026-03-29T09:00:00 02:00'), at('2026-03-29T07:00:00Z'));
  });
  test('refused forms', () => {
    for (const text of [
      '2026-03-29',
      '2026-03-29T09:00:00',
      '2026-03-29 09:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-03-29T24:00:00Z',
      '2026-03-29T09:60:00Z',
      '2026-03-29T09:00:60Z',
      '2026-03-29T09:00:00+24:00',
      '2026-03-29T09:00:00+02:60',
      '1969-12-31T23:59:59Z',
      '+002026-03-29T09:00:00Z',
      '1774767600000',
      'yesterday',
      '',
      ' 2026-03-29T09:00:00Z',
      '２０２６-03-29T09:00:00Z',
    ]) {
      assert.equal(parseIsoInstant(text), null, text);
    }
  });
});

for (const { name, skip } of DIALECTS) {
  describe(`schedules API: validation and hostile input [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));
    before(async () => {
      await useSchedulesConfig(env);
      env.clock.set(NOW);
      const admin = env.ctx(env.users.admin.actor);
      await createUser(admin, { handle: 'gone', name: 'Gone', email: 'gone@example.com', role: 'responder', password: TEST_PASSWORD });
      await updateUser(admin, 'gone', { disabled: true });
    });

    const stored = async () => (await env.db.kysely.selectFrom('schedule_overrides').select('id').execute()).length;
    const audits = async () => (await env.db.kysely.selectFrom('audit_log').select('id').execute()).length;

    /** Posts an override body; asserts the refusal, that nothing was stored, and that the issue names `path`. */
    async function refused(payload: unknown, status: number, code: string, path?: string, url = '/api/v1/schedules/primary/overrides') {
      const [rows, audit] = [await stored(), await audits()];
      const res = await t.app.inject({ method: 'POST', url, headers: { ...t.auth.responder, 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
      const err = assertError(res, status, code);
      if (path !== undefined) {
        const issues = (err.details.issues ?? [{ path: err.details.field }]) as { path: string }[];
        assert.ok(
          issues.some((i) => i.path === path || i.path.startsWith(`${path}.`)),
          `${JSON.stringify(payload).slice(0, 200)}: expected an issue at ${path}, got ${JSON.stringify(err)}`,
        );
      }
      assert.equal(await stored(), rows, 'an override was stored');
      assert.equal(await audits(), audit, 'an audit row was written');
      return err;
    }

    test('the valid body really is valid', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/schedules/primary/overrides', headers: t.auth.responder, payload: VALID });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/schedules/primary/overrides/${res.json().id}`, headers: t.auth.responder })).statusCode, 204);
    });

    test('unknown, disabled and malformed users', async () => {
      const e = await refused({ ...VALID, user: 'nobody' }, 422, 'UNKNOWN_USER');
      assert.match(e.message, /user: no active user with handle "nobody"/);
      await refused({ ...VALID, user: 'gone' }, 422, 'UNKNOWN_USER');
      await refused({ ...VALID, replaces: 'nobody' }, 422, 'UNKNOWN_USER');
      await refused({ ...VALID, user: 'Dan' }, 400, 'VALIDATION_FAILED', 'user');
      await refused({ ...VALID, user: 'd' }, 400, 'VALIDATION_FAILED', 'user');
      await refused({ ...VALID, user: 'dän' }, 400, 'VALIDATION_FAILED', 'user');
      await refused({ ...VALID, user: 'x'.repeat(100_000) }, 400, 'VALIDATION_FAILED', 'user');
      await refused({ ...VALID, replaces: 'dan' }, 400, 'VALIDATION_FAILED', 'replaces');
      const { user: _u, ...noUser } = VALID;
      await refused(noUser, 400, 'VALIDATION_FAILED', 'user');
    });

    test('the reason is required, not blank, at most 1000 characters', async () => {
      const { reason: _r, ...noReason } = VALID;
      await refused(noReason, 400, 'VALIDATION_FAILED', 'reason');
      await refused({ ...VALID, reason: '' }, 400, 'VALIDATION_FAILED', 'reason');
      await refused({ ...VALID, reason: ' \t\n ' }, 400, 'VALIDATION_FAILED', 'reason');
      await refused({ ...VALID, reason: 'x'.repeat(1001) }, 400, 'VALIDATION_FAILED', 'reason');
      await refused({ ...VALID, reason: null }, 400, 'VALIDATION_FAILED', 'reason');
      await refused({ ...VALID, reason: 'a\u0000b' }, 400, 'VALIDATION_FAILED');
      await refused('{"user":"dan","start":"2026-04-08T10:00:00Z","end":"2026-04-08T12:00:00Z","reason":"lone \\ud800"}', 400, 'VALIDATION_FAILED');
    });

    test('the window: end after start, in the future, at most 90 days, starting at most an hour ago', async () => {
      const when = (start: number, end: number) => ({ ...VALID, start: iso(start), end: iso(end) });
      assert.match((await refused(when(NOW + HOUR, NOW), 400, 'VALIDATION_FAILED', 'end')).message, /end: must be after start/);
      await refused(when(NOW, NOW), 400, 'VALIDATION_FAILED', 'end');
      assert.match((await refused(when(NOW - 50 * 60_000, NOW - 1), 400, 'VALIDATION_FAILED', 'end')).message, /must be in the future/);
      assert.match((await refused(when(NOW - HOUR - 1, NOW + HOUR), 400, 'VALIDATION_FAILED', 'start')).message, /at most 1 hour in the past/);
      assert.match((await refused(when(NOW, NOW + 90 * DAY + 1), 400, 'VALIDATION_FAILED', 'end')).message, /at most 90 days/);
      await refused(when(NOW + 400 * DAY, NOW + 401 * DAY), 400, 'VALIDATION_FAILED', 'start');
      // Every problem at once.
      const both = await refused(when(NOW - 2 * HOUR, NOW - 3 * HOUR), 400, 'VALIDATION_FAILED');
      assert.deepEqual((both.details.issues as { path: string }[]).map((i) => i.path).sort(), ['end', 'end', 'start']);
      // The edges are allowed: an hour ago, exactly 90 days.
      for (const body of [when(NOW - HOUR, NOW + HOUR), when(NOW, NOW + 90 * DAY)]) {
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/schedules/primary/overrides', headers: t.auth.responder, payload: body });
        assert.equal(res.statusCode, 201, res.body);
        await t.app.inject({ method: 'DELETE', url: `/api/v1/schedules/primary/overrides/${res.json().id}`, headers: t.auth.responder });
      }
    });

    test('malformed times name the field', async () => {
      for (const bad of ['2026-04-08', '2026-04-08T10:00:00', '2026-02-30T10:00:00Z', 'tomorrow', 1775642400000, '', '2026-04-08T10:00:00Z'.padEnd(65, '0'), { $gt: '' }, ['2026-04-08T10:00:00Z']]) {
        await refused({ ...VALID, start: bad }, 400, 'VALIDATION_FAILED', 'start');
        await refused({ ...VALID, end: bad }, 400, 'VALIDATION_FAILED', 'end');
      }
      await refused({ user_a: 'bob', user_b: 'carol', a_shift: { start: 'noon', end: VALID.end }, reason: 'x' }, 400, 'VALIDATION_FAILED', 'a_shift.start', '/api/v1/schedules/primary/swaps');
      await refused({ user_a: 'bob', user_b: 'carol', a_shift: { start: VALID.start, end: VALID.end }, b_shift: { start: VALID.start }, reason: 'x' }, 400, 'VALIDATION_FAILED', 'b_shift.end', '/api/v1/schedules/primary/swaps');
    });

    test('unknown fields, prototype-pollution keys, wrong types, oversized bodies', async () => {
      assert.match((await refused({ ...VALID, is_admin: true }, 400, 'VALIDATION_FAILED')).message, /is_admin/);
      await refused({ ...VALID, id: 'ovr_mine', created_by: 'ceo', cancelled_at: null }, 400, 'VALIDATION_FAILED');
      const base = JSON.stringify(VALID).slice(1, -1);
      for (const payload of [
        `{${base},"__proto__":{"polluted":"yes","role":"admin"}}`,
        `{"__proto__":{"polluted":"yes"}}`,
        `{${base},"constructor":{"prototype":{"polluted":"yes"}}}`,
        `{"user_a":"bob","user_b":"carol","a_shift":{"start":"2026-04-08T10:00:00Z","end":"2026-04-08T12:00:00Z","__proto__":{"polluted":"yes"}},"reason":"x"}`,
      ]) {
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/schedules/primary/overrides', headers: { ...t.auth.responder, 'content-type': 'application/json' }, payload });
        assert.equal(res.statusCode, 400, res.body);
        assert.ok(['INVALID_JSON', 'VALIDATION_FAILED'].includes(res.json().error.code), res.body);
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      for (const payload of ['[]', '"a string"', '42', 'null', '{"user":', '']) await refused(payload, 400, payload.startsWith('{') || payload === '' ? 'INVALID_JSON' : 'VALIDATION_FAILED');
      await refused(JSON.stringify({ ...VALID, reason: 'x'.repeat(BODY_LIMIT) }), 413, 'PAYLOAD_TOO_LARGE');
      const ct = await t.app.inject({ method: 'POST', url: '/api/v1/schedules/primary/overrides', headers: { ...t.auth.responder, 'content-type': 'text/plain' }, payload: JSON.stringify(VALID) });
      assertError(ct, 415, 'UNSUPPORTED_MEDIA_TYPE');
      // An unknown schedule is 404 once the body is valid.
      await refused(VALID, 404, 'NOT_FOUND', undefined, '/api/v1/schedules/nope/overrides');
      await refused(VALID, 404, 'NOT_FOUND', undefined, `/api/v1/schedules/${'x'.repeat(64)}/overrides`);
      await refused(VALID, 400, 'VALIDATION_FAILED', undefined, `/api/v1/schedules/${'x'.repeat(65)}/overrides`);
    });

    test('hostile and unicode reasons are stored and returned verbatim', async () => {
      for (const reason of [
        '<script>alert(document.cookie)</script>',
        "'; DROP TABLE schedule_overrides; --",
        '${process.exit(1)} {{constructor.constructor("return process")()}}',
        'bidi \u202etxt.exe\u202c zero\u200bwidth\ufeff',
        'emoji 👩‍👩‍👧‍👦 🏳️‍🌈 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﷽ 漢字',
        'line\nbreaks\r\nand\ttabs; commas, semicolons\\backslashes',
        '𝔘'.repeat(1000),
      ]) {
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/schedules/primary/overrides', headers: t.auth.responder, payload: { ...VALID, reason } });
        assert.equal(res.statusCode, 201, res.body.slice(0, 300));
        assert.equal(res.json().reason, reason);
        const now = await t.app.inject({ method: 'GET', url: '/api/v1/schedules/primary/on-call', headers: t.auth.viewer });
        assert.equal(now.json().on_call.source.reason, reason);
        // The calendar escapes it: still one well-formed event per line structure.
        const ics = await t.app.inject({ method: 'GET', url: '/api/v1/schedules/primary/calendar.ics', headers: t.auth.viewer });
        assert.equal(ics.statusCode, 200);
        assert.doesNotMatch(ics.body.replace(/\r\n/g, ''), /[\r\n]/);
        assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/schedules/primary/overrides/${res.json().id}`, headers: t.auth.responder })).statusCode, 204);
      }
    });

    test('ranges: capped at 92 days, to after from, well-formed, no unknown parameters', async () => {
      const bad = async (url: string, pattern?: RegExp) => {
        const err = assertError(await t.app.inject({ method: 'GET', url, headers: t.auth.viewer }), 400, 'VALIDATION_FAILED');
        if (pattern) assert.match(err.message, pattern);
      };
      await bad('/api/v1/schedules/primary/shifts?from=2026-01-01T00:00:00Z&to=2026-04-03T00:00:01Z', /at most 92 days/);
      await bad('/api/v1/schedules/primary/shifts?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z', /365 days; ask for at most 92 days/);
      await bad('/api/v1/users/bob/on-call?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z', /at most 92 days/);
      await bad('/api/v1/schedules/primary/overrides?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z', /at most 92 days/);
      await bad('/api/v1/schedules/primary/shifts?from=2026-04-02T00:00:00Z&to=2026-04-01T00:00:00Z', /to: must be after from/);
      await bad('/api/v1/schedules/primary/shifts?from=2026-04-01T00:00:00Z&to=2026-04-01T00:00:00Z', /to: must be after from/);
      await bad('/api/v1/schedules/primary/shifts?from=2026-04-01', /from: must be an ISO 8601 date and time with an offset/);
      await bad('/api/v1/schedules/primary/shifts?to=soon');
      await bad('/api/v1/schedules/primary/shifts?from=2026-04-01T00:00:00Z&from=2026-04-02T00:00:00Z');
      await bad('/api/v1/schedules/primary/shifts?layers=yes');
      await bad('/api/v1/schedules/primary/shifts?limit=10');
      await bad('/api/v1/schedules/primary/on-call?at=now');
      await bad(`/api/v1/schedules/primary/on-call?at=${'9'.repeat(100)}`);
      await bad('/api/v1/schedules/primary/on-call?at=2026-04-01T00:00:00Z%00');
      await bad('/api/v1/schedules/primary/overrides?include_cancelled=1');
      await bad('/api/v1/users/bob/on-call?__proto__=x');
      // Exactly 92 days is fine.
      const ok = await t.app.inject({ method: 'GET', url: '/api/v1/schedules/primary/shifts?from=2026-01-01T00:00:00Z&to=2026-04-03T00:00:00Z', headers: t.auth.viewer });
      assert.equal(ok.statusCode, 200, ok.body);
    });
  });
}
