import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parseJsonAssertion } from '../../../src/lib/json-assertion.ts';
import { probeHttp } from '../../../src/modules/monitors/probes/http.ts';
import { runProbe } from '../../../src/modules/monitors/probes/index.ts';
import { freePort } from '../../helpers/processes.ts';
import { close, DAY, httpConfig, listen, selfSigned } from './helpers.ts';

const json = (...texts: string[]) => texts.map(parseJsonAssertion);
const BIG = 10 * 1024 * 1024;

/** The routes the probes are pointed at; every response ends the connection (the probe asks for that). */
function route(req: IncomingMessage, res: ServerResponse, seen: { lastAuth?: string }): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const [, first, arg] = url.pathname.split('/');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    switch (first) {
      case 'ok':
        return res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Version': 'build 1.2.3' }).end('hello world');
      case 'json':
        return res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'ok', items: [1, 2, 3], db: { latency_ms: 12 } }));
      case 'html':
        return res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>not json</html>');
      case 'status':
        return res.writeHead(Number(arg)).end(`status ${arg}`);
      case 'slow':
        return void setTimeout(() => res.writeHead(200).end('slow but fine'), Number(arg));
      case 'slow-error':
        return void setTimeout(() => res.writeHead(500).end('slow and broken'), Number(arg));
      case 'hang':
        return; // never answers
      case 'reset':
        return void req.socket.destroy();
      case 'big': {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BIG });
        res.on('error', () => {});
        return res.end(Buffer.alloc(BIG, 'x'));
      }
      case 'echo':
        seen.lastAuth = req.headers.authorization;
        return res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() }));
      case 'chain': // /chain/3 → /chain/2 → … → /chain/0 (absolute paths)
        return Number(arg) > 0 ? res.writeHead(302, { Location: `/chain/${Number(arg) - 1}` }).end() : res.writeHead(200).end('arrived');
      case 'loop':
        return res.writeHead(302, { Location: '/loop' }).end();
      case 'rel': // a relative Location: /rel/start → /rel/target
        return arg === 'start' ? res.writeHead(301, { Location: 'target' }).end() : res.writeHead(200).end(`at ${url.pathname}`);
      case 'see-other':
        return res.writeHead(303, { Location: '/echo' }).end();
      case 'temporary':
        return res.writeHead(307, { Location: '/echo' }).end();
      case 'away':
        return res.writeHead(302, { Location: decodeURIComponent(arg) }).end();
      default:
        return res.writeHead(404).end('not found');
    }
  });
}

