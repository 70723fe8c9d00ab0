import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { ProbeMonitorConfig } from '../../src/config/monitors-schema.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { MonitorRunner } from '../../src/modules/monitors/index.ts';
import { rpoExposure, serviceObjectives } from '../../src/modules/recovery/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { configWithMonitors } from '../monitors/monitor-kit.ts';

for (const { name, skip } of DIALECTS) {
  describe(`the monitor runner records recovery points [${name}]`, { skip }, () => {
    let env: TestEnv;
    let server: Server;
    let lagSeconds = 0;
    let runner: MonitorRunner;
    const snapshotAt = Date.now() - 120_000;
    before(async () => {
      server = createServer((_req, res) => res.end(JSON.stringify({ lag: lagSeconds })));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      env = await createTestEnv(name, import.meta.url, { seedUsers: false });
      // The probes read real time (the tool's own clock); the exposure is measured on the test's.
      env.clock.set(Date.now());
      const restic = JSON.stringify([{ time: new Date(snapshotAt).toISOString(), short_id: 'cafe0001', summary: { total_bytes_processed: 512 } }]);
      env.config.current = configWithMonitors([
        { id: 'restic', service: 'storage', type: 'backup_status', command: [process.execPath, '-e', `process.stdout.write(${JSON.stringify(restic)})`], format: 'restic', timeout: '10s' },
        { id: 'replica', service: 'database', type: 'replication_lag', url: `http://127.0.0.1:${port}/lag`, json_path: 'lag', confirm: { down: 1, up: 1 } },
      ]);
      runner = new MonitorRunner({ db: env.db, config: env.config, clock: env.clock, logger: createLogger({ level: 'silent' }) });
    });
    after(async () => {
      await runner.stop();
      await env.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const monitor = (id: string) => env.config.current.monitors.find((m) => m.id === id) as ProbeMonitorConfig;

    test('a backup_status check records the snapshot as the service\'s restorable point', async () => {
      const { result, state } = await runner.checkNow(monitor('restic'));
      assert.equal(result.status, 'up', result.message ?? '');
      assert.equal(state?.last_status, 'up');
      const storage = (await rpoExposure(env.ctx())).find((r) => r.service === 'storage');
      assert.equal(storage?.newest_restorable_at, snapshotAt);
      assert.equal(storage?.sources[0].size_bytes, 512);
      assert.equal(storage?.sources[0].source, 'command');
      assert.equal(storage?.exposure_ms, env.clock.now() - snapshotAt);
    });

    test('a replication_lag check is judged against its service\'s RPO by default and records the lag', async () => {
      const rpo = serviceObjectives(env.config.current, 'database').rpo_ms;
      lagSeconds = (rpo * 0.9) / 1000;
      let { result, state } = await runner.checkNow(monitor('replica'));
      assert.equal(result.status, 'degraded', result.message ?? '');
      assert.equal(result.reason, 'lag');
      assert.equal(state?.status, 'degraded');
      const db = (await rpoExposure(env.ctx())).find((r) => r.service === 'database');
      assert.equal(db?.exposure_ms, rpo * 0.9);
      assert.equal(db?.status, 'warning');
      assert.equal(db?.sources[0].source, 'replication');
      assert.deepEqual(db?.sources[0].detail, { lag_ms: rpo * 0.9 });
      lagSeconds = rpo / 1000 + 5;
      ({ result, state } = await runner.checkNow(monitor('replica')));
      assert.equal(result.status, 'down');
      assert.equal(state?.status, 'down');
      lagSeconds = 1;
      ({ result } = await runner.checkNow(monitor('replica')));
      assert.equal(result.status, 'up');
      assert.equal((await rpoExposure(env.ctx())).find((r) => r.service === 'database')?.status, 'ok');
    });
  });
}
