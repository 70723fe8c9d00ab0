import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { SendResult } from '../../src/modules/notifications/provider.ts';
import { PROVIDERS, sendVia } from '../../src/modules/notifications/providers/index.ts';
import { freePort } from '../helpers/processes.ts';
import { closeHttp, destination, HTTP_TYPES, type HttpType, listen, message, NOW, NTFY_TOKEN, options, receiver, ROUTING_KEY, SECRET_SEGMENT, WEBHOOK_SECRET } from './helpers.ts';

describe('failure modes: every HTTP provider resolves with a safe, classified error', () => {
  const garbage = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.resume();
    socket.end('SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n');
  });
  const { server, requests } = receiver();
  let base = '';
  const url = (route: string) => `${base}/${route}/${SECRET_SEGMENT}`;
  let garbagePort = 0;
  let refusedPort = 0;
  before(async () => {
    base = `http://127.0.0.1:${await listen(server)}`;
    garbagePort = await listen(garbage);
    refusedPort = await freePort();
  });
  after(async () => {
    await closeHttp(server);
    await new Promise<void>((resolve) => garbage.close(() => resolve()));
  });

  /** Sends through `type` and checks the invariants that hold for every failure. */
  async function attempt(type: HttpType, target: string, timeoutMs = 2000): Promise<{ r: SendResult; ms: number }> {
    const started = Date.now();
    const r = await sendVia(destination(type, target), message(), options({ timeoutMs }));
    const ms = Date.now() - started;
    if (!r.ok) {
      for (const secret of [base, target, SECRET_SEGMENT, 'XXsecretXXsegmentXX', WEBHOOK_SECRET, NTFY_TOKEN, ROUTING_KEY, '127.0.0.1']) {
        assert.ok(!r.error.includes(secret), `${type}: error "${r.error}" leaks "${secret}"`);
      }
      assert.ok(r.error.length <= 240, `${type}: error is short (${r.error.length})`);
      assert.doesNotMatch(r.error, /[\u0000-\u001f]/, `${type}: no control characters`);
    }
    return { r, ms };
  }

  test('500 is retryable, 400 and 404 are not; the body excerpt is sanitised', async () => {
    for (const type of HTTP_TYPES) {
      const { r: e500 } = await attempt(type, url('fail/500'));
      assert.deepEqual(e500, { ok: false, retryable: true, status: 500, error: 'HTTP 500: failure [31m 500 invalid_payload' }, type);
      const { r: e400 } = await attempt(type, url('fail/400'));
      assert.equal(e400.ok || e400.retryable, false, `${type} 400`);
      const { r: e404 } = await attempt(type, url('fail/404'));
      assert.equal(e404.ok || e404.retryable, false, `${type} 404`);
      const { r: e503 } = await attempt(type, url('fail/503'));
      assert.equal(!e503.ok && e503.retryable, true, `${type} 503`);
    }
  });

  test('429 with Retry-After (seconds or an HTTP date) and Discord retry_after give retryAfterMs', async () => {
    for (const type of HTTP_TYPES) {
      const { r } = await attempt(type, url('retry-after/7'));
      assert.deepEqual(r, { ok: false, retryable: true, status: 429, error: 'rate limited (HTTP 429): slow down', retryAfterMs: 7000 }, type);
    }
    const date = encodeURIComponent(new Date(NOW + 30_000).toUTCString());
    const { r: byDate } = await attempt('slack', url(`retry-after/${date}`));
    assert.equal(!byDate.ok && byDate.retryAfterMs, 30_000);
    const { r: discord } = await attempt('discord', url('discord-429'));
    assert.equal(!discord.ok && discord.retryAfterMs, 1500);
  });

  test('a server that never answers times out within the timeout', async () => {
    for (const type of HTTP_TYPES) {
      const { r, ms } = await attempt(type, url('hang'), 300);
      assert.deepEqual(r, { ok: false, retryable: true, error: 'timed out after 300 ms' }, type);
      assert.ok(ms >= 250 && ms < 1500, `${type} took ${ms} ms`);
    }
    const { r: stalled500, ms } = await attempt('webhook', url('half/500'), 300);
    assert.equal(!stalled500.ok && stalled500.retryable, true, 'a 500 whose body stalls');
    assert.ok(ms < 1500, `stalled body took ${ms} ms`);
    const { r: stalled200 } = await attempt('slack', url('half/200'), 300);
    assert.equal(stalled200.ok, true, 'a 2xx whose body stalls still counts as delivered');
  });

  test('a redirect is not followed: one request, a retryable failure', async () => {
    for (const type of HTTP_TYPES) {
      const before = requests.length;
      const { r } = await attempt(type, url('loop'));
      assert.deepEqual(r, { ok: false, retryable: true, status: 302, error: 'redirected (HTTP 302), not followed' }, type);
      assert.equal(requests.length, before + 1, `${type}: exactly one request`);
    }
  });

  test('a 10 MB body is capped: no crash, a short error, success still success', async () => {
    for (const type of HTTP_TYPES) {
      const { r } = await attempt(type, url('huge/500'));
      assert.equal(!r.ok && r.retryable && r.status === 500, true, type);
      assert.match(!r.ok ? r.error : '', /^HTTP 500: x{100,}/);
    }
    assert.deepEqual((await attempt('slack', url('huge/200'))).r, { ok: true, status: 200 });
  });

  test('a body that echoes the URL, token or routing key is redacted', async () => {
    for (const type of HTTP_TYPES) {
      const { r } = await attempt(type, url('echo-400'));
      assert.equal(!r.ok && !r.retryable, true, type);
      assert.match(!r.ok ? r.error : '', /^HTTP 400: no such hook: .*\[redacted\]/, type);
    }
  });

  test('connection refused, reset and a non-HTTP server are retryable network errors', async () => {
    for (const type of HTTP_TYPES) {
      assert.deepEqual((await attempt(type, `http://127.0.0.1:${refusedPort}/${SECRET_SEGMENT}`)).r, { ok: false, retryable: true, error: 'connection refused' }, type);
      const { r: reset } = await attempt(type, url('reset'));
      assert.equal(!reset.ok && reset.retryable, true, `${type} reset`);
      const { r: notHttp } = await attempt(type, `http://127.0.0.1:${garbagePort}/${SECRET_SEGMENT}`);
      assert.equal(!notHttp.ok && notHttp.retryable, true, `${type} garbage`);
    }
  });

  test('bad settings are final failures that name no secret', async () => {
    const { r: scheme } = await attempt('slack', `ftp://127.0.0.1/${SECRET_SEGMENT}`);
    assert.deepEqual(scheme, { ok: false, retryable: false, error: 'unsupported URL scheme ftp:' });
    const { r: invalid } = await attempt('slack', `not a url ${SECRET_SEGMENT}`);
    assert.deepEqual(invalid, { ok: false, retryable: false, error: 'invalid URL' });
    const r = await sendVia({ id: 'h', type: 'webhook', url: url('ok/200'), headers: { 'X-Bad': `line\nbreak ${WEBHOOK_SECRET}` } }, message(), options());
    assert.equal(!r.ok && !r.retryable, true);
    assert.ok(!r.ok && !r.error.includes(WEBHOOK_SECRET));
  });

  test('sendVia turns a throwing provider into a retryable failure', async () => {
    const original = PROVIDERS.slack;
    PROVIDERS.slack = { type: 'slack', send: () => Promise.reject(new Error(`boom ${url('x')}`)) };
    try {
      const r = await sendVia(destination('slack', url('ok/200')), message(), options());
      assert.deepEqual(r, { ok: false, retryable: true, error: 'unexpected error in the slack provider (Error)' });
    } finally {
      PROVIDERS.slack = original;
    }
  });
});