describe('probeHttp', () => {
  const seen: { lastAuth?: string } = {};
  const server = http.createServer((req, res) => route(req, res, seen));
  const other = http.createServer((req, res) => route(req, res, seen));
  const garbage = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.resume(); // drain the request, or the server never sees the client go and close() waits forever
    socket.end('SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n');
  });
  let base = '';
  let otherBase = '';
  let garbagePort = 0;
  before(async () => {
    base = `http://127.0.0.1:${await listen(server)}`;
    otherBase = `http://127.0.0.1:${await listen(other)}`;
    garbagePort = await listen(garbage);
  });
  after(async () => {
    await Promise.all([close(server), close(other), close(garbage)]);
  });

  test('up: status, body, json and header assertions that hold; phases and httpStatus are filled in', async () => {
    const r = await probeHttp(httpConfig(`${base}/ok`, { expect: { status: [200, '2xx', '200-204'], body_contains: 'hello', body_not_contains: 'error', body_matches: /^hello \w+$/, headers: { 'x-VERSION': '1.2' } } }));
    assert.deepEqual({ status: r.status, reason: r.reason, message: r.message, httpStatus: r.httpStatus }, { status: 'up', reason: null, message: null, httpStatus: 200 });
    assert.ok(r.durationMs > 0 && r.durationMs < 1000, `duration ${r.durationMs}`);
    for (const phase of ['resolve', 'connect', 'processing', 'transfer'] as const) assert.equal(typeof r.phases?.[phase], 'number', `phase ${phase}`);
    assert.equal(r.phases?.tls, undefined);
    assert.equal(r.certExpiresAt, undefined);
    const j = await probeHttp(httpConfig(`${base}/json`, { expect: { json: json('$.status == "ok"', '$.status != "down"', 'len($.items) > 2', '$.db.latency_ms < 250', '$.items[0]') } }));
    assert.equal(j.status, 'up', j.message ?? '');
  });

  test('status matchers: a number, a class and a range that miss → status', async () => {
    for (const status of [[200], ['2xx'], ['200-499']] as HttpMonitorStatus[]) {
      const r = await probeHttp(httpConfig(`${base}/status/503`, { expect: { status } }));
      assert.equal(r.reason, 'status', JSON.stringify(status));
      assert.equal(r.status, 'down');
      assert.equal(r.httpStatus, 503);
      assert.match(r.message ?? '', /503/);
    }
    assert.equal((await probeHttp(httpConfig(`${base}/status/503`, { expect: { status: ['5xx'] } }))).status, 'up');
    assert.equal((await probeHttp(httpConfig(`${base}/status/404`))).reason, 'status', 'the default accepts 200-399 only');
  });

  test('body assertions that fail → body', async () => {
    const cases = [{ body_contains: 'goodbye' }, { body_not_contains: 'world' }, { body_matches: /^bye/ }];
    for (const expect of cases) {
      const r = await probeHttp(httpConfig(`${base}/ok`, { expect }));
      assert.equal(r.reason, 'body', JSON.stringify(expect));
      assert.equal(r.status, 'down');
    }
  });

  test('json assertions: ==, !=, len >, a missing path fail with the assertion; invalid JSON fails with a message', async () => {
    for (const text of ['$.status == "down"', '$.status != "ok"', 'len($.items) > 3', '$.nothing.here == 1']) {
      const r = await probeHttp(httpConfig(`${base}/json`, { expect: { json: json(text) } }));
      assert.equal(r.reason, 'json', text);
      assert.ok(r.message?.startsWith(text), r.message ?? '');
    }
    assert.match((await probeHttp(httpConfig(`${base}/json`, { expect: { json: json('$.nothing.here == 1') } }))).message ?? '', /missing/);
    const invalid = await probeHttp(httpConfig(`${base}/html`, { expect: { json: json('$.status == "ok"') } }));
    assert.equal(invalid.reason, 'json');
    assert.match(invalid.message ?? '', /^body is not JSON: /);
  });

  test('header assertions: a missing header and a value without the text → header', async () => {
    const missing = await probeHttp(httpConfig(`${base}/ok`, { expect: { headers: { 'X-Missing': 'x' } } }));
    assert.equal(missing.reason, 'header');
    const wrong = await probeHttp(httpConfig(`${base}/ok`, { expect: { headers: { 'X-Version': '2.0' } } }));
    assert.equal(wrong.reason, 'header');
    assert.match(wrong.message ?? '', /build 1\.2\.3/);
  });

  test('slower than degraded_after is degraded (slow); a failed assertion is down even when slow', async () => {
    const slow = await probeHttp(httpConfig(`${base}/slow/150`, { expect: { degraded_after: 50 } }));
    assert.deepEqual([slow.status, slow.reason], ['degraded', 'slow']);
    assert.ok(slow.durationMs >= 150);
    assert.equal((await probeHttp(httpConfig(`${base}/slow/50`, { expect: { degraded_after: 1000 } }))).status, 'up');
    const broken = await probeHttp(httpConfig(`${base}/slow-error/150`, { expect: { degraded_after: 50 } }));
    assert.deepEqual([broken.status, broken.reason], ['down', 'status']);
  });

  test('a server that never answers times out within the timeout plus a little', async () => {
    const t0 = performance.now();
    const r = await probeHttp(httpConfig(`${base}/hang`, { timeout: 300 }));
    const took = performance.now() - t0;
    assert.deepEqual([r.status, r.reason], ['down', 'timeout']);
    assert.match(r.message ?? '', /timed out after 300 ms \(waiting for the response\)/);
    assert.ok(took >= 290 && took < 600, `returned after ${took} ms`);
    assert.equal(r.httpStatus, undefined);
  });

  test('reset, refused and garbage are told apart', async () => {
    const reset = await probeHttp(httpConfig(`${base}/reset`));
    assert.equal(reset.reason, 'reset', reset.message ?? '');
    const refused = await probeHttp(httpConfig(`http://127.0.0.1:${await freePort()}/`));
    assert.equal(refused.reason, 'refused', refused.message ?? '');
    assert.match(refused.message ?? '', /ECONNREFUSED/);
    const garbled = await probeHttp(httpConfig(`http://127.0.0.1:${garbagePort}/`));
    assert.equal(garbled.reason, 'protocol', garbled.message ?? '');
    assert.match(garbled.message ?? '', /HPE_/);
  });

  test('a 10 MB body is read only up to max_body_bytes, quickly, and the assertions see the prefix', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const r = await probeHttp(httpConfig(`${base}/big`, { max_body_bytes: 64 * 1024, expect: { body_matches: /^x{65536}$/ } }));
    assert.equal(r.status, 'up', r.message ?? '');
    assert.ok(performance.now() - t0 < 1500, 'completes quickly');
    const capped = await probeHttp(httpConfig(`${base}/big`, { max_body_bytes: 1000, expect: { body_not_contains: 'y', body_matches: /^x{1000}$/ } }));
    assert.equal(capped.status, 'up', capped.message ?? '');
    const none = await probeHttp(httpConfig(`${base}/big`, { max_body_bytes: 0 }));
    assert.equal(none.status, 'up', none.message ?? '');
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 8 * 1024 * 1024, 'the probe did not buffer the body');
  });

  test('redirects: followed (absolute and relative), too many, not followed, a loop', async () => {
    const followed = await probeHttp(httpConfig(`${base}/chain/3`, { expect: { body_contains: 'arrived' } }));
    assert.equal(followed.status, 'up', followed.message ?? '');
    const relative = await probeHttp(httpConfig(`${base}/rel/start`, { expect: { body_contains: 'at /rel/target' } }));
    assert.equal(relative.status, 'up', relative.message ?? '');
    const tooMany = await probeHttp(httpConfig(`${base}/chain/3`, { max_redirects: 2 }));
    assert.deepEqual([tooMany.reason, tooMany.httpStatus], ['redirects', 302]);
    assert.equal((await probeHttp(httpConfig(`${base}/loop`))).reason, 'redirects');
    const unfollowed = await probeHttp(httpConfig(`${base}/chain/3`, { follow_redirects: false, expect: { status: [302] } }));
    assert.equal(unfollowed.status, 'up');
    assert.equal(unfollowed.httpStatus, 302);
  });

  test('a POST sends its body and headers; 303 turns into a GET without a body, 307 keeps both', async () => {
    const headers = { 'Content-Type': 'application/json', 'X-Token': 'secret-value' };
    const sent = await probeHttp(httpConfig(`${base}/echo`, { method: 'POST', body: '{"a":1}', headers, expect: { json: json('$.method == "POST"', '$.body == "{\\"a\\":1}"', '$.headers.x-token == "secret-value"', '$.headers.content-type == "application/json"', '$.headers.content-length == "7"') } }));
    assert.equal(sent.status, 'up', sent.message ?? '');
    const seeOther = await probeHttp(httpConfig(`${base}/see-other`, { method: 'POST', body: 'x=1', headers, expect: { json: json('$.method == "GET"', '$.body == ""', '$.headers.x-token == "secret-value"') } }));
    assert.equal(seeOther.status, 'up', seeOther.message ?? '');
    const temporary = await probeHttp(httpConfig(`${base}/temporary`, { method: 'PUT', body: 'x=1', expect: { json: json('$.method == "PUT"', '$.body == "x=1"') } }));
    assert.equal(temporary.status, 'up', temporary.message ?? '');
    const failed = await probeHttp(httpConfig(`${base}/echo`, { headers, expect: { json: json('$.method == "DELETE"') } }));
    assert.equal(failed.reason, 'json');
    assert.ok(!failed.message?.includes('secret-value'), 'a failure message never echoes request headers');
  });

  test('credentials are not forwarded when a redirect leaves the origin', async () => {
    const target = encodeURIComponent(`${otherBase}/echo`);
    const r = await probeHttp(httpConfig(`${base}/away/${target}`, { headers: { Authorization: 'Bearer hush', 'X-Other': 'kept' }, expect: { json: json('$.headers.x-other == "kept"') } }));
    assert.equal(r.status, 'up', r.message ?? '');
    assert.equal(seen.lastAuth, undefined);
    await probeHttp(httpConfig(`${base}/away/${encodeURIComponent('/echo')}`, { headers: { Authorization: 'Bearer hush' } }));
    assert.equal(seen.lastAuth, 'Bearer hush', 'kept on the same origin');
  });

  test('a host name is resolved (resolve phase) and an unknown one fails with dns', async () => {
    const port = new URL(base).port;
    const r = await probeHttp(httpConfig(`http://localhost:${port}/ok`));
    if (r.status === 'up') assert.equal(typeof r.phases?.resolve, 'number');
    else assert.equal(r.reason, 'refused', 'localhost may resolve to ::1 only');
    const unknown = await probeHttp(httpConfig('http://no-such-host.invalid/'));
    assert.equal(unknown.reason, 'dns', unknown.message ?? '');
  });

  test('an abort signal stops the probe at once with "aborted"; runProbe dispatches on type', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const t0 = performance.now();
    const r = await runProbe(httpConfig(`${base}/hang`, { timeout: 5000 }), { signal: controller.signal });
    assert.deepEqual([r.status, r.reason, r.message], ['down', 'error', 'aborted']);
    assert.ok(performance.now() - t0 < 1000);
    const already = await runProbe(httpConfig(`${base}/ok`), { signal: AbortSignal.abort() });
    assert.equal(already.message, 'aborted');
  });
});

