import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { after, before, describe, test } from 'node:test';
import { probeDns } from '../../../src/modules/monitors/probes/dns.ts';
import { runProbe } from '../../../src/modules/monitors/probes/index.ts';
import { freePort } from '../../helpers/processes.ts';
import { startDnsServer, type DnsServer } from './dns-server.ts';
import { dnsConfig } from './helpers.ts';

describe('probeDns', () => {
  let server: DnsServer;
  let resolver = '';
  before(async () => {
    server = await startDnsServer({
      'example.test': {
        A: ['192.0.2.1', '192.0.2.2'],
        TXT: [['v=spf1 ', 'include:example.net ', '-all'], ['hello']],
        MX: [
          { priority: 10, exchange: 'mail.example.test' },
          { priority: 20, exchange: 'backup.example.test' },
        ],
      },
      'bare.test': { A: ['192.0.2.9'] },
      'broken.test': { rcode: 2 },
      'closed.test': { rcode: 5 },
    });
    resolver = `127.0.0.1:${server.port}`;
  });
  after(() => server.close());

  test('A answers, with the expected ones present; a resolve phase', async () => {
    const r = await probeDns(dnsConfig('example.test', { resolver, expect: ['192.0.2.2', '192.0.2.1'] }));
    assert.deepEqual([r.status, r.reason, r.message], ['up', null, null]);
    assert.equal(typeof r.phases?.resolve, 'number');
    assert.ok(r.durationMs < 1000);
  });

  test('an expected answer that is missing → answer, naming it and what came back', async () => {
    const r = await probeDns(dnsConfig('example.test', { resolver, expect: ['192.0.2.1', '192.0.2.77'] }));
    assert.deepEqual([r.status, r.reason], ['down', 'answer']);
    assert.match(r.message ?? '', /"192\.0\.2\.77".*192\.0\.2\.1, 192\.0\.2\.2/);
  });

  test('TXT chunks are joined; MX is "priority exchange", case and trailing dot ignored', async () => {
    const txt = await probeDns(dnsConfig('example.test', { resolver, record_type: 'TXT', expect: ['v=spf1 include:example.net -all', 'hello'] }));
    assert.equal(txt.status, 'up', txt.message ?? '');
    const mx = await probeDns(dnsConfig('EXAMPLE.test', { resolver, record_type: 'MX', expect: ['10 MAIL.example.test.', '20 backup.example.test'] }));
    assert.equal(mx.status, 'up', mx.message ?? '');
    const wrongMx = await probeDns(dnsConfig('example.test', { resolver, record_type: 'MX', expect: ['5 mail.example.test'] }));
    assert.equal(wrongMx.reason, 'answer');
  });

  test('NXDOMAIN: down (rcode) unless that is the expected rcode', async () => {
    const r = await probeDns(dnsConfig('missing.test', { resolver }));
    assert.deepEqual([r.status, r.reason], ['down', 'rcode']);
    assert.match(r.message ?? '', /NXDOMAIN, expected NOERROR/);
    assert.equal((await probeDns(dnsConfig('missing.test', { resolver, rcode: 'NXDOMAIN' }))).status, 'up');
  });

  test('no records of the type: NOERROR with no answers (up, unless answers are expected)', async () => {
    assert.equal((await probeDns(dnsConfig('bare.test', { resolver, record_type: 'MX' }))).status, 'up');
    const r = await probeDns(dnsConfig('bare.test', { resolver, record_type: 'MX', expect: ['10 mail.bare.test'] }));
    assert.deepEqual([r.reason, r.message], ['answer', 'bare.test MX: missing "10 mail.bare.test" (got no answers)']);
  });

  test('SERVFAIL and REFUSED are rcodes', async () => {
    const servfail = await probeDns(dnsConfig('broken.test', { resolver }));
    assert.equal(servfail.reason, 'rcode');
    assert.match(servfail.message ?? '', /SERVFAIL/);
    assert.equal((await probeDns(dnsConfig('broken.test', { resolver, rcode: 'SERVFAIL' }))).status, 'up');
    assert.equal((await probeDns(dnsConfig('closed.test', { resolver, rcode: 'REFUSED' }))).status, 'up');
  });

  test('a resolver given by name is looked up first; a closed resolver port is refused', async () => {
    // Only where localhost is 127.0.0.1 (the test server listens there, not on ::1).
    if ((await lookup('localhost')).address === '127.0.0.1') {
      assert.equal((await probeDns(dnsConfig('example.test', { resolver: `localhost:${server.port}`, expect: ['192.0.2.1'] }))).status, 'up');
    }
    const r = await probeDns(dnsConfig('example.test', { resolver: `127.0.0.1:${await freePort()}` }));
    assert.deepEqual([r.status, r.reason], ['down', 'refused']);
  });

  test('a server that never answers: timeout, within the timeout plus a little', async () => {
    server.silent = true;
    try {
      const t0 = performance.now();
      const r = await runProbe(dnsConfig('example.test', { resolver, timeout: 300 }));
      const took = performance.now() - t0;
      assert.deepEqual([r.status, r.reason], ['down', 'timeout']);
      assert.ok(took < 700, `returned after ${took} ms`);
    } finally {
      server.silent = false;
    }
    assert.equal((await probeDns(dnsConfig('example.test', { resolver }))).status, 'up', 'the server answers again');
  });
});
