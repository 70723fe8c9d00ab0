import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LATENCY_BOUNDS_MS } from '../../src/modules/monitors/latency-histogram.ts';
import { recordProbeResults } from '../../src/modules/monitors/record-results.ts';
import { chunks, ensureStateRows } from '../../src/modules/monitors/repository.ts';
import { DAY, HOUR, MINUTE, pruneMonitorData, rollUp } from '../../src/modules/monitors/rollups.ts';
import { availability, UPTIME_PERIODS, uptimeReport, type Availability } from '../../src/modules/monitors/uptime.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { configWithMonitors, degraded, down, rng, up } from './monitor-kit.ts';
import type { MonitorRollupsTable } from '../../src/db/schema.ts';

const SECOND = 1000;
const IDS = ['alpha', 'beta', 'gamma'];

interface Raw {
  monitor_id: string;
  at: number;
  status: number;
  duration_ms: number;
}


/**
 * Results of one monitor every `step` ms in [from, to), `offset` into each step: mostly up, some
 * down and degraded, latencies spread over every histogram bucket including the open last one.
 */
function generate(monitorId: string, from: number, to: number, step: number, offset: number, seed: number, forceDown?: [number, number]): Raw[] {
  const rand = rng(seed);
  const out: Raw[] = [];
  for (let at = from + offset; at < to; at += step) {
    const r = rand();
    let status = r < 0.85 ? 0 : r < 0.93 ? 2 : 1;
    if (forceDown && at >= forceDown[0] && at < forceDown[1]) status = 2;
    const d = rand();
    const duration_ms =
      status === 2 && d < 0.5
        ? 10_000
        : d < 0.4
          ? 1 + Math.floor(rand() * 60)
          : d < 0.75
            ? 60 + Math.floor(rand() * 340)
            : d < 0.93
              ? 400 + Math.floor(rand() * 2600)
              : d < 0.985
                ? 3000 + Math.floor(rand() * 20_000)
                : 60_001 + Math.floor(rand() * 30_000);
    out.push({ monitor_id: monitorId, at, status, duration_ms });
  }
  return out;
}

async function insertRaw(env: TestEnv, rows: Raw[]): Promise<void> {
  for (const part of chunks(rows, 400)) {
    await env.db.kysely
      .insertInto('monitor_results')
      .values(part.map((r) => ({ ...r, http_status: r.status === 2 ? null : 200, reason: r.status === 0 ? null : r.status === 2 ? 'timeout' : 'slow', message: null })))
      .execute();
  }
}

interface Bucket {
  checks: number;
  failures: number;
  degraded: number;
  duration_sum: number;
  duration_max: number;
  durations: number[];
}

/** Brute force: the raw results grouped by monitor and `size`-aligned bucket, buckets starting before `before`. */
function expectBuckets(raws: Raw[], size: number, before: number): Map<string, Bucket> {
  const out = new Map<string, Bucket>();
  for (const r of raws) {
    const start = Math.floor(r.at / size) * size;
    if (start + size > before) continue;
    const key = `${r.monitor_id}@${start}`;
    let b = out.get(key);
    if (!b) out.set(key, (b = { checks: 0, failures: 0, degraded: 0, duration_sum: 0, duration_max: 0, durations: [] }));
    b.checks++;
    if (r.status === 2) b.failures++;
    if (r.status === 1) b.degraded++;
    b.duration_sum += r.duration_ms;
    b.duration_max = Math.max(b.duration_max, r.duration_ms);
    b.durations.push(r.duration_ms);
  }
  return out;
}

/** The histogram text of some latencies, bucketed independently of the code under test. */
function histText(durations: number[]): string {
  const h = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  for (const d of durations) {
    const i = LATENCY_BOUNDS_MS.findIndex((b) => d <= b);
    h[i === -1 ? LATENCY_BOUNDS_MS.length : i]++;
  }
  while (h.length && h[h.length - 1] === 0) h.pop();
  return h.join(',');
}

/** The bounds of the histogram bucket holding the nearest-rank q-quantile of `durations`. */
function quantileBounds(durations: number[], q: number): [number, number] {
  const sorted = [...durations].sort((a, b) => a - b);
  const k = Math.max(1, Math.ceil(q * sorted.length));
  const v = sorted[k - 1];
  const max = sorted[sorted.length - 1];
  const i = LATENCY_BOUNDS_MS.findIndex((b) => v <= b);
  if (i === -1) return [LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1], max];
  return [i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1], Math.min(LATENCY_BOUNDS_MS[i], max)];
}

