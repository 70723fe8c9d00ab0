import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from '../helpers/env.ts';
import { configWithMonitors } from './monitor-kit.ts';

/*
 * Generated requests at the heartbeat ping endpoints (no session: whatever the internet sends).
 * Whatever arrives: never a 5xx; a refusal is a 4xx with the documented error body; the key is never
 * echoed; every 2xx is one stored ping; and a valid ping still works afterwards.
 * SQLite only, for time (the ping path is the same verb on both engines, tested in heartbeats.test.ts).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 5000);
const KEY = 'fuzz-ping-key-0123456789abcdef';
const CODES = new Set(['NOT_FOUND', 'VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'BAD_REQUEST', 'RATE_LIMITED', 'INVALID_JSON', 'UNSUPPORTED_MEDIA_TYPE']);

const segment = fc.oneof(
  fc.constantFrom('start', 'fail', 'log', '0', '1', '255', '256', '-1', '007', '1e3', '%00', '..', '%2e%2e', '__proto__', 'constructor', ''),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);
const key = fc.oneof(fc.constant(KEY), fc.constant(KEY.toUpperCase()), fc.constant(`${KEY}x`), fc.string({ maxLength: 200 }).map(encodeURIComponent), fc.constantFrom('%00', '..', 'a'.repeat(129)));
const query = fc.oneof(fc.constant(''), fc.string({ maxLength: 80 }).map((r) => `?rid=${encodeURIComponent(r)}`), fc.constantFrom('?rid=', '?rid=a&rid=b', '?rid[]=x', '?__proto__[x]=1', `?rid=${'r'.repeat(70)}`));
const body = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 300 }),
  fc.constantFrom('{"__proto__":{"polluted":1}}', '\u0000', '\ud800', 'x'.repeat(10 * 1024), 'y'.repeat(10 * 1024 + 1), '<script>alert(1)</script>'),
  fc.integer({ min: 10_000, max: 40_000 }).map((n) => 'z'.repeat(n)),
);
const contentType = fc.constantFrom('text/plain', 'application/json', 'application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'text/plain; charset=utf-16');

describe('heartbeat ping endpoints under generated input [sqlite]', () => {
  let env: TestEnv;
  let t: TestApp;
  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url, { seedUsers: true });
    env.config.current = configWithMonitors([{ id: 'fuzzed', service: 'api', type: 'heartbeat', key: KEY, period: '1h' }], { ping_rate_per_minute: 100_000 });
    t = await createTestApp(env, { monitors: false });
  });
  after(async () => {
    await t?.app.close();
    await env?.close();
  });

  test(`${RUNS} generated pings: no 5xx, documented refusals, every 2xx stored`, async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'DELETE') as fc.Arbitrary<'GET' | 'POST' | 'PUT' | 'HEAD' | 'DELETE'>, key, fc.option(segment), query, body, contentType, async (method, k, seg, q, b, ct) => {
        const url = `/ping/${k}${seg === null ? '' : `/${seg}`}${q}`;
        const res = await t.app.inject({ method, url, ...(b !== undefined && method !== 'GET' && method !== 'HEAD' ? { payload: b } : {}), headers: ct ? { 'content-type': ct } : {} });
        assert.ok(res.statusCode < 500, `${method} ${url.slice(0, 100)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        if (res.statusCode < 300) {
          // A key of ".." makes the path "/": the web console's page, not a ping.
          if (String(res.headers['content-type']).startsWith('text/html')) return;
          accepted++;
          return;
        }
        assert.ok(!res.body.includes(KEY), 'the key is never echoed');
        if (method === 'HEAD') return;
        const code = (JSON.parse(res.body) as { error?: { code?: string } }).error?.code;
        assert.ok(code && CODES.has(code), `${res.statusCode} ${res.body.slice(0, 200)}`);
      }),
      { numRuns: RUNS },
    );
    const stored = await env.db.kysely.selectFrom('heartbeat_pings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    // HEAD is answered by the GET route's handler, so an accepted HEAD is a ping too.
    assert.equal(Number(stored.n), accepted);
    const ok = await t.app.inject({ method: 'POST', url: `/ping/${KEY}`, payload: 'still fine', headers: { 'content-type': 'text/plain' } });
    assert.equal(ok.statusCode, 200);
  });
});