type HttpMonitorStatus = (number | string)[];

describe('probeHttp over TLS', () => {
  const { key, cert } = selfSigned(30);
  const server = https.createServer({ key, cert }, (_req, res) => res.writeHead(200).end('secure hello'));
  server.on('tlsClientError', () => {});
  let base = '';
  before(async () => {
    base = `https://127.0.0.1:${await listen(server)}`;
  });
  after(() => close(server));

  test('an untrusted certificate fails with tls when verify_tls is on', async () => {
    const r = await probeHttp(httpConfig(`${base}/`));
    assert.deepEqual([r.status, r.reason], ['down', 'tls']);
    assert.match(r.message ?? '', /SELF_SIGNED|self-signed/i);
  });

  test('with verify_tls off it is up, with the certificate expiry and a tls phase', async () => {
    const r = await probeHttp(httpConfig(`${base}/`, { verify_tls: false, expect: { body_contains: 'secure' } }));
    assert.equal(r.status, 'up', r.message ?? '');
    assert.ok(r.certExpiresAt !== undefined && Math.abs(r.certExpiresAt - (Date.now() + 30 * DAY)) < DAY, `certExpiresAt ${r.certExpiresAt}`);
    assert.equal(typeof r.phases?.tls, 'number');
  });

  test('https to a plain HTTP port fails with tls', async () => {
    const plain = http.createServer((_req, res) => res.end('plain'));
    const port = await listen(plain);
    try {
      const r = await probeHttp(httpConfig(`https://127.0.0.1:${port}/`, { verify_tls: false }));
      assert.equal(r.reason, 'tls', r.message ?? '');
    } finally {
      plain.closeAllConnections();
      await close(plain);
    }
  });
});