/** A roll-up row as stored (numbers normalised from PostgreSQL's bigint strings). */
type RollupRow = MonitorRollupsTable;

async function rollupRows(env: TestEnv, size?: number): Promise<RollupRow[]> {
  let query = env.db.kysely.selectFrom('monitor_rollups').selectAll();
  if (size !== undefined) query = query.where('size', '=', size);
  const rows = await query.orderBy('monitor_id').orderBy('size').orderBy('start').execute();
  // PostgreSQL returns bigint columns as strings.
  return rows.map((r) => ({
    monitor_id: r.monitor_id,
    size: Number(r.size),
    start: Number(r.start),
    checks: Number(r.checks),
    failures: Number(r.failures),
    degraded: Number(r.degraded),
    duration_sum: Number(r.duration_sum),
    duration_max: Number(r.duration_max),
    p50: Number(r.p50),
    p95: Number(r.p95),
    hist: r.hist,
  }));
}

async function marks(env: TestEnv): Promise<Record<number, number>> {
  const rows = await env.db.kysely.selectFrom('monitor_rollup_marks').selectAll().execute();
  return Object.fromEntries(rows.map((m) => [Number(m.size), Number(m.through)]));
}

/** Runs roll-up passes until one changes nothing (a catch-up is spread over passes). */
async function rollUpFully(env: TestEnv): Promise<number> {
  for (let pass = 1; pass <= 1000; pass++) {
    const before = JSON.stringify(await marks(env));
    const written = await rollUp(env.ctx());
    if (JSON.stringify(await marks(env)) === before && written.minutes + written.hours + written.days === 0) return pass;
  }
  throw new Error('roll-up never settled');
}

async function clearMonitorData(env: TestEnv): Promise<void> {
  await env.db.kysely.deleteFrom('monitor_results').execute();
  await env.db.kysely.deleteFrom('monitor_rollups').execute();
  await env.db.kysely.deleteFrom('monitor_rollup_marks').execute();
}

/** Asserts the stored roll-ups of one size are exactly the brute-force buckets. */
function assertRollups(actual: RollupRow[], expected: Map<string, Bucket>, label: string): void {
  assert.deepEqual(actual.map((r) => `${r.monitor_id}@${r.start}`).sort(), [...expected.keys()].sort(), `${label}: the same buckets`);
  for (const row of actual) {
    const want = expected.get(`${row.monitor_id}@${row.start}`)!;
    const at = `${label} ${row.monitor_id} ${new Date(row.start).toISOString()}`;
    assert.deepEqual(
      { checks: row.checks, failures: row.failures, degraded: row.degraded, duration_sum: row.duration_sum, duration_max: row.duration_max, hist: row.hist },
      { checks: want.checks, failures: want.failures, degraded: want.degraded, duration_sum: want.duration_sum, duration_max: want.duration_max, hist: histText(want.durations) },
      at,
    );
    for (const [q, p] of [
      [0.5, row.p50],
      [0.95, row.p95],
    ] as const) {
      const [lo, hi] = quantileBounds(want.durations, q);
      assert.ok(p >= lo && p <= hi, `${at}: p${q * 100} = ${p} not within its bucket [${lo}, ${hi}]`);
    }
  }
}

/** Brute force availability over raw results at [from, to). */
function bruteAvailability(raws: Raw[], ids: string[], from: number, to: number): Availability {
  const set = new Set(ids);
  const hits = raws.filter((r) => set.has(r.monitor_id) && r.at >= from && r.at < to);
  const failures = hits.filter((r) => r.status === 2).length;
  return {
    checks: hits.length,
    failures,
    degraded: hits.filter((r) => r.status === 1).length,
    uptime: hits.length ? Math.round(((hits.length - failures) / hits.length) * 1e6) / 1e4 : null,
  };
}

const floorMinute = (t: number) => Math.floor(t / MINUTE) * MINUTE;

