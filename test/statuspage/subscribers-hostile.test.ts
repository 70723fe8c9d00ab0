import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { confirmToken, subscriptionKey, unsubscribeToken } from '../../src/modules/statuspage/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { postForm, subscriberByAddress, subscriberFixture, type SubscriberFixture } from './subscribers-kit.ts';

/**
 * What strangers can send the public subscription routes: malformed and oversized forms, header
 * injection in the address, unknown components, forged, expired and misused tokens, too many
 * requests, a kind the config turns off. Each is refused with a stable code, nothing is stored or
 * queued, and nothing they sent comes back into HTML unescaped.
 */
for (const { name: dialect, skip } of DIALECTS) {
  describe(`status page subscribers: hostile input (${dialect})`, { skip }, () => {
    let f: SubscriberFixture;
    let ip = 0;
    /** A fresh client address per request, so the rate limit stays out of cases that are not about it. */
    const nextIp = () => `192.0.2.${(ip = (ip % 250) + 1)}`;
    before(async () => {
      f = await subscriberFixture(dialect, import.meta.url);
    });
    after(() => f?.close());
    beforeEach(() => f.reset());

    const counts = async () => {
      const n = async (table: 'status_subscribers' | 'notifications' | 'audit_log') => Number((await f.env.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      return { subscribers: await n('status_subscribers'), notifications: await n('notifications'), audit: await n('audit_log') };
    };
    /** Sends, expects a refusal with `status` and `code` (HTML notice for forms, JSON error otherwise), and proves nothing changed. */
    async function refused(send: () => Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>, status: number, code: string) {
      const before = await counts();
      const res = await send();
      assert.equal(res.statusCode, status, res.body.slice(0, 500));
      if (String(res.headers['content-type']).startsWith('text/html')) assert.ok(res.body.includes(`error code ${code}`), res.body.slice(0, 800));
      else assert.equal(JSON.parse(res.body).error.code, code, res.body);
      assert.deepEqual(await counts(), before, 'a refused request stored something');
      return res;
    }
    const json = (payload: unknown, headers: Record<string, string> = {}) =>
      f.t.app.inject({ method: 'POST', url: '/status/subscribe', payload: typeof payload === 'string' ? payload : JSON.stringify(payload), remoteAddress: nextIp(), headers: { 'content-type': 'application/json', ...headers } });

    it('malformed forms and bodies → 400/415 with a stable code; hostile text comes back escaped', async () => {
      for (const form of ['', 'foo=bar', 'kind=sms&email=a%40example.com', 'kind=email', 'kind=webhook', 'email=a%40example.com&url=http%3A%2F%2Fexample.com%2F', 'kind=email&email=a%40example.com&email=b%40example.com', '%E0%A4%A&email']) {
        await refused(() => postForm(f.t, '/status/subscribe', form, nextIp()), 400, 'VALIDATION_FAILED');
      }
      const res = await refused(() => postForm(f.t, '/status/subscribe', [['email', 'a@example.com'], ['<script>alert(1)</script>', 'x']], nextIp()), 400, 'VALIDATION_FAILED');
      assert.ok(!res.body.includes('<script>alert(1)</script>'));
      assert.ok(res.body.includes('&lt;script&gt;') || res.body.includes('&#60;script&#62;'), res.body);
      for (const payload of ['[]', '"a string"', '42', '{"kind": {"nested": true}}', '{"email": ["a@example.com"]}', '{"email": "a@example.com", "is_admin": true}']) {
        await refused(() => json(payload), 400, 'VALIDATION_FAILED');
      }
      for (const payload of ['{"email":', "{'email': 1}", '{"__proto__": {"polluted": 1}}']) await refused(() => json(payload), 400, 'INVALID_JSON');
      for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/xml']) {
        await refused(() => f.t.app.inject({ method: 'POST', url: '/status/subscribe', payload: 'email=a@example.com', remoteAddress: nextIp(), headers: { 'content-type': type } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('bodies over 8 KB → 413, as a form or as JSON', async () => {
      const big = `email=a%40example.com&components=${'x'.repeat(9000)}`;
      await refused(() => postForm(f.t, '/status/subscribe', big, nextIp()), 413, 'PAYLOAD_TOO_LARGE');
      await refused(() => json({ email: 'a@example.com', components: 'x'.repeat(9000) }), 413, 'PAYLOAD_TOO_LARGE');
      const unsubscribe = `/status/subscriptions/sub_x/unsubscribe?token=x`;
      await refused(() => postForm(f.t, unsubscribe, `List-Unsubscribe=One-Click&pad=${'x'.repeat(9000)}`, nextIp()), 413, 'PAYLOAD_TOO_LARGE');
    });

    it('email addresses: header injection, display names, lists and oversize are refused; a plain address is lower-cased', async () => {
      const bad = [
        'a@example.com\r\nBcc: victim@evil.example',
        'a@example.com\nSubject: hi',
        'a@example.com\r',
        'a@exa\u2028mple.com',
        '"Evil" <a@example.com>',
        'Alice <a@example.com>',
        '<a@example.com>',
        'a@example.com, b@example.com',
        'a@example.com;b@example.com',
        'a b@example.com',
        'a@@example.com',
        '@example.com',
        'a@',
        'a@localhost',
        'a@example',
        'a..b@example.com',
        '.a@example.com',
        'a@[127.0.0.1]',
        'a(comment)@example.com',
        `${'x'.repeat(65)}@example.com`,
        `a@${'x'.repeat(250)}.com`,
      ];
      for (const email of bad) {
        const res = await refused(() => json({ kind: 'email', email }), 400, 'VALIDATION_FAILED');
        assert.equal(JSON.parse(res.body).error.details.issues[0].path, 'email', email);
        assert.ok(!res.body.includes('evil.example'), 'the address is not echoed');
        await refused(() => postForm(f.t, '/status/subscribe', [['email', email]], nextIp()), 400, 'VALIDATION_FAILED');
      }
      const ok = await json({ email: '  Some.One+Status@Example.COM ' }, { accept: 'application/json' });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.ok(await subscriberByAddress(f.env, 'some.one+status@example.com'));
    });

    it('webhook URLs: only http(s), no credentials, at most 2000 characters', async () => {
      for (const url of ['ftp://example.com/x', 'javascript:alert(1)', 'file:///etc/passwd', 'http://user:pass@example.com/x', 'https://token@example.com/', 'not a url', 'http://exa\tmple.com/', `https://example.com/${'x'.repeat(2000)}`, '']) {
        const res = await refused(() => json({ kind: 'webhook', url }), 400, 'VALIDATION_FAILED');
        assert.equal(JSON.parse(res.body).error.details.issues[0].path, 'url', url);
      }
    });

    it('unknown components are refused, listed (escaped in HTML); groups are not leaf components', async () => {
      const res = await refused(() => json({ email: 'c@example.com', components: ['api', '<b>nope</b>', 'platform'] }), 400, 'VALIDATION_FAILED');
      assert.deepEqual(JSON.parse(res.body).error.details.unknown_components, ['<b>nope</b>', 'platform']);
      const html = await refused(() => postForm(f.t, '/status/subscribe', [['email', 'c@example.com'], ['components', '<img src=x onerror=alert(1)>']], nextIp()), 400, 'VALIDATION_FAILED');
      assert.ok(!html.body.includes('<img src=x'), html.body);
      // Empty choices mean every component.
      const all = await postForm(f.t, '/status/subscribe', [['email', 'all@example.com'], ['components', '']], nextIp());
      assert.equal(all.statusCode, 200, all.body);
      assert.equal((await subscriberByAddress(f.env, 'all@example.com'))!.components, null);
    });

    it('confirm and unsubscribe links: missing, garbled, forged, misused and expired tokens → 400 notice, nothing changes', async () => {
      await postForm(f.t, '/status/subscribe', [['email', 'tok@example.com']], nextIp());
      await postForm(f.t, '/status/subscribe', [['email', 'other@example.com']], nextIp());
      const sub = (await subscriberByAddress(f.env, 'tok@example.com'))!;
      const other = (await subscriberByAddress(f.env, 'other@example.com'))!;
      const key = await subscriptionKey(f.env.ctx());
      const now = f.env.clock.now();
      const good = confirmToken(key, sub.id, now + 3_600_000);
      const badConfirm = [
        '',
        '?token=',
        '?token=garbage',
        `?token=${confirmToken(key, other.id, now + 3_600_000)}`,
        `?token=${unsubscribeToken(key, sub.id)}`,
        `?token=${good.replace(/^[0-9a-z]+/, (now + 9e9).toString(36))}`,
        `?token=${good}&token=${good}`,
        `?token=${confirmToken(Buffer.alloc(32, 1), sub.id, now + 3_600_000)}`,
        `?token=%3Cscript%3Ealert(1)%3C%2Fscript%3E`,
      ];
      for (const q of badConfirm) {
        const res = await refused(() => f.t.app.inject({ method: 'GET', url: `/status/subscriptions/${sub.id}/confirm${q}` }), 400, 'VALIDATION_FAILED');
        assert.match(String(res.headers['content-type']), /^text\/html/);
        assert.ok(!res.body.includes('<script>alert'), res.body);
      }
      await refused(() => f.t.app.inject({ method: 'GET', url: `/status/subscriptions/sub_nobody/confirm?token=${good}` }), 400, 'VALIDATION_FAILED');
      // Expired: valid until now + 1 h; an hour later it says so.
      f.env.clock.advance(3_600_000);
      const expired = await refused(() => f.t.app.inject({ method: 'GET', url: `/status/subscriptions/${sub.id}/confirm?token=${good}` }), 400, 'VALIDATION_FAILED');
      assert.match(expired.body, /expired/);
      assert.equal((await subscriberByAddress(f.env, 'tok@example.com'))!.confirmed_at, null);

      const badUnsubscribe = ['', '?token=x', `?token=${unsubscribeToken(key, other.id)}`, `?token=${good}`];
      for (const q of badUnsubscribe) {
        await refused(() => f.t.app.inject({ method: 'GET', url: `/status/subscriptions/${sub.id}/unsubscribe${q}` }), 400, 'VALIDATION_FAILED');
        await refused(() => postForm(f.t, `/status/subscriptions/${sub.id}/unsubscribe${q}`, 'List-Unsubscribe=One-Click', nextIp()), 400, 'VALIDATION_FAILED');
        await refused(() => f.t.app.inject({ method: 'POST', url: `/status/subscriptions/${sub.id}/unsubscribe${q}`, payload: { token: 'nope' }, headers: { accept: 'application/json' } }), 400, 'VALIDATION_FAILED');
      }
      assert.equal((await subscriberByAddress(f.env, 'tok@example.com'))!.unsubscribed_at, null);
      // An id longer than any real one is refused by the router (414) before anything is read.
      const long = await f.t.app.inject({ method: 'GET', url: `/status/subscriptions/${'x'.repeat(300)}/confirm?token=x` });
      assert.ok(long.statusCode >= 400 && long.statusCode < 500, long.body);
    });

    it(`rate limit: more than per_minute requests from one address → 429 RATE_LIMITED with Retry-After; others and later are fine`, async () => {
      f.setSubscribers({ per_minute: 3 });
      const from = '198.18.0.1';
      for (let i = 0; i < 3; i++) assert.equal((await postForm(f.t, '/status/subscribe', [['email', `rl${i}@example.com`]], from)).statusCode, 200);
      const html = await refused(() => postForm(f.t, '/status/subscribe', [['email', 'rl9@example.com']], from), 429, 'RATE_LIMITED');
      assert.ok(Number(html.headers['retry-after']) > 0);
      await refused(() => f.t.app.inject({ method: 'POST', url: '/status/subscribe', payload: { email: 'rl9@example.com' }, remoteAddress: from }), 429, 'RATE_LIMITED');
      assert.equal((await postForm(f.t, '/status/subscribe', [['email', 'rl9@example.com']], '198.18.0.2')).statusCode, 200);
      f.env.clock.advance(60_000);
      assert.equal((await postForm(f.t, '/status/subscribe', [['email', 'rl10@example.com']], from)).statusCode, 200);
    });

    it('a kind the config turns off → 403 FORBIDDEN; a disabled status page → 404', async () => {
      f.setSubscribers({ email: false });
      await refused(() => json({ email: 'off@example.com' }), 403, 'FORBIDDEN');
      await refused(() => postForm(f.t, '/status/subscribe', [['kind', 'email'], ['email', 'off@example.com']], nextIp()), 403, 'FORBIDDEN');
      f.setSubscribers({ email: true, webhook: false });
      await refused(() => json({ kind: 'webhook', url: `${f.hooks}/ok/off` }), 403, 'FORBIDDEN');
      const cfg = f.env.config.current;
      f.env.config.current = { ...cfg, status_page: { ...cfg.status_page, enabled: false } };
      try {
        await refused(() => json({ email: 'off@example.com' }), 404, 'NOT_FOUND');
        await refused(() => f.t.app.inject({ method: 'GET', url: '/status/subscriptions/sub_x/confirm?token=x' }), 404, 'NOT_FOUND');
      } finally {
        f.env.config.current = cfg;
      }
    });

    it('admin API: JSON only, strict fields, same checks as the public form', async () => {
      const { admin } = f.t.auth;
      await refused(() => f.t.app.inject({ method: 'POST', url: '/api/v1/status-page/subscribers', headers: { ...admin, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'kind=email&email=a%40example.com' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      await refused(() => f.t.app.inject({ method: 'POST', url: '/api/v1/status-page/subscribers', headers: admin, payload: { kind: 'email', email: 'a@example.com\r\nBcc: x@evil.example' } }), 400, 'VALIDATION_FAILED');
      await refused(() => f.t.app.inject({ method: 'POST', url: '/api/v1/status-page/subscribers', headers: admin, payload: { kind: 'email', email: 'a@example.com', role: 'admin' } }), 400, 'VALIDATION_FAILED');
      await refused(() => f.t.app.inject({ method: 'POST', url: '/api/v1/status-page/subscribers', headers: admin, payload: { kind: 'webhook', url: 'http://u:p@example.com/' } }), 400, 'VALIDATION_FAILED');
      await refused(() => f.t.app.inject({ method: 'POST', url: '/api/v1/status-page/subscribers', headers: f.t.auth.responder, payload: { kind: 'email', email: 'a@example.com' } }), 403, 'FORBIDDEN');
      await refused(() => f.t.app.inject({ method: 'GET', url: '/api/v1/status-page/subscribers?limit=0', headers: admin }), 400, 'VALIDATION_FAILED');
    });
  });
}
