import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { MonitorRunner } from '../../src/modules/monitors/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv } from '../helpers/env.ts';
import { configWithMonitors } from './monitor-kit.ts';

const postgres = DIALECTS.find((d) => d.name === 'postgres')!;

// Two real runners on one PostgreSQL database, as two Firebreak nodes would run.
describe('two nodes share monitors through leases, and one takes over when the other stops [postgres]', { skip: postgres.skip }, () => {
  test('each monitor is checked by exactly one node; when a node leaves, the other runs all of them within one sync', async () => {
    const target = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
    const env = await createTestEnv('postgres', import.meta.url, { seedUsers: false });
    Object.assign(env, { clock: systemClock });
    env.config.current = configWithMonitors(Array.from({ length: 10 }, (_, i) => ({ id: `m${i}`, service: 'api', type: 'http', url, interval: '1s', timeout: '500ms' })));
    const deps = { db: env.db, config: env.config, clock: systemClock, logger: createLogger({ level: 'silent' }) };
    const a = new MonitorRunner(deps);
    const b = new MonitorRunner(deps);
    try {
      await a.start();
      await b.start();
      // Each sync shares fairly once both nodes have said they are alive.
      await a.sync();
      await b.sync();
      await a.sync();
      const owners = async () => (await env.db.kysely.selectFrom('monitor_state').select(['monitor_id', 'lease_owner']).execute()).map((r) => r.lease_owner);
      const split = await owners();
      assert.equal(split.filter((o) => o === a.nodeId).length, 5, JSON.stringify(split));
      assert.equal(split.filter((o) => o === b.nodeId).length, 5);
      assert.equal(a.status().monitors + b.status().monitors, 10, 'no monitor run by both');

      await a.stop();
      await b.sync();
      assert.equal(b.status().monitors, 10);
      assert.ok((await owners()).every((o) => o === b.nodeId));
      // And B really checks the monitors A ran.
      const since = Date.now();
      await sleep(2500);
      const checked = await env.db.kysely.selectFrom('monitor_results').select('monitor_id').distinct().where('at', '>=', since).execute();
      assert.equal(checked.length, 10);
    } finally {
      await a.stop();
      await b.stop();
      target.close();
      await env.close();
    }
  });
});