for (const { name, skip } of DIALECTS) {
  describe(`monitor roll-ups, availability and retention [${name}]`, { skip }, () => {
    let env: TestEnv;
    before(async () => {
      env = await createTestEnv(name, import.meta.url, { seedUsers: false });
      await ensureStateRows(env.ctx(), IDS);
    });
    after(async () => {
      await env?.close();
    });

    // Results from 1 June 20:00 to 3 June 02:41 (UTC): one partial day, one whole day, a day boundary
    // at each end; alpha and beta every 30 s, gamma every 90 s, beta down for twenty minutes.
    const T0 = Date.UTC(2026, 5, 1, 20, 0);
    const END = Date.UTC(2026, 5, 3, 2, 41);
    const NOW = END + 10 * SECOND;
    const raws = [
      ...generate('alpha', T0, END, 30 * SECOND, 0, 1),
      ...generate('beta', T0, END, 30 * SECOND, 7 * SECOND, 2, [Date.UTC(2026, 5, 2, 3, 0), Date.UTC(2026, 5, 2, 3, 20)]),
      ...generate('gamma', T0 + 3 * HOUR, END, 90 * SECOND, 13_500, 3),
    ];
    // The last minute (02:40) is not closed yet at NOW (results settle for a while first).
    const MINUTE_MARK = Date.UTC(2026, 5, 3, 2, 40);
    const HOUR_MARK = Date.UTC(2026, 5, 3, 2, 0);
    const DAY_MARK = Date.UTC(2026, 5, 3);

    test('raw results roll up into exact minute, hour and day buckets (UTC), marks say how far', async () => {
      await insertRaw(env, raws);
      env.clock.set(NOW);
      const passes = await rollUpFully(env);
      assert.ok(passes > 1, 'a long backlog takes several passes');
      assert.deepEqual(await marks(env), { [MINUTE]: MINUTE_MARK, [HOUR]: HOUR_MARK, [DAY]: DAY_MARK });
      assertRollups(await rollupRows(env, MINUTE), expectBuckets(raws, MINUTE, MINUTE_MARK), 'minute');
      assertRollups(await rollupRows(env, HOUR), expectBuckets(raws, HOUR, HOUR_MARK), 'hour');
      const days = await rollupRows(env, DAY);
      assertRollups(days, expectBuckets(raws, DAY, DAY_MARK), 'day');
      assert.deepEqual(
        days.map((d) => [d.monitor_id, new Date(d.start).toISOString()]),
        [
          ['alpha', '2026-06-01T00:00:00.000Z'],
          ['alpha', '2026-06-02T00:00:00.000Z'],
          ['beta', '2026-06-01T00:00:00.000Z'],
          ['beta', '2026-06-02T00:00:00.000Z'],
          ['gamma', '2026-06-01T00:00:00.000Z'],
          ['gamma', '2026-06-02T00:00:00.000Z'],
        ],
      );
      const beta2 = days.find((d) => d.monitor_id === 'beta' && d.start === Date.UTC(2026, 5, 2))!;
      assert.equal(beta2.checks, 2880, 'a whole day at 30 s');
      assert.ok(beta2.failures >= 40, 'the twenty-minute outage is counted');
    });

    test('roll-up is idempotent: a repeated pass writes nothing, and re-rolling from scratch (or twice at once) gives identical rows', async () => {
      const snapshot = await rollupRows(env);
      assert.deepEqual(await rollUp(env.ctx()), { minutes: 0, hours: 0, days: 0 });
      assert.deepEqual(await rollupRows(env), snapshot);

      // Marks lost (a crash before they were written): everything is rolled again, identically.
      await env.db.kysely.deleteFrom('monitor_rollup_marks').execute();
      await rollUpFully(env);
      assert.deepEqual(await rollupRows(env), snapshot);
      assert.deepEqual(await marks(env), { [MINUTE]: MINUTE_MARK, [HOUR]: HOUR_MARK, [DAY]: DAY_MARK });

      // Two nodes rolling the same periods at the same time write the same rows.
      await env.db.kysely.deleteFrom('monitor_rollup_marks').execute();
      for (let i = 0; i < 40; i++) {
        await Promise.all([rollUp(env.ctx()), rollUp(env.ctx())]);
        if ((await marks(env))[MINUTE] === MINUTE_MARK) break;
      }
      await rollUpFully(env);
      assert.deepEqual(await rollupRows(env), snapshot);
    });

    test('availability over a range mixing day, hour and minute roll-ups and the raw tail equals the brute-force count', async () => {
      const ranges: [string, number, number][] = [
        // minutes 21:17–22:00, hours to midnight, the day of 2 June, hours 00:00–02:00, minutes to 02:40, raw after.
        ['mixed, ending now', Date.UTC(2026, 5, 1, 21, 17, 30), NOW],
        ['one whole day', Date.UTC(2026, 5, 2), Date.UTC(2026, 5, 3)],
        ['hours and minutes inside the rolled part', Date.UTC(2026, 5, 1, 22, 59), Date.UTC(2026, 5, 2, 13, 45)],
        ['only the raw tail', Date.UTC(2026, 5, 3, 2, 40, 5), NOW],
        ['ending at the minute mark', Date.UTC(2026, 5, 2, 23, 30), MINUTE_MARK],
        ['before any result', Date.UTC(2026, 4, 1), T0],
        ['everything and more', Date.UTC(2026, 4, 1), NOW + HOUR],
      ];
      for (const [label, from, to] of ranges) {
        for (const ids of [IDS, ['beta'], ['gamma', 'alpha']]) {
          const got = await availability(env.ctx(), ids, from, to);
          assert.deepEqual(got, bruteAvailability(raws, ids, floorMinute(from), to), `${label} for ${ids.join(',')}`);
        }
      }
      assert.deepEqual(await availability(env.ctx(), [], T0, NOW), { checks: 0, failures: 0, degraded: 0, uptime: null });
      const outage = await availability(env.ctx(), ['beta'], Date.UTC(2026, 5, 2, 3, 0), Date.UTC(2026, 5, 2, 3, 20));
      assert.deepEqual(outage, { checks: 40, failures: 40, degraded: 0, uptime: 0 });
    });

    test('uptimeReport gives each standard period ending now', async () => {
      const report = await uptimeReport(env.ctx(), IDS);
      assert.deepEqual(Object.keys(report), Object.keys(UPTIME_PERIODS));
      for (const [period, ms] of Object.entries(UPTIME_PERIODS)) {
        assert.deepEqual(report[period as keyof typeof UPTIME_PERIODS], bruteAvailability(raws, IDS, floorMinute(NOW - ms), NOW), period);
      }
      assert.ok(report['24h'].checks < report['7d'].checks, 'the last day is part of the data');
      assert.equal(report['7d'].checks, raws.length);
      assert.deepEqual(report['365d'], report['7d']);
    });

    test('availability reads the coarsest roll-ups: finer rows (and rolled raw results) are not needed once pruned', async () => {
      const from = Date.UTC(2026, 5, 1, 21, 17, 30);
      const expected = bruteAvailability(raws, IDS, floorMinute(from), NOW);
      // Everything the coarsest buckets cover goes: minutes 22:00–02:00, the hours of 2 June, rolled raw results.
      await env.db.kysely.deleteFrom('monitor_rollups').where('size', '=', MINUTE).where('start', '>=', Date.UTC(2026, 5, 1, 22)).where('start', '<', HOUR_MARK).execute();
      await env.db.kysely.deleteFrom('monitor_rollups').where('size', '=', HOUR).where('start', '>=', Date.UTC(2026, 5, 2)).where('start', '<', DAY_MARK).execute();
      await env.db.kysely.deleteFrom('monitor_results').where('at', '<', MINUTE_MARK).execute();
      assert.deepEqual(await availability(env.ctx(), IDS, from, NOW), expected);
    });

    test('catch-up after a gap: rolled over several passes, no rows for the gap, settled minutes only', async () => {
      await clearMonitorData(env);
      const G0 = Date.UTC(2026, 5, 10, 10, 0);
      const first = [...generate('alpha', G0, G0 + HOUR, 30 * SECOND, 0, 11), ...generate('beta', G0, G0 + HOUR, 30 * SECOND, 5 * SECOND, 12)];
      await insertRaw(env, first);
      env.clock.set(G0 + HOUR + 20 * SECOND);
      await rollUpFully(env);
      assert.deepEqual(await marks(env), { [MINUTE]: G0 + HOUR, [HOUR]: G0 + HOUR });

      // Firebreak down from 11:00 to 17:30; results again from then on.
      const resume = Date.UTC(2026, 5, 10, 17, 30);
      const second = [...generate('alpha', resume, resume + 30 * MINUTE, 30 * SECOND, 0, 13), ...generate('beta', resume, resume + 30 * MINUTE, 30 * SECOND, 5 * SECOND, 14)];
      await insertRaw(env, second);
      env.clock.set(resume + 30 * MINUTE + 20 * SECOND);
      const one = await rollUp(env.ctx());
      const afterOne = await marks(env);
      assert.ok(afterOne[MINUTE] > G0 + HOUR && afterOne[MINUTE] < resume, 'the first pass rolls part of the backlog');
      assert.equal(one.minutes, 0, 'the gap has no results');
      assert.equal(afterOne[HOUR], Math.floor(afterOne[MINUTE] / HOUR) * HOUR, 'hours follow the minutes rolled');
      await rollUpFully(env);
      const all = [...first, ...second];
      const end = Date.UTC(2026, 5, 10, 18);
      assert.deepEqual(await marks(env), { [MINUTE]: end, [HOUR]: end });
      assertRollups(await rollupRows(env, MINUTE), expectBuckets(all, MINUTE, end), 'minute');
      assertRollups(await rollupRows(env, HOUR), expectBuckets(all, HOUR, end), 'hour');
      assert.deepEqual((await rollupRows(env, HOUR)).map((r) => `${r.monitor_id} ${new Date(r.start).getUTCHours()}`), ['alpha 10', 'alpha 17', 'beta 10', 'beta 17']);
      assert.deepEqual(await availability(env.ctx(), ['alpha', 'beta'], G0, env.clock.now()), bruteAvailability(all, ['alpha', 'beta'], G0, env.clock.now()));

      // A minute is rolled only once its results have had time to arrive.
      await insertRaw(env, [{ monitor_id: 'alpha', at: end + 5 * SECOND, status: 2, duration_ms: 40 }]);
      env.clock.set(end + MINUTE);
      await rollUp(env.ctx());
      assert.equal((await marks(env))[MINUTE], end, 'the minute just ended is not rolled yet');
      assert.equal((await rollupRows(env, MINUTE)).filter((r) => r.start === end).length, 0);
      env.clock.set(end + MINUTE + 30 * SECOND);
      await rollUp(env.ctx());
      assert.equal((await marks(env))[MINUTE], end + MINUTE);
      const late = (await rollupRows(env, MINUTE)).filter((r) => r.start === end);
      assert.deepEqual(
        late.map((r) => [r.monitor_id, r.checks, r.failures, r.duration_max, r.p50, r.p95, r.hist]),
        // p50 interpolated within the 25–50 ms bucket (37.5), p95 capped at the maximum.
        [['alpha', 1, 1, 40, 38, 40, '0,0,0,1']],
      );
    });

    test('results recorded through recordProbeResults are rolled up', async () => {
      await clearMonitorData(env);
      const base = env.config.current;
      env.config.current = configWithMonitors(IDS.map((id) => ({ id, service: 'database', type: 'tcp', host: '127.0.0.1', port: 5432 })));
      try {
        const M = Date.UTC(2026, 5, 11, 8, 0);
        const script = [up(12), up(30), degraded(2500), down(), up(80), down()];
        for (const [i, result] of script.entries()) await recordProbeResults(env.ctx(), [{ monitorId: 'alpha', at: M + i * 9 * SECOND, result }, { monitorId: 'beta', at: M + i * 9 * SECOND + 1, result: up(7) }]);
        env.clock.set(M + 2 * MINUTE);
        await rollUpFully(env);
        const rows = await rollupRows(env, MINUTE);
        assert.deepEqual(
          rows.map((r) => [r.monitor_id, r.start, r.checks, r.failures, r.degraded, r.duration_sum, r.duration_max]),
          [
            ['alpha', M, 6, 2, 1, 12 + 30 + 2500 + 3 + 80 + 3, 2500],
            ['beta', M, 6, 0, 0, 42, 7],
          ],
        );
        assert.deepEqual(await availability(env.ctx(), ['alpha'], M, M + 2 * MINUTE), { checks: 6, failures: 2, degraded: 1, uptime: 66.6667 });
      } finally {
        env.config.current = base;
      }
    });

    test('pruneMonitorData removes exactly what is older than each retention, and nothing newer', async () => {
      await clearMonitorData(env);
      const base = env.config.current;
      env.config.current = configWithMonitors([{ id: 'alpha', service: 'database', type: 'tcp', host: '127.0.0.1', port: 5432 }], { retention: { raw: '1h', minute: '3h', hour: '2d', day: '10d' } });
      try {
        const now = Date.UTC(2026, 5, 20, 12, 0);
        env.clock.set(now);
        const retention = { raw: HOUR, minute: 3 * HOUR, hour: 2 * DAY, day: 10 * DAY };
        // Raw results every 30 s over the last two hours, plus the edges to the millisecond.
        const raw: Raw[] = [];
        for (const id of ['alpha', 'beta']) {
          for (let at = now - 2 * HOUR; at <= now; at += 30 * SECOND) raw.push({ monitor_id: id, at, status: 0, duration_ms: 10 });
          raw.push({ monitor_id: id, at: now - retention.raw - 1, status: 0, duration_ms: 10 }, { monitor_id: id, at: now - retention.raw + 1, status: 0, duration_ms: 10 });
        }
        await insertRaw(env, raw);
        const rollups: { monitor_id: string; size: number; start: number }[] = [];
        const span: [number, number][] = [
          [MINUTE, retention.minute],
          [HOUR, retention.hour],
          [DAY, retention.day],
        ];
        for (const id of ['alpha', 'beta']) {
          for (const [size, keep] of span) {
            const count = Math.ceil((keep * 1.5) / size);
            for (let k = 0; k <= count; k++) rollups.push({ monitor_id: id, size, start: now - k * size });
            // The same size at the edge of its retention, off the grid by a millisecond.
            rollups.push({ monitor_id: id, size, start: now - keep - 1 }, { monitor_id: id, size, start: now - keep + 1 });
          }
        }
        for (const part of chunks(rollups, 300)) {
          await env.db.kysely
            .insertInto('monitor_rollups')
            .values(part.map((r) => ({ ...r, checks: 1, failures: 0, degraded: 0, duration_sum: 10, duration_max: 10, p50: 10, p95: 10, hist: '0,1' })))
            .onConflict((oc) => oc.doNothing())
            .execute();
        }
        const rollupsBefore = await rollupRows(env);
        const keepFor: Record<number, number> = { [MINUTE]: retention.minute, [HOUR]: retention.hour, [DAY]: retention.day };
        const rawKept = raw.filter((r) => r.at >= now - retention.raw);
        const rollupsKept = rollupsBefore.filter((r) => r.start >= now - keepFor[r.size]);
        assert.ok(rawKept.length < raw.length && rollupsKept.length < rollupsBefore.length, 'something to prune at every level');
        for (const [size, keep] of span) assert.ok(rollupsKept.some((r) => r.size === size && r.start === now - keep), 'a bucket exactly at the retention is kept');

        const removed = await pruneMonitorData(env.ctx());
        assert.equal(removed, raw.length - rawKept.length + rollupsBefore.length - rollupsKept.length);
        const rawLeft = await env.db.kysely.selectFrom('monitor_results').select(['monitor_id', 'at']).orderBy('monitor_id').orderBy('at').execute();
        assert.deepEqual(
          rawLeft.map((r) => `${r.monitor_id}@${Number(r.at)}`),
          rawKept.sort((a, b) => a.monitor_id.localeCompare(b.monitor_id) || a.at - b.at).map((r) => `${r.monitor_id}@${r.at}`),
        );
        assert.deepEqual(await rollupRows(env), rollupsKept);
        assert.equal(await pruneMonitorData(env.ctx()), 0, 'nothing more to do');

        // Raw results the roll-up has not reached yet are kept past their retention until it does.
        await env.db.kysely.insertInto('monitor_results').values({ monitor_id: 'alpha', at: now - 2 * HOUR, status: 2, duration_ms: 5, http_status: null, reason: 'timeout', message: null }).execute();
        await env.db.kysely.insertInto('monitor_rollup_marks').values({ size: MINUTE, through: now - 3 * HOUR }).onConflict((oc) => oc.column('size').doUpdateSet({ through: now - 3 * HOUR })).execute();
        assert.equal(await pruneMonitorData(env.ctx()), 0, 'not rolled up yet: kept');
        await env.db.kysely.updateTable('monitor_rollup_marks').set({ through: now }).where('size', '=', MINUTE).execute();
        assert.equal(await pruneMonitorData(env.ctx()), 1, 'rolled up: pruned');

        // With the default retention (raw 24 h, minute 48 h, hour 90 d, day 800 d), none of it is old enough.
        env.config.current = base;
        env.clock.set(now + 30 * MINUTE);
        assert.equal(await pruneMonitorData(env.ctx()), 0);
      } finally {
        env.config.current = base;
      }
    });
  });
}
