import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { probeTls } from '../../../src/modules/monitors/probes/tls.ts';
import { freePort } from '../../helpers/processes.ts';
import { close, DAY, listen, selfSigned, tlsConfig } from './helpers.ts';

/** A TLS server that completes the handshake and otherwise does nothing. */
function tlsServer(creds: { key: string; cert: string }): tls.Server {
  const server = tls.createServer(creds, (socket) => {
    socket.on('error', () => {});
    socket.resume();
  });
  server.on('tlsClientError', () => {});
  return server;
}

describe('probeTls', () => {
  const thirty = tlsServer(selfSigned(30));
  const expired = tlsServer(selfSigned(-1));
  let port = 0;
  let expiredPort = 0;
  before(async () => {
    port = await listen(thirty);
    expiredPort = await listen(expired);
  });
  after(() => Promise.all([close(thirty), close(expired)]));

  test('30 days left with warn_days 14: up, with the expiry and resolve/connect/tls phases', async () => {
    const r = await probeTls(tlsConfig(port, { verify: false, servername: 'localhost' }));
    assert.deepEqual([r.status, r.reason, r.message], ['up', null, null]);
    assert.ok(r.certExpiresAt !== undefined && Math.abs(r.certExpiresAt - (Date.now() + 30 * DAY)) < DAY, `certExpiresAt ${r.certExpiresAt}`);
    for (const phase of ['resolve', 'connect', 'tls'] as const) assert.equal(typeof r.phases?.[phase], 'number', phase);
  });

  test('fewer days than warn_days: degraded; fewer than critical_days: down (both cert_expiring)', async () => {
    const warn = await probeTls(tlsConfig(port, { verify: false, warn_days: 40, critical_days: 7 }));
    assert.deepEqual([warn.status, warn.reason], ['degraded', 'cert_expiring']);
    assert.match(warn.message ?? '', /expires in 29\.\d|expires in 30\.0/);
    const critical = await probeTls(tlsConfig(port, { verify: false, warn_days: 40, critical_days: 35 }));
    assert.deepEqual([critical.status, critical.reason], ['down', 'cert_expiring']);
  });

  test('an expired certificate: cert_expired, even when it is not verified', async () => {
    for (const verify of [false, true]) {
      const r = await probeTls(tlsConfig(expiredPort, { verify }));
      assert.deepEqual([r.status, r.reason], ['down', 'cert_expired'], `verify ${verify}`);
      assert.ok(r.certExpiresAt !== undefined && r.certExpiresAt < Date.now());
    }
  });

  test('verification failure: down (tls) with the error code, and the expiry still reported', async () => {
    const r = await probeTls(tlsConfig(port, { verify: true }));
    assert.deepEqual([r.status, r.reason], ['down', 'tls']);
    assert.match(r.message ?? '', /DEPTH_ZERO_SELF_SIGNED_CERT/);
    assert.ok(r.certExpiresAt !== undefined);
  });

  test('a closed port is refused; a server that does not speak TLS is tls', async () => {
    assert.equal((await probeTls(tlsConfig(await freePort()))).reason, 'refused');
    const plain = net.createServer((s) => {
      s.on('error', () => {});
      s.resume();
      s.end('not tls at all\r\n');
    });
    const plainPort = await listen(plain);
    try {
      const r = await probeTls(tlsConfig(plainPort));
      assert.equal(r.reason, 'tls', r.message ?? '');
      assert.equal(r.message, 'ERR_SSL_WRONG_VERSION_NUMBER: wrong version number');
    } finally {
      await close(plain);
    }
  });
});
