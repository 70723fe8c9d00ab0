import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { ensureStateRows, chunks } from '../../src/modules/monitors/repository.ts';
import { DAY, HOUR, MINUTE } from '../../src/modules/monitors/rollups.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { rng } from './monitor-kit.ts';

/**
 * What a monitor costs on disk (SQLite) at steady state with the default retention: one raw window
 * (24 h of results every 30 s), 48 h of minute roll-ups, 90 days of hour roll-ups and a year of day
 * roll-ups. Rows are written interleaved across monitors in time order, as the runner writes them,
 * so the B-trees are split as in production rather than packed.
 *
 * Measured: 485 KB per monitor per year (20 monitors, 4 KiB pages): roll-ups 377 KB (of which the
 * 48 h of minutes and 90 days of hours are most), raw results 108 KB — so 1 000 monitors take about
 * 0.5 GB. The bound below leaves ~30 % headroom.
 */
const BOUND_BYTES_PER_MONITOR = 630 * 1024;
const MONITORS = 20;
const INTERVAL = 30_000;


/** A plausible latency histogram of `checks` results (mostly 25–300 ms, a thin tail). */
function hist(rand: () => number, checks: number): { hist: string; p50: number; p95: number; max: number; sum: number } {
  const shares = [0, 0.01, 0.08, 0.25, 0.25, 0.18, 0.12, 0.06, 0.03, 0.01, 0.005, 0.005];
  const h = shares.map((s) => Math.round(s * checks * (0.8 + 0.4 * rand())));
  const total = h.reduce((a, b) => a + b, 0);
  h[4] += checks - total;
  if (h[4] < 0) h[4] = 0;
  while (h.length && h[h.length - 1] === 0) h.pop();
  return { hist: h.join(','), p50: 60 + Math.floor(rand() * 30), p95: 180 + Math.floor(rand() * 200), max: 400 + Math.floor(rand() * 2000), sum: Math.round(checks * (70 + rand() * 40)) };
}

describe('monitor storage per monitor per year [sqlite]', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url, { seedUsers: false });
  });
  after(async () => {
    await env?.close();
  });

  const bytes = async (): Promise<{ total: number; free: number }> => {
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(env.db.kysely);
    const one = async (pragma: string) => Number(Object.values((await sql.raw(`PRAGMA ${pragma}`).execute(env.db.kysely)).rows[0] as Record<string, unknown>)[0]);
    const pageSize = await one('page_size');
    return { total: (await one('page_count')) * pageSize, free: (await one('freelist_count')) * pageSize };
  };

  test('raw window + 48 h of minutes + 90 days of hours + 365 days of days stays under the documented bound', async (t) => {
    const baseline = await bytes();
    const ids = Array.from({ length: MONITORS }, (_, i) => `api-health-${String(i).padStart(2, '0')}`);
    await ensureStateRows(env.ctx(), ids);
    const rand = rng(42);
    const now = Date.UTC(2026, 5, 1, 12, 0);
    const k = env.db.kysely;

    // Raw results: mostly up with nothing to say; now and then a slow one or a timeout.
    const raw = [];
    for (let at = now - DAY; at < now; at += INTERVAL) {
      for (const [i, monitor_id] of ids.entries()) {
        const r = rand();
        const down = r < 0.01;
        const slow = !down && r < 0.03;
        raw.push({
          monitor_id,
          at: at + i * 1500 + Math.floor(rand() * 40),
          status: down ? 2 : slow ? 1 : 0,
          duration_ms: down ? 10_000 : slow ? 2000 + Math.floor(rand() * 3000) : 20 + Math.floor(rand() * 280),
          http_status: down ? null : 200,
          reason: down ? 'timeout' : slow ? 'slow' : null,
          message: down ? 'timed out after 10000 ms (waiting for the response)' : slow ? `took ${2000 + Math.floor(rand() * 3000)} ms` : null,
        });
      }
    }
    assert.equal(raw.length, MONITORS * 2880);

    const rollups = [];
    const levels: [number, number][] = [
      [MINUTE, 48 * HOUR],
      [HOUR, 90 * DAY],
      [DAY, 365 * DAY],
    ];
    for (const [size, span] of levels) {
      const checks = size / INTERVAL;
      for (let start = Math.floor((now - span) / size) * size; start < now - size; start += size) {
        for (const monitor_id of ids) {
          const h = hist(rand, checks);
          const failures = rand() < 0.05 ? Math.ceil(checks * rand() * 0.02) : 0;
          rollups.push({ monitor_id, size, start, checks, failures, degraded: rand() < 0.1 ? Math.ceil(checks * 0.01) : 0, duration_sum: h.sum, duration_max: h.max, p50: h.p50, p95: h.p95, hist: h.hist });
        }
      }
    }

    for (const part of chunks(raw, 1000)) await k.transaction().execute((tx) => tx.insertInto('monitor_results').values(part).execute());
    for (const part of chunks(rollups, 500)) await k.transaction().execute((tx) => tx.insertInto('monitor_rollups').values(part).execute());

    const counts = Object.fromEntries(
      (await k.selectFrom('monitor_rollups').select(['size', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('size').execute()).map((r) => [Number(r.size), Number(r.n) / MONITORS]),
    );
    assert.ok(counts[MINUTE] >= 2879 && counts[HOUR] >= 2159 && counts[DAY] >= 364, JSON.stringify(counts));

    const after = await bytes();
    const perMonitor = (after.total - baseline.total) / MONITORS;
    let breakdown = '';
    try {
      const rows = await sql<{ name: string; bytes: number }>`select name, sum(pgsize) as bytes from dbstat where name like 'monitor%' group by name order by bytes desc`.execute(k);
      breakdown = rows.rows.map((r) => `${r.name} ${Math.round(Number(r.bytes) / MONITORS / 1024)} KB`).join(', ');
    } catch {
      breakdown = '(dbstat not available)';
    }
    const summary = `monitor storage: ${Math.round(perMonitor / 1024)} KB per monitor per year (${MONITORS} monitors, ${raw.length + rollups.length} rows, free pages ${after.free} B); per monitor: ${breakdown}`;
    t.diagnostic(summary);
    console.log(summary);
    assert.ok(perMonitor > 0);
    assert.ok(perMonitor < BOUND_BYTES_PER_MONITOR, `${Math.round(perMonitor)} B per monitor exceeds the bound of ${BOUND_BYTES_PER_MONITOR} B`);
  });
});
