import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sparkline, uptimeBar } from '../../src/cli/commands/monitor-show.ts';

describe('monitor pictures in the terminal', () => {
  test('the uptime bar has one block per hour, lower as more checks failed, a dot where none ran', () => {
    const H = 3_600_000;
    const end = Date.UTC(2026, 0, 2, 0, 30);
    const at = (hoursAgo: number) => new Date(Math.floor(end / H) * H - hoursAgo * H).toISOString();
    const rollups = [
      { start: at(0), checks: 120, uptime: 100, latency_ms: { p95: 10 } },
      { start: at(1), checks: 120, uptime: 99.2, latency_ms: { p95: 10 } },
      { start: at(2), checks: 120, uptime: 95, latency_ms: { p95: 10 } },
      { start: at(3), checks: 120, uptime: 50, latency_ms: { p95: 10 } },
      { start: at(4), checks: 120, uptime: 0, latency_ms: { p95: 10 } },
    ];
    assert.equal(uptimeBar(rollups, 6, H, end), '·▁▂▄▆█');
  });

  test('the sparkline scales to the largest value and leaves gaps for missing buckets', () => {
    assert.equal(sparkline([0, 50, 100, null, 25]), '▁▄█ ▂');
  });
});
