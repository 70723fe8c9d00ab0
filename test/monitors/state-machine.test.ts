import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HeartbeatMonitorConfig } from '../../src/config/monitors-schema.ts';
import { applyProbeResult, heartbeatDueAt, heartbeatStatusAt, type StreakState } from '../../src/modules/monitors/state-machine.ts';
import { configWithMonitors } from './monitor-kit.ts';

const confirm = { down: 3, up: 2 };
const fresh: StreakState = { status: 'new', streak_status: null, streak: 0, streak_since: null };
const run = (results: ('up' | 'down' | 'degraded')[], from = fresh) => results.reduce((s, r, i) => applyProbeResult(s, r, 1000 * i, confirm), from);

describe('probe confirmation thresholds', () => {
  test('three failures in a row go down, two successes come back; the streak remembers when it began', () => {
    assert.equal(run(['down', 'down']).status, 'new');
    const down = run(['up', 'up', 'down', 'down', 'down']);
    assert.equal(down.status, 'down');
    assert.equal(down.streak_since, 2000);
    assert.equal(run(['up'], down).status, 'down');
    assert.equal(run(['up', 'up'], down).status, 'up');
  });

  test('a blip never changes the state: alternating results stay up', () => {
    const s = run(['up', 'up', 'down', 'up', 'down', 'down', 'up', 'down', 'down', 'up']);
    assert.equal(s.status, 'up');
  });

  test('degraded is confirmed like down when getting worse, like up when coming back from down', () => {
    const up = run(['up', 'up']);
    assert.equal(run(['degraded', 'degraded'], up).status, 'up');
    const deg = run(['degraded', 'degraded', 'degraded'], up);
    assert.equal(deg.status, 'degraded');
    const down = run(['down', 'down', 'down'], deg);
    assert.equal(down.status, 'down');
    assert.equal(run(['degraded', 'degraded'], down).status, 'degraded');
  });
});

describe('heartbeat deadlines (healthchecks.io semantics)', () => {
  const config = configWithMonitors([
    { id: 'nightly', service: 'database', type: 'heartbeat', key: 'k'.repeat(20), cron: '30 2 * * *', time_zone: 'Europe/Berlin', grace: '30m' },
    { id: 'hourly', service: 'database', type: 'heartbeat', key: 'h'.repeat(20), period: '1h', grace: '5m' },
  ]);
  const nightly = config.monitors[0] as HeartbeatMonitorConfig;
  const hourly = config.monitors[1] as HeartbeatMonitorConfig;

  test('period + grace: up until the period is over, grace until grace is over, then down; new never goes down', () => {
    const t0 = Date.UTC(2026, 0, 1, 12);
    const s = { status: 'up' as const, last_ping_at: t0, last_start_at: null };
    assert.equal(heartbeatStatusAt(hourly, s, t0 + 59 * 60_000), 'up');
    assert.equal(heartbeatDueAt(hourly, s, t0), t0 + 3_600_000);
    assert.equal(heartbeatStatusAt(hourly, s, t0 + 61 * 60_000), 'grace');
    assert.equal(heartbeatDueAt(hourly, s, t0 + 61 * 60_000), t0 + 65 * 60_000);
    assert.equal(heartbeatStatusAt(hourly, s, t0 + 65 * 60_000), 'down');
    assert.equal(heartbeatStatusAt(hourly, { status: 'new', last_ping_at: null, last_start_at: null }, t0 + 1e9), 'new');
    assert.equal(heartbeatDueAt(hourly, { status: 'new', last_ping_at: null, last_start_at: null }, t0), null);
  });

  test('a started job that runs longer than the grace period is down', () => {
    const t0 = Date.UTC(2026, 0, 1, 12);
    const s = { status: 'up' as const, last_ping_at: t0, last_start_at: t0 + 10 * 60_000 };
    assert.equal(heartbeatStatusAt(hourly, s, t0 + 14 * 60_000), 'up');
    assert.equal(heartbeatStatusAt(hourly, s, t0 + 15 * 60_000), 'down');
    assert.equal(heartbeatDueAt(hourly, s, t0 + 11 * 60_000), t0 + 15 * 60_000);
  });

  test('cron in a time zone across the spring-forward change: the 02:30 job skipped by DST is expected at 03:00 local', () => {
    // 2026-03-29 is the last Sunday of March: Berlin jumps 02:00 → 03:00 (CET → CEST).
    const pingSat = Date.UTC(2026, 2, 28, 1, 31); // 02:31 CET on Saturday
    const s = { status: 'up' as const, last_ping_at: pingSat, last_start_at: null };
    const expected = Date.UTC(2026, 2, 29, 1, 0); // 03:00 CEST = 01:00 UTC
    assert.equal(heartbeatDueAt(nightly, s, pingSat), expected);
    assert.equal(heartbeatStatusAt(nightly, s, expected - 1), 'up');
    assert.equal(heartbeatStatusAt(nightly, s, expected + 1), 'grace');
    assert.equal(heartbeatStatusAt(nightly, s, expected + 30 * 60_000), 'down');
    // The next day the job is back at 02:30 CEST (00:30 UTC).
    const pingSun = expected + 60_000;
    assert.equal(heartbeatDueAt(nightly, { ...s, last_ping_at: pingSun }, pingSun), Date.UTC(2026, 2, 30, 0, 30));
  });

  test('cron across the fall-back change: the 02:30 job that happens twice is expected once, at its first occurrence', () => {
    // 2026-10-25: Berlin goes 03:00 CEST → 02:00 CET; 02:30 happens at 00:30 UTC and again at 01:30 UTC.
    const ping = Date.UTC(2026, 9, 24, 0, 31);
    const s = { status: 'up' as const, last_ping_at: ping, last_start_at: null };
    assert.equal(heartbeatDueAt(nightly, s, ping), Date.UTC(2026, 9, 25, 0, 30));
    const after = Date.UTC(2026, 9, 25, 0, 31);
    assert.equal(heartbeatDueAt(nightly, { ...s, last_ping_at: after }, after), Date.UTC(2026, 9, 26, 1, 30));
  });
});
