import type { Insertable } from 'kysely';
import { q, withTransaction } from '../../db/transaction.ts';
import type { MonitorRollupsTable } from '../../db/schema.ts';
import type { Ctx } from '../context.ts';
import { decodeHistogram, emptyHistogram, encodeHistogram, merge, observe, quantile, type Histogram } from './latency-histogram.ts';
import { chunks } from './repository.ts';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const ROLLUP_SIZES = [MINUTE, HOUR, DAY] as const;
/** Results are written about a second after a check finishes; a minute is rolled this long after it ends. */
const SETTLE_MS = 15_000;
/** Minutes rolled per pass, so a long catch-up (after downtime) is spread over passes. */
const MINUTES_PER_PASS = 120;

type Rollup = Omit<Insertable<MonitorRollupsTable>, 'hist'> & { hist: Histogram };

function addTo(map: Map<string, Rollup>, monitorId: string, size: number, start: number): Rollup {
  const key = `${monitorId}\u0000${start}`;
  let r = map.get(key);
  if (!r) map.set(key, (r = { monitor_id: monitorId, size, start, checks: 0, failures: 0, degraded: 0, duration_sum: 0, duration_max: 0, p50: 0, p95: 0, hist: emptyHistogram() }));
  return r;
}

async function upsert(ctx: Ctx, rows: Rollup[]): Promise<void> {
  const values = rows.map((r) => ({ ...r, p50: quantile(r.hist, 0.5, r.duration_max), p95: quantile(r.hist, 0.95, r.duration_max), hist: encodeHistogram(r.hist) }));
  for (const part of chunks(values, 400)) {
    await q(ctx)
      .insertInto('monitor_rollups')
      .values(part)
      .onConflict((oc) =>
        oc.columns(['monitor_id', 'size', 'start']).doUpdateSet((eb) => ({
          checks: eb.ref('excluded.checks'),
          failures: eb.ref('excluded.failures'),
          degraded: eb.ref('excluded.degraded'),
          duration_sum: eb.ref('excluded.duration_sum'),
          duration_max: eb.ref('excluded.duration_max'),
          p50: eb.ref('excluded.p50'),
          p95: eb.ref('excluded.p95'),
          hist: eb.ref('excluded.hist'),
        })),
      )
      .execute();
  }
}

async function mark(ctx: Ctx, size: number): Promise<number | null> {
  const row = await q(ctx).selectFrom('monitor_rollup_marks').select('through').where('size', '=', size).executeTakeFirst();
  return row ? Number(row.through) : null;
}

async function setMark(ctx: Ctx, size: number, through: number): Promise<void> {
  await q(ctx).insertInto('monitor_rollup_marks').values({ size, through }).onConflict((oc) => oc.column('size').doUpdateSet({ through })).execute();
}

/** Monitors with stored results (configured or since removed): what roll-ups and retention walk. */
async function monitorIds(ctx: Ctx): Promise<string[]> {
  return (await q(ctx).selectFrom('monitor_state').select('monitor_id').orderBy('monitor_id').execute()).map((r) => r.monitor_id);
}

/**
 * Rolls raw results up per minute, minutes per hour, hours per day (UTC), for the periods that
 * have ended. Each bucket is computed whole from the level below and written with an upsert, so a
 * pass that is repeated (a crash, two nodes at once) writes the same rows. Marks record how far each
 * level is complete. Returns the buckets written per level.
 */
