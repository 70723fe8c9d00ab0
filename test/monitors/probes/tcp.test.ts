import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { probeTcp } from '../../../src/modules/monitors/probes/tcp.ts';
import { freePort } from '../../helpers/processes.ts';
import { close, listen, tcpConfig } from './helpers.ts';

describe('probeTcp', () => {
  // A Redis-like server: answers PING with +PONG and closes on QUIT; says nothing until asked.
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', (data) => {
      const text = data.toString();
      if (text.includes('PING')) socket.write('+PONG\r\n');
      if (text.includes('QUIT')) socket.end('+OK bye\r\n');
    });
  });
  let port = 0;
  before(async () => {
    port = await listen(server);
  });
  after(() => close(server));

  test('a plain connect is up, with resolve and connect phases', async () => {
    const r = await probeTcp(tcpConfig(port));
    assert.deepEqual([r.status, r.reason, r.message], ['up', null, null]);
    assert.equal(r.phases?.resolve, 0, 'an IP literal needs no lookup');
    assert.equal(typeof r.phases?.connect, 'number');
  });

  test('send + expect: up when the reply contains the text', async () => {
    const r = await probeTcp(tcpConfig(port, { send: 'PING\r\n', expect: '+PONG' }));
    assert.equal(r.status, 'up', r.message ?? '');
    const sendOnly = await probeTcp(tcpConfig(port, { send: 'PING\r\n' }));
    assert.equal(sendOnly.status, 'up');
  });

  test('expect mismatch: expect once the server closes', async () => {
    const r = await probeTcp(tcpConfig(port, { send: 'QUIT\r\n', expect: '+PONG' }));
    assert.deepEqual([r.status, r.reason], ['down', 'expect']);
    assert.match(r.message ?? '', /"\+PONG" not in the first 9 bytes \(connection closed\)/);
  });

  test('expect that never comes: expect when the timeout runs out, on time', async () => {
    const t0 = performance.now();
    const r = await probeTcp(tcpConfig(port, { expect: '+PONG', timeout: 300 }));
    const took = performance.now() - t0;
    assert.deepEqual([r.status, r.reason], ['down', 'expect']);
    assert.match(r.message ?? '', /timed out/);
    assert.ok(took >= 290 && took < 600, `returned after ${took} ms`);
  });

  test('a closed port is refused; an unknown host is dns', async () => {
    const r = await probeTcp(tcpConfig(await freePort()));
    assert.deepEqual([r.status, r.reason], ['down', 'refused']);
    assert.equal((await probeTcp(tcpConfig(port, { host: 'no-such-host.invalid' }))).reason, 'dns');
  });
});
