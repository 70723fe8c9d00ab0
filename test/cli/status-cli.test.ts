import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { dayBar, overall } from '../../src/cli/commands/status-show.ts';
import { createIncident } from '../../src/modules/incidents/index.ts';
import { createPublicIncident } from '../../src/modules/statuspage/index.ts';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from '../helpers/env.ts';
import { runClientCommand } from '../helpers/cli-in-process.ts';

const day = (uptime: number | null) => ({ date: '2026-06-01', uptime, incidents: [] });

describe('firebreak status: the page as a picture', () => {
  it('draws one character a day and averages the days with data', () => {
    assert.equal(dayBar([day(null), day(100), day(99.95), day(99.5), day(80)], false), '·█▆▄▂');
    assert.match(dayBar([day(100), day(50)], true), /\u001b\[32m█\u001b\[0m\u001b\[31m▂\u001b\[0m/);
    assert.equal(overall([day(null), day(100), day(99)]), '99.50%');
    assert.equal(overall([day(null)]), 'no data');
  });

  describe('against a running server (sqlite)', () => {
    let env: TestEnv;
    let t: TestApp;
    let url: string;
    before(async () => {
      env = await createTestEnv('sqlite', import.meta.url);
      t = await createTestApp(env, { monitors: false });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await t?.app.close();
      await env?.close();
    });
    const run = (args: string[]) => runClientCommand(t, url, args);

    it('shows the overall status, components with status and uptime bars, and unresolved incidents', async () => {
      await createIncident(env.ctx(env.users.responder.actor), { title: 'internal', severity: 'P1', services: ['checkout'] });
      await createPublicIncident(env.ctx(env.users.responder.actor), { name: 'Checkout errors', body: 'We are looking into failed payments.', components: { checkout: 'partial_outage' } });
      await t.statusPage.changed();
      const { code, out, err } = await run(['status', '--days', '30']);
      assert.equal(code, 0, err);
      assert.match(out, /^Partial System Outage \(major\)/);
      const checkout = out.split('\n').find((l) => l.trim().startsWith('Checkout'));
      assert.ok(checkout, out);
      assert.match(checkout, /partial_outage/);
      assert.match(checkout, /[█▆▄▂·]{30}$/, 'thirty days, one character each');
      assert.match(out, /Unresolved incidents\n {2}Checkout errors — investigating \(major\)\n.*failed payments/);
      const json = await run(['status', '--json']);
      assert.equal(JSON.parse(json.out).components.find((c: { id: string }) => c.id === 'checkout').days.length, 90);
      assert.equal((await run(['status', '--days', '0'])).code, 2);
    });
  });
});
