import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { buildApp } from '../../src/http/build-app.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createUser } from '../../src/modules/auth/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { TEST_PASSWORD, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { assertError, mintSessionCookie, rowCounts } from './support.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const HOUR = 3_600_000;

/** The session cookie a response sets, with its attributes. */
function sessionCookie(res: { headers: Record<string, unknown> }): { value: string; raw: string } {
  const header = res.headers['set-cookie'];
  const all = Array.isArray(header) ? header : [String(header ?? '')];
  const raw = all.find((c) => c.startsWith('firebreak_session='));
  assert.ok(raw, `no firebreak_session cookie in ${JSON.stringify(header)}`);
  return { value: raw.slice('firebreak_session='.length).split(';')[0], raw };
}

for (const { name, skip } of DIALECTS) {
  describe(`auth over HTTP [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    let addressSeq = 0;
    /** Each test signs in from its own address, so the per-address throttle never couples tests. */
    const address = () => `192.0.2.${++addressSeq}`;

    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));

    const login = (handle: string, password: string, extra: { headers?: Record<string, string>; remoteAddress?: string } = {}) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { handle, password }, headers: extra.headers, remoteAddress: extra.remoteAddress ?? address() });
    const me = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/me', headers });
    const auditRows = (action: string) => env.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();
    const newUser = async (handle: string, role: 'viewer' | 'responder' | 'admin' = 'responder', password = TEST_PASSWORD) =>
      (await createUser(env.ctx(), { handle, name: handle, email: `${handle}@example.com`, role, password })).user;

    test('login sets an HttpOnly, SameSite=Strict, Path=/ session cookie; only its hash is stored', async () => {
      const res = await login('viewer-user', TEST_PASSWORD);
      assert.equal(res.statusCode, 200, res.body);
      const { value, raw } = sessionCookie(res);
      assert.match(raw, /;\s*HttpOnly(;|$)/i);
      assert.match(raw, /;\s*SameSite=Strict(;|$)/i);
      assert.match(raw, /;\s*Path=\/(;|$)/);
      assert.match(raw, /;\s*Max-Age=604800(;|$)/);
      assert.doesNotMatch(raw, /;\s*Secure/i, 'public_url is http://, so no Secure flag');
      assert.ok(value.length >= 40, 'session secrets are long random strings');
      const body = res.json();
      assert.equal(body.user.handle, 'viewer-user');
      assert.equal(body.user.role, 'viewer');
      assert.equal(body.password_change_required, false);
      assert.ok(!res.body.includes(value), 'the session secret is only in the cookie');
      assert.ok(!/password_hash|scrypt\$/.test(res.body), 'a password hash was returned');
      // The cookie works, and the database holds its hash, never the secret itself.
      assert.equal((await me({ cookie: `firebreak_session=${value}` })).json().handle, 'viewer-user');
      const sessions = await env.db.kysely.selectFrom('sessions').selectAll().execute();
      assert.ok(sessions.some((s) => s.id_hash === sha256(value)), 'no session row holds the hash of the cookie');
      assert.ok(!JSON.stringify(sessions).includes(value), 'the sessions table holds a plaintext secret');
      assert.equal((await auditRows('auth.login')).filter((r) => r.actor_name === 'viewer-user').length >= 1, true);
    });

    test('a user declared in the config (no password) gets a one-time password from an admin, and must change it', async () => {
      const { syncConfiguredUsers } = await import('../../src/modules/auth/index.ts');
      await syncConfiguredUsers({ db: env.db, config: env.config, clock: env.clock, requestId: 't' });
      assert.equal((await login('alice', 'anything at all')).statusCode, 401, 'no password: cannot sign in');
      const viewerTry = await t.app.inject({ method: 'POST', url: '/api/v1/users/alice/reset-password', headers: t.auth.viewer });
      assert.equal(viewerTry.statusCode, 403);
      const reset = await t.app.inject({ method: 'POST', url: '/api/v1/users/alice/reset-password', headers: t.auth.admin });
      assert.equal(reset.statusCode, 200, reset.body);
      const { generated_password: password, user } = reset.json();
      assert.equal(user.must_change_password, true);
      const signedIn = await login('alice', password);
      assert.equal(signedIn.statusCode, 200);
      assert.equal(signedIn.json().password_change_required, true);
      const audit = await env.db.kysely.selectFrom('audit_log').select('data').where('action', '=', 'user.password_reset').execute();
      assert.equal(audit.length, 1);
      assert.ok(!audit[0].data.includes(password), 'the password is never audited');
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/users/nobody-here/reset-password', headers: t.auth.admin })).statusCode, 404);
    });

    test('with an https public URL the cookie is also Secure', async () => {
      const original = env.config.current;
      env.config.current = { ...original, organisation: { ...original.organisation, public_url: 'https://firebreak.example' } };
      try {
        const res = await login('viewer-user', TEST_PASSWORD);
        assert.equal(res.statusCode, 200, res.body);
        assert.match(sessionCookie(res).raw, /;\s*Secure(;|$)/i);
      } finally {
        env.config.current = original;
      }
    });

    test('a stale session cookie or dead token never blocks signing in', async () => {
      const stale: Record<string, string>[] = [{ cookie: 'firebreak_session=stale-and-unknown' }, { authorization: 'Bearer fbk_revoked_or_unknown' }, { authorization: 'Basic dXNlcjpwYXNz' }];
      for (const headers of stale) {
        const res = await login('viewer-user', TEST_PASSWORD, { headers });
        assert.equal(res.statusCode, 200, `${JSON.stringify(headers)}: ${res.body}`);
        // And public routes stay public.
        assert.equal((await t.app.inject({ method: 'GET', url: '/healthz', headers })).statusCode, 200);
      }
      // On a protected route the same credentials are refused, not ignored.
      assertError(await me({ cookie: 'firebreak_session=stale-and-unknown' }), 401, 'UNAUTHENTICATED');
      assertError(await me({ authorization: 'Bearer fbk_revoked_or_unknown' }), 401, 'UNAUTHENTICATED');
    });

    test('wrong password, unknown handle and disabled user answer alike, and each is audited', async () => {
      const disabled = await newUser('disabled-login');
      await env.db.kysely.updateTable('users').set({ disabled_at: env.clock.now() }).where('id', '=', disabled.id).execute();
      const before = (await auditRows('auth.login_failed')).length;
      const wrong = await login('viewer-user', 'not the right password');
      const unknown = await login('no-such-user', 'not the right password');
      const off = await login('disabled-login', TEST_PASSWORD);
      for (const res of [wrong, unknown, off]) {
        assertError(res, 401, 'UNAUTHENTICATED');
        assert.equal(res.headers['set-cookie'], undefined);
      }
      assert.deepEqual(wrong.json(), unknown.json());
      assert.deepEqual(wrong.json(), off.json());
      const rows = (await auditRows('auth.login_failed')).slice(before);
      assert.deepEqual(
        rows.map((r) => JSON.parse(r.data).handle),
        ['viewer-user', 'no-such-user', 'disabled-login'],
      );
      for (const r of rows) {
        assert.equal(r.actor_type, 'anonymous');
        assert.ok(!r.data.includes('not the right password') && !r.data.includes(TEST_PASSWORD), 'passwords never reach the audit log');
      }
    });

    test('the 11th failing attempt within 5 minutes is 429 RATE_LIMITED with retry-after', async () => {
      await newUser('throttled-user');
      const from = address();
      for (let i = 1; i <= 10; i++) assertError(await login('throttled-user', `wrong password ${i}`, { remoteAddress: from }), 401, 'UNAUTHENTICATED');
      const limited = await login('throttled-user', 'wrong password 11', { remoteAddress: from });
      const err = assertError(limited, 429, 'RATE_LIMITED');
      const retryAfter = Number(limited.headers['retry-after']);
      assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 300, `retry-after ${limited.headers['retry-after']}`);
      assert.equal(err.details.retry_after, retryAfter);
      // The throttle is per handle: the right password from elsewhere is refused too, without checking it...
      assertError(await login('throttled-user', TEST_PASSWORD), 429, 'RATE_LIMITED');
      assert.ok((await auditRows('auth.login_throttled')).some((r) => JSON.parse(r.data).handle === 'throttled-user'), 'throttling was not audited');
      // ...while other handles are unaffected, even from the same address.
      assert.equal((await login('viewer-user', TEST_PASSWORD, { remoteAddress: from })).statusCode, 200);
      // After the window the handle may try again.
      env.clock.advance(5 * 60_000);
      assert.equal((await login('throttled-user', TEST_PASSWORD)).statusCode, 200);
    });

    test('logout ends the session and clears the cookie', async () => {
      const res = await login('responder-user', TEST_PASSWORD);
      const cookie = { cookie: `firebreak_session=${sessionCookie(res).value}` };
      assert.equal((await me(cookie)).statusCode, 200);
      const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: cookie });
      assert.equal(out.statusCode, 204, out.body);
      assert.equal(out.body, '');
      const cleared = sessionCookie(out);
      assert.equal(cleared.value, '');
      assert.match(cleared.raw, /Max-Age=0|Expires=Thu, 01 Jan 1970/i);
      assertError(await me(cookie), 401, 'UNAUTHENTICATED');
      const rows = await env.db.kysely.selectFrom('sessions').select('id_hash').where('id_hash', '=', sha256(sessionCookie(res).value)).execute();
      assert.equal(rows.length, 0);
      // Logging out with an API token is harmless and leaves the token working.
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: t.auth.token })).statusCode, 204);
      assert.equal((await me(t.auth.token)).statusCode, 200);
    });

    test('sessions expire after 12 idle hours, and use slides the idle window', async () => {
      const start = env.clock.now();
      try {
        const cookie = await mintSessionCookie(env, env.users.viewer.id);
        env.clock.advance(11 * HOUR);
        assert.equal((await me(cookie)).statusCode, 200);
        env.clock.advance(11 * HOUR);
        assert.equal((await me(cookie)).statusCode, 200, 'the first use slid the idle timeout');
        env.clock.advance(12 * HOUR + 60_000);
        assertError(await me(cookie), 401, 'UNAUTHENTICATED');
      } finally {
        env.clock.set(start);
      }
    });

    test("a disabled user's sessions and tokens stop working", async () => {
      await newUser('soon-disabled', 'responder');
      const session = { cookie: `firebreak_session=${sessionCookie(await login('soon-disabled', TEST_PASSWORD)).value}` };
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.auth.admin, payload: { name: 'bot', user: 'soon-disabled' } });
      assert.equal(created.statusCode, 201, created.body);
      const token = { authorization: `Bearer ${created.json().token}` };
      assert.equal((await me(session)).statusCode, 200);
      assert.equal((await me(token)).statusCode, 200);
      const off = await t.app.inject({ method: 'PATCH', url: '/api/v1/users/soon-disabled', headers: t.auth.admin, payload: { disabled: true } });
      assert.equal(off.statusCode, 200, off.body);
      assert.equal(off.json().disabled, true);
      assertError(await me(session), 401, 'UNAUTHENTICATED');
      assertError(await me(token), 401, 'UNAUTHENTICATED');
      assertError(await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: token, payload: { title: 'x', severity: 'P3' } }), 401, 'UNAUTHENTICATED');
      assertError(await login('soon-disabled', TEST_PASSWORD), 401, 'UNAUTHENTICATED');
      // Re-enabling does not bring the old session back.
      await t.app.inject({ method: 'PATCH', url: '/api/v1/users/soon-disabled', headers: t.auth.admin, payload: { disabled: false } });
      assertError(await me(session), 401, 'UNAUTHENTICATED');
    });

    test('POST /tokens shows the secret once; lists, logs and the table never hold it', async () => {
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.auth.admin, payload: { name: 'deploy-bot', scopes: ['read', 'write'] } });
      assert.equal(created.statusCode, 201, created.body);
      const view = created.json();
      const secret: string = view.token;
      assert.match(secret, /^fbk_[A-Za-z0-9_-]{40,}$/);
      assert.equal(view.prefix, secret.slice(0, 12));
      assert.equal(view.user, 'admin-user');
      assert.deepEqual(view.scopes, ['read', 'write']);
      assert.equal(view.revoked_at, null);
      // It works.
      assert.equal((await me({ authorization: `Bearer ${secret}` })).json().handle, 'admin-user');
      // Listing never shows it, however often.
      for (let i = 0; i < 2; i++) {
        const list = await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: t.auth.admin });
        assert.equal(list.statusCode, 200);
        assert.ok(!list.body.includes(secret) && !list.body.includes(secret.slice(12)), 'GET /tokens leaked a secret');
        const entry = list.json().data.find((x: { id: string }) => x.id === view.id);
        assert.ok(entry, 'the new token is not listed');
        assert.equal(entry.token, undefined);
        assert.equal(entry.prefix, view.prefix);
        assert.ok(entry.last_used_at, 'use is recorded');
      }
      // The table holds a SHA-256 of it, never the plaintext (nor the part after the prefix).
      const rows = await env.db.kysely.selectFrom('api_tokens').selectAll().execute();
      const row = rows.find((r) => r.id === view.id)!;
      assert.equal(row.token_hash, sha256(secret));
      assert.ok(!JSON.stringify(rows).includes(secret.slice(12)), 'api_tokens holds a plaintext secret');
      const audit = await env.db.kysely.selectFrom('audit_log').select('data').execute();
      assert.ok(!JSON.stringify(audit).includes(secret.slice(12)), 'audit log holds a token secret');
    });

    test('revoked and expired tokens → 401; malformed credentials → 401', async () => {
      const make = async (payload: object) => {
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.auth.admin, payload });
        assert.equal(res.statusCode, 201, res.body);
        return res.json() as { id: string; token: string; expires_at: string | null };
      };
      const revoked = await make({ name: 'to-revoke' });
      const bearer = (s: string) => ({ authorization: `Bearer ${s}` });
      assert.equal((await me(bearer(revoked.token))).statusCode, 200);
      assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${revoked.id}`, headers: t.auth.admin })).statusCode, 204);
      assertError(await me(bearer(revoked.token)), 401, 'UNAUTHENTICATED');
      // Revoking again is a no-op; the list shows when.
      assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${revoked.id}`, headers: t.auth.admin })).statusCode, 204);
      const list = await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: t.auth.admin });
      assert.ok(list.json().data.find((x: { id: string }) => x.id === revoked.id).revoked_at, 'revoked_at is not shown');

      const expiring = await make({ name: 'short-lived', expires_in_days: 1 });
      assert.equal(Date.parse(expiring.expires_at!), env.clock.now() + 24 * HOUR);
      assert.equal((await me(bearer(expiring.token))).statusCode, 200);
      const start = env.clock.now();
      try {
        env.clock.advance(24 * HOUR - 1);
        assert.equal((await me(bearer(expiring.token))).statusCode, 200);
        env.clock.advance(1);
        assertError(await me(bearer(expiring.token)), 401, 'UNAUTHENTICATED');
      } finally {
        env.clock.set(start);
      }

      for (const authorization of ['Bearer', 'Bearer ', 'Bearer fbk_', 'Bearer fbk_unknown', `Bearer ${revoked.token} extra`, `Bearer fbk_${'a'.repeat(500)}`, 'Basic YWRtaW46cGFzcw==', 'Token abc', revoked.token]) {
        assertError(await me({ authorization }), 401, 'UNAUTHENTICATED');
      }
      for (const cookie of ['firebreak_session=', `firebreak_session=${'a'.repeat(500)}`, 'firebreak_session=%00%01']) {
        const res = await me({ cookie });
        assert.ok(res.statusCode === 401, `${cookie}: ${res.statusCode} ${res.body}`);
      }
    });

    test("a token never exceeds its user's role, whatever its scopes", async () => {
      await newUser('scoped-responder', 'responder');
      const make = async (user: string, scopes: string[]) => {
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.auth.admin, payload: { name: `${user}-${scopes.join('+')}`, user, scopes } });
        assert.equal(res.statusCode, 201, res.body);
        return { authorization: `Bearer ${res.json().token}` };
      };
      const responderAdmin = await make('scoped-responder', ['admin']);
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: responderAdmin }), 403, 'FORBIDDEN');
      assertError(await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: responderAdmin, payload: { handle: 'escalated', name: 'x', email: 'x@example.com', role: 'admin' } }), 403, 'FORBIDDEN');
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: responderAdmin, payload: { title: 'by capped token', severity: 'P3' } })).statusCode, 201);

      const viewerAll = await make('viewer-user', ['read', 'write', 'admin']);
      assertError(await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: viewerAll, payload: { title: 'nope', severity: 'P3' } }), 403, 'FORBIDDEN');
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/incidents', headers: viewerAll })).statusCode, 200);

      const adminRead = await make('admin-user', ['read']);
      assertError(await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: adminRead, payload: { title: 'nope', severity: 'P3' } }), 403, 'FORBIDDEN');

      // Demoting the user demotes the token at once.
      const demote = await t.app.inject({ method: 'PATCH', url: '/api/v1/users/scoped-responder', headers: t.auth.admin, payload: { role: 'viewer' } });
      assert.equal(demote.statusCode, 200, demote.body);
      assertError(await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: responderAdmin, payload: { title: 'after demotion', severity: 'P3' } }), 403, 'FORBIDDEN');
    });

    test('cookie-authenticated unsafe requests from another site → 403 CSRF_REJECTED; API tokens are unaffected', async () => {
      const cookie = await mintSessionCookie(env, env.users.admin.id);
      const create = (headers: Record<string, string>) => t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers, payload: { title: 'csrf probe', severity: 'P3' } });
      const hostiles: Record<string, string>[] = [{ origin: 'https://evil.example' }, { origin: 'null' }, { origin: 'http://localhost:8080.evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'http://localhost:8080', 'sec-fetch-site': 'cross-site' }];
      for (const hostile of hostiles) {
        const before = await rowCounts(env);
        assertError(await create({ ...cookie, ...hostile }), 403, 'CSRF_REJECTED');
        assertError(await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: { ...cookie, ...hostile }, payload: { name: 'csrf' } }), 403, 'CSRF_REJECTED');
        assertError(await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { ...cookie, ...hostile }, payload: { handle: 'csrf-made', name: 'x', email: 'x@example.com', role: 'admin' } }), 403, 'CSRF_REJECTED');
        assertError(await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { ...cookie, ...hostile } }), 403, 'CSRF_REJECTED');
        assert.deepEqual(await rowCounts(env), before, `${JSON.stringify(hostile)} stored something`);
        // Reads are fine cross-site (SameSite=Strict keeps the cookie off them in browsers anyway).
        assert.equal((await me({ ...cookie, ...hostile })).statusCode, 200);
        // The same hostile headers with an API token: no ambient authority, so no CSRF check.
        assert.equal((await create({ ...t.auth.token, ...hostile })).statusCode, 201);
      }
      // Our own origin, same-origin fetches and user-initiated navigation are accepted.
      const friendlies: Record<string, string>[] = [{ origin: 'http://localhost:8080' }, { 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }, { origin: 'http://localhost:80' }, {}];
      for (const friendly of friendlies) {
        assert.equal((await create({ ...cookie, ...friendly })).statusCode, 201, JSON.stringify(friendly));
      }
      assert.equal((await me(cookie)).statusCode, 200, 'the refused logout did not end the session');
    });

    test('users API: generated password once, duplicate handles, no self-demotion', async () => {
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.auth.admin, payload: { handle: 'new-hire', name: 'New Hire', email: 'hire@example.com', role: 'responder' } });
      assert.equal(created.statusCode, 201, created.body);
      const { user, generated_password: generated } = created.json();
      assert.equal(typeof generated, 'string');
      assert.ok(generated.length >= 16, `generated password too short: ${generated.length}`);
      assert.equal(user.must_change_password, true);
      assert.equal(user.role, 'responder');
      const fetched = await t.app.inject({ method: 'GET', url: '/api/v1/users/new-hire', headers: t.auth.viewer });
      assert.equal(fetched.statusCode, 200);
      const users = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: t.auth.viewer });
      for (const res of [fetched, users]) {
        assert.ok(!res.body.includes(generated), 'the generated password is shown once only');
        assert.ok(!/password_hash|scrypt\$/.test(res.body), 'a password hash was returned');
      }
      const signedIn = await login('new-hire', generated);
      assert.equal(signedIn.statusCode, 200, signedIn.body);
      assert.equal(signedIn.json().password_change_required, true);
      const audit = await env.db.kysely.selectFrom('audit_log').select('data').execute();
      assert.ok(!JSON.stringify(audit).includes(generated), 'the audit log holds the generated password');

      const withPassword = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.auth.admin, payload: { handle: 'chosen-pw', name: 'C', email: 'c@example.com', password: 'a chosen long password' } });
      assert.equal(withPassword.statusCode, 201, withPassword.body);
      assert.equal(withPassword.json().generated_password, null);
      assert.equal(withPassword.json().user.must_change_password, false);
      assert.equal(withPassword.json().user.role, 'responder', 'role defaults to responder');

      const before = await rowCounts(env);
      const dup = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.auth.admin, payload: { handle: 'new-hire', name: 'Other', email: 'other@example.com' } });
      assertError(dup, 409, 'CONFLICT');
      assert.match(dup.json().error.message, /new-hire/);
      assert.deepEqual(await rowCounts(env), before, 'a refused duplicate stores nothing');
      assertError(await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.auth.admin, payload: { handle: 'Bad Handle', name: 'x', email: 'x@example.com' } }), 400, 'VALIDATION_FAILED');
      assertError(await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.auth.admin, payload: { handle: 'short-pw', name: 'x', email: 'x@example.com', password: 'short' } }), 400, 'VALIDATION_FAILED');

      // An admin cannot demote or disable themselves, by session or by token.
      const adminToken = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.auth.admin, payload: { name: 'self', scopes: ['admin'] } });
      for (const headers of [t.auth.admin, { authorization: `Bearer ${adminToken.json().token}` }]) {
        for (const payload of [{ role: 'responder' }, { role: 'viewer' }, { disabled: true }]) {
          assertError(await t.app.inject({ method: 'PATCH', url: '/api/v1/users/admin-user', headers, payload }), 409, 'CONFLICT');
        }
      }
      assert.equal((await me(t.auth.admin)).json().role, 'admin');
      const harmless = await t.app.inject({ method: 'PATCH', url: '/api/v1/users/admin-user', headers: t.auth.admin, payload: { role: 'admin', name: 'Still Admin' } });
      assert.equal(harmless.statusCode, 200, harmless.body);
      assert.equal(harmless.json().name, 'Still Admin');
      // But may change others.
      const promoted = await t.app.inject({ method: 'PATCH', url: '/api/v1/users/new-hire', headers: t.auth.admin, payload: { role: 'admin' } });
      assert.equal(promoted.json().role, 'admin');
      assertError(await t.app.inject({ method: 'PATCH', url: '/api/v1/users/nobody-here', headers: t.auth.admin, payload: { name: 'x' } }), 404, 'NOT_FOUND');
    });

    test('/me and /me/password', async () => {
      const mine = await me(t.auth.viewer);
      assert.equal(mine.statusCode, 200);
      assert.equal(mine.json().handle, 'viewer-user');
      assert.equal(mine.json().role, 'viewer');
      assert.deepEqual(Object.keys(mine.json()).filter((k) => /hash|secret|^password$/.test(k)), []);
      assert.ok(!mine.body.includes('scrypt$'), mine.body);
      assertError(await me({}), 401, 'UNAUTHENTICATED');

      const patched = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: t.auth.viewer, payload: { name: 'Vera Viewer', time_zone: 'Europe/Berlin', email: 'vera@example.com' } });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal(patched.json().name, 'Vera Viewer');
      assert.equal(patched.json().time_zone, 'Europe/Berlin');
      assert.equal((await me(t.auth.viewer)).json().email, 'vera@example.com');
      // Nobody promotes themselves through /me.
      for (const payload of [{ role: 'admin' }, { disabled: false }, { handle: 'admin-user' }]) {
        assertError(await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: t.auth.viewer, payload }), 400, 'VALIDATION_FAILED');
      }
      assert.equal((await me(t.auth.viewer)).json().role, 'viewer');
      assertError(await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: t.auth.viewer, payload: { time_zone: 'Mars/Olympus' } }), 400, 'VALIDATION_FAILED');

      await newUser('pw-changer', 'viewer');
      const otherDevice = { cookie: `firebreak_session=${sessionCookie(await login('pw-changer', TEST_PASSWORD)).value}` };
      const cookie = { cookie: `firebreak_session=${sessionCookie(await login('pw-changer', TEST_PASSWORD)).value}` };
      const change = (payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/me/password', headers: cookie, payload });
      assertError(await change({ current_password: 'not my password', new_password: 'a brand new password' }), 403, 'FORBIDDEN');
      assertError(await change({ current_password: TEST_PASSWORD, new_password: 'short' }), 400, 'VALIDATION_FAILED');
      assertError(await change({ new_password: 'a brand new password' }), 400, 'VALIDATION_FAILED');
      const ok = await change({ current_password: TEST_PASSWORD, new_password: 'a brand new password' });
      assert.equal(ok.statusCode, 204, ok.body);
      assert.equal(ok.body, '');
      // The session that changed the password goes on; every other session of that user ends.
      assert.equal((await me(cookie)).statusCode, 200, 'the changing session was ended');
      assertError(await me(otherDevice), 401, 'UNAUTHENTICATED');
      assertError(await login('pw-changer', TEST_PASSWORD), 401, 'UNAUTHENTICATED');
      assert.equal((await login('pw-changer', 'a brand new password')).statusCode, 200);
      const audit = await auditRows('user.password_changed');
      assert.equal(audit.length, 1);
      assert.ok(!audit[0].data.includes('a brand new password'), 'the audit log holds a password');
    });

    test('secrets never appear in the logs, even at trace level', async () => {
      const lines: string[] = [];
      const logger = createLogger({ level: 'trace', destination: { write: (s: string) => void lines.push(s) } });
      const { app } = await buildApp({ db: env.db, config: env.config, clock: env.clock, logger, version: 'test' });
      await app.ready();
      const secrets: string[] = [TEST_PASSWORD];
      const req = (opts: InjectOptions) => app.inject(opts);
      try {
        const signIn = await req({ method: 'POST', url: '/api/v1/auth/login', payload: { handle: 'admin-user', password: TEST_PASSWORD }, remoteAddress: address() });
        assert.equal(signIn.statusCode, 200, signIn.body);
        const cookieValue = sessionCookie(signIn).value;
        secrets.push(cookieValue);
        const cookie = { cookie: `firebreak_session=${cookieValue}` };

        const wrongPassword = 'a wrong password that must stay secret';
        secrets.push(wrongPassword);
        assert.equal((await req({ method: 'POST', url: '/api/v1/auth/login', payload: { handle: 'admin-user', password: wrongPassword }, remoteAddress: address() })).statusCode, 401);

        const tok = await req({ method: 'POST', url: '/api/v1/tokens', headers: cookie, payload: { name: 'log-probe', scopes: ['read', 'write', 'admin'] } });
        assert.equal(tok.statusCode, 201, tok.body);
        const token: string = tok.json().token;
        secrets.push(token, token.slice(12));
        const bearer = { authorization: `Bearer ${token}` };

        const chosen = 'chosen password for the log probe';
        secrets.push(chosen);
        assert.equal((await req({ method: 'POST', url: '/api/v1/users', headers: bearer, payload: { handle: 'log-chosen', name: 'x', email: 'x@example.com', password: chosen } })).statusCode, 201);
        const gen = await req({ method: 'POST', url: '/api/v1/users', headers: cookie, payload: { handle: 'log-generated', name: 'y', email: 'y@example.com' } });
        assert.equal(gen.statusCode, 201, gen.body);
        const generated: string = gen.json().generated_password;
        secrets.push(generated);

        const second = await req({ method: 'POST', url: '/api/v1/auth/login', payload: { handle: 'log-generated', password: generated }, remoteAddress: address() });
        assert.equal(second.statusCode, 200, second.body);
        const secondCookie = sessionCookie(second).value;
        secrets.push(secondCookie);
        const replaced = 'the replacement password';
        secrets.push(replaced);
        const pw = await req({ method: 'POST', url: '/api/v1/me/password', headers: { cookie: `firebreak_session=${secondCookie}` }, payload: { current_password: generated, new_password: replaced } });
        assert.equal(pw.statusCode, 204, pw.body);

        for (const headers of [cookie, bearer]) {
          assert.equal((await req({ method: 'GET', url: '/api/v1/me', headers })).statusCode, 200);
          assert.equal((await req({ method: 'POST', url: '/api/v1/incidents', headers, payload: { title: 'log probe', severity: 'P3' } })).statusCode, 201);
          assert.equal((await req({ method: 'GET', url: '/api/v1/tokens', headers })).statusCode, 200);
        }
        // Failures carrying credentials: a dead token, a refused cross-site post, a bad body.
        assert.equal((await req({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}x` } })).statusCode, 401);
        assert.equal((await req({ method: 'POST', url: '/api/v1/incidents', headers: { ...cookie, origin: 'https://evil.example' }, payload: {} })).statusCode, 403);
        assert.equal((await req({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: `{"handle":"admin-user","password":"${TEST_PASSWORD}"`, remoteAddress: address() })).statusCode, 400);
        assert.equal((await req({ method: 'POST', url: '/api/v1/auth/logout', headers: cookie })).statusCode, 204);
      } finally {
        await app.close();
      }
      const log = lines.join('');
      // Guard against a vacuous pass: the requests really were logged.
      assert.ok(lines.length >= 20, `only ${lines.length} log lines`);
      assert.match(log, /incoming request/);
      assert.match(log, /request completed/);
      for (const secret of secrets) assert.ok(!log.includes(secret), `a secret (${secret.slice(0, 6)}…) appears in the log`);
      assert.doesNotMatch(log, /fbk_[A-Za-z0-9_-]{20,}/, 'something token-shaped was logged');
      assert.doesNotMatch(log, /firebreak_session=/);
      assert.doesNotMatch(log, /scrypt\$/);
    });
  });
}