export async function rollUp(ctx: Ctx): Promise<{ minutes: number; hours: number; days: number }> {
  const now = ctx.clock.now();
  const ids = await monitorIds(ctx);
  const closed = Math.floor((now - SETTLE_MS) / MINUTE) * MINUTE;
  let minuteMark = await mark(ctx, MINUTE);
  if (minuteMark === null) {
    // First run: from the oldest raw result still kept.
    const oldest = await q(ctx).selectFrom('monitor_results').select((eb) => eb.fn.min('at').as('at')).executeTakeFirst();
    minuteMark = oldest?.at != null ? Math.floor(Number(oldest.at) / MINUTE) * MINUTE : closed;
  }
  const out = { minutes: 0, hours: 0, days: 0 };
  const minuteEnd = Math.min(closed, minuteMark + MINUTES_PER_PASS * MINUTE);
  if (minuteEnd > minuteMark) {
    for (const part of chunks(ids)) {
      const rows = await q(ctx).selectFrom('monitor_results').select(['monitor_id', 'at', 'status', 'duration_ms']).where('monitor_id', 'in', part).where('at', '>=', minuteMark).where('at', '<', minuteEnd).execute();
      const buckets = new Map<string, Rollup>();
      for (const r of rows) {
        const b = addTo(buckets, r.monitor_id, MINUTE, Math.floor(Number(r.at) / MINUTE) * MINUTE);
        const ms = Number(r.duration_ms);
        b.checks++;
        if (Number(r.status) === 2) b.failures++;
        if (Number(r.status) === 1) b.degraded++;
        b.duration_sum += ms;
        b.duration_max = Math.max(b.duration_max, ms);
        observe(b.hist, ms);
      }
      await withTransaction(ctx, (tx) => upsert(tx, [...buckets.values()]));
      out.minutes += buckets.size;
    }
    await setMark(ctx, MINUTE, minuteEnd);
  }
  out.hours = await rollLevel(ctx, ids, MINUTE, HOUR, minuteEnd > minuteMark ? minuteEnd : minuteMark);
  const hourMark = (await mark(ctx, HOUR)) ?? 0;
  out.days = await rollLevel(ctx, ids, HOUR, DAY, hourMark);
  return out;
}

/** Rolls buckets of `from` size into `to`-sized ones, for every `to` period ending by `completeThrough`. */
async function rollLevel(ctx: Ctx, ids: string[], from: number, to: number, completeThrough: number): Promise<number> {
  const end = Math.floor(completeThrough / to) * to;
  let start = await mark(ctx, to);
  if (start === null) {
    const oldest = await q(ctx).selectFrom('monitor_rollups').select((eb) => eb.fn.min('start').as('start')).where('size', '=', from).executeTakeFirst();
    start = oldest?.start != null ? Math.floor(Number(oldest.start) / to) * to : end;
  }
  if (end <= start) return 0;
  let written = 0;
  for (const part of chunks(ids)) {
    const rows = await q(ctx).selectFrom('monitor_rollups').selectAll().where('monitor_id', 'in', part).where('size', '=', from).where('start', '>=', start).where('start', '<', end).execute();
    const buckets = new Map<string, Rollup>();
    for (const r of rows) {
      const b = addTo(buckets, r.monitor_id, to, Math.floor(Number(r.start) / to) * to);
      b.checks += Number(r.checks);
      b.failures += Number(r.failures);
      b.degraded += Number(r.degraded);
      b.duration_sum += Number(r.duration_sum);
      b.duration_max = Math.max(b.duration_max, Number(r.duration_max));
      merge(b.hist, decodeHistogram(r.hist));
    }
    await withTransaction(ctx, (tx) => upsert(tx, [...buckets.values()]));
    written += buckets.size;
  }
  await setMark(ctx, to, end);
  return written;
}

/**
 * Deletes what has outlived its retention (monitoring.retention): raw results, then each roll-up
 * level. Walks monitors in chunks, each delete a range of one primary key, so it never scans the
 * table or holds the write lock long; SQLite reuses the freed pages (no VACUUM on the hot path).
 */
export async function pruneMonitorData(ctx: Ctx): Promise<number> {
  const now = ctx.clock.now();
  const { retention } = ctx.config.current.monitoring;
  const keep: [number, number][] = [
    [MINUTE, retention.minute],
    [HOUR, retention.hour],
    [DAY, retention.day],
  ];
  // Raw results not yet rolled up (the roll-up fell behind) are kept until they are.
  const rawCutoff = Math.min(now - retention.raw, (await mark(ctx, MINUTE)) ?? Number.POSITIVE_INFINITY);
  let removed = 0;
  for (const part of chunks(await monitorIds(ctx))) {
    removed += await withTransaction(ctx, async (tx) => {
      let n = Number((await q(tx).deleteFrom('monitor_results').where('monitor_id', 'in', part).where('at', '<', rawCutoff).executeTakeFirst()).numDeletedRows);
      for (const [size, ms] of keep) {
        n += Number((await q(tx).deleteFrom('monitor_rollups').where('monitor_id', 'in', part).where('size', '=', size).where('start', '<', now - ms).executeTakeFirst()).numDeletedRows);
      }
      return n;
    });
  }
  return removed;
}
