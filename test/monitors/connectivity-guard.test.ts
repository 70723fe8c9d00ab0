import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProbeMonitorConfig } from '../../src/config/monitors-schema.ts';
import { GUARD_KEY } from '../../src/modules/monitors/index.ts';
import { ConnectivityGuard } from '../../src/modules/monitors/connectivity-guard.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createTestApp, createTestEnv } from '../helpers/env.ts';
import { configWithMonitors } from './monitor-kit.ts';

const settings = { failing_share: 0.5, min_monitors: 4 };

describe('self-connectivity guard', () => {
  const config = configWithMonitors([
    ...Array.from({ length: 6 }, (_, i) => ({ id: `m${i}`, service: 'api', type: 'tcp', host: '127.0.0.1', port: 9, interval: '1s' })),
    { id: 'canary', service: 'web', type: 'tcp', host: '127.0.0.1', port: 9, interval: '1s', canary: true },
  ]);
  const probes = config.monitors as ProbeMonitorConfig[];
  const plain = probes.filter((m) => !m.canary);

  test('trips when at least failing_share of at least min_monitors recent results fail, or when a canary fails', () => {
    const g = new ConnectivityGuard();
    const now = 100_000;
    plain.forEach((m, i) => g.note(m.id, i < 2 ? 'down' : 'up', now));
    assert.equal(g.evaluate(plain, settings, now).active, false);
    g.note('m2', 'down', now);
    const verdict = g.evaluate(plain, settings, now);
    assert.equal(verdict.active, true);
    assert.match(verdict.reason!, /3 of 6 monitors are failing at once/);
    // Results older than two intervals (plus the timeout) do not count.
    assert.equal(g.evaluate(plain, settings, now + 10_000).active, false);
    // Too few monitors to judge by share.
    assert.equal(g.evaluate(plain.slice(0, 3), settings, now).active, false);
    const c = new ConnectivityGuard();
    c.note('canary', 'down', now);
    assert.match(c.evaluate(probes, settings, now).reason!, /canary monitor canary is failing/);
  });

  test('with a real runner: everything failing at once raises one internal alert and pages nobody for the monitors; it resolves when the network is back', async () => {
    // A port that refuses now and listens later.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));

    const env = await createTestEnv('sqlite', import.meta.url);
    // Real time: the runner's scheduler runs on the wall clock.
    Object.assign(env, { clock: systemClock });
    env.config.current = configWithMonitors(
      Array.from({ length: 6 }, (_, i) => ({ id: `svc-${i}`, service: 'api', type: 'tcp', host: '127.0.0.1', port, interval: '1s', timeout: '500ms', confirm: { down: 2, up: 1 } })),
      { guard: settings },
    );
    const server = net.createServer((s) => s.end());
    let app;
    try {
      app = await createTestApp(env);
      const alerts = () => env.db.kysely.selectFrom('alerts').select(['dedup_key', 'status']).execute();
      for (let i = 0; i < 100 && !(await alerts()).some((a) => a.dedup_key === GUARD_KEY); i++) await sleep(100);
      await sleep(2500);
      const during = await alerts();
      assert.deepEqual(during.map((a) => `${a.dedup_key} ${a.status}`), [`${GUARD_KEY} triggered`]);
      const held = await env.db.kysely.selectFrom('monitor_state').select(['monitor_id', 'status', 'held']).execute();
      assert.ok(held.every((s) => s.status === 'down' && s.held === 'guard'), JSON.stringify(held));
      const scheduler = await app.app.inject({ method: 'GET', url: '/api/v1/monitors/scheduler', headers: app.auth.admin });
      assert.equal(scheduler.json().guard.active, true);

      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      for (let i = 0; i < 100; i++) {
        const guard = (await alerts()).find((a) => a.dedup_key === GUARD_KEY);
        if (guard?.status === 'resolved') break;
        await sleep(100);
      }
      await sleep(1500);
      const after = await alerts();
      assert.deepEqual(after.map((a) => `${a.dedup_key} ${a.status}`), [`${GUARD_KEY} resolved`], 'the monitors recovered before anyone was paged for them');
    } finally {
      await app?.app.close();
      server.close();
      await env.close();
    }
  });
});
