import { q } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';
import { DAY, HOUR, MINUTE } from './rollups.ts';
import { chunks } from './repository.ts';

export interface Availability {
  checks: number;
  failures: number;
  degraded: number;
  /** Share of checks that were not down, in percent; null without checks. */
  uptime: number | null;
}

/** The periods uptime is reported over. */
export const UPTIME_PERIODS = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY, '90d': 90 * DAY, '365d': 365 * DAY } as const;
export type UptimePeriod = keyof typeof UPTIME_PERIODS;

/**
 * Availability of some monitors over [from, to): the coarsest roll-ups that fit the range (days,
 * then hours, then minutes), and raw results for the part not rolled yet. Edges are aligned to
 * whole minutes. Degraded counts as available.
 */
export async function availability(ctx: Ctx, monitorIds: string[], from: number, to: number): Promise<Availability> {
  const total: Availability = { checks: 0, failures: 0, degraded: 0, uptime: null };
  if (!monitorIds.length || to <= from) return total;
  const marks = new Map((await q(ctx).selectFrom('monitor_rollup_marks').selectAll().execute()).map((m) => [Number(m.size), Number(m.through)]));
  const rolledThrough = marks.get(MINUTE) ?? Math.floor(from / MINUTE) * MINUTE;
  // Finer roll-ups are kept for less time: where they are gone, the range starts at the coarser
  // bucket that holds `from` (a few checks more, rather than a partial hour or day missing).
  const { retention } = ctx.config.current.monitoring;
  const now = ctx.clock.now();
  const align = from < now - retention.hour ? DAY : from < now - retention.minute ? HOUR : MINUTE;
  const start = Math.floor(from / align) * align;
  const rolledEnd = Math.max(start, Math.min(to, rolledThrough));
  // Which bucket covers each stretch of the rolled part: the largest that fits and exists.
  const pick: { size: number; start: number }[] = [];
  for (let t = start; t < rolledEnd; ) {
    const size = [DAY, HOUR, MINUTE].find((s) => t % s === 0 && t + s <= rolledEnd && t + s <= (marks.get(s) ?? 0)) ?? MINUTE;
    pick.push({ size, start: t });
    t += size;
  }
  const wanted = new Set(pick.map((p) => `${p.size}:${p.start}`));
  for (const part of chunks(monitorIds)) {
    if (pick.length) {
      const rows = await q(ctx)
        .selectFrom('monitor_rollups')
        .select(['size', 'start', 'checks', 'failures', 'degraded'])
        .where('monitor_id', 'in', part)
        .where('start', '>=', start)
        .where('start', '<', rolledEnd)
        .execute();
      for (const r of rows) {
        if (!wanted.has(`${Number(r.size)}:${Number(r.start)}`)) continue;
        total.checks += Number(r.checks);
        total.failures += Number(r.failures);
        total.degraded += Number(r.degraded);
      }
    }
    if (to > rolledEnd) {
      const raw = await q(ctx)
        .selectFrom('monitor_results')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('monitor_id', 'in', part)
        .where('at', '>=', rolledEnd)
        .where('at', '<', to)
        .groupBy('status')
        .execute();
      for (const r of raw) {
        const n = Number(r.n);
        total.checks += n;
        if (Number(r.status) === 2) total.failures += n;
        if (Number(r.status) === 1) total.degraded += n;
      }
    }
  }
  total.uptime = total.checks ? Math.round(((total.checks - total.failures) / total.checks) * 1e6) / 1e4 : null;
  return total;
}

/** Availability over each standard period ending now. */
export async function uptimeReport(ctx: Ctx, monitorIds: string[]): Promise<Record<UptimePeriod, Availability>> {
  const now = ctx.clock.now();
  const out = {} as Record<UptimePeriod, Availability>;
  for (const [period, ms] of Object.entries(UPTIME_PERIODS) as [UptimePeriod, number][]) out[period] = await availability(ctx, monitorIds, now - ms, now);
  return out;
}

/** Time-based availability of a heartbeat: the share of the period it was not down, from its state changes. */
export interface TimeAvailability {
  down_seconds: number;
  /** In percent; null when the heartbeat had no state yet in the period. */
  uptime: number | null;
}

/** A heartbeat's availability per standard period: time spent down, from `monitor_changes`. */
export async function heartbeatUptimeReport(ctx: Ctx, monitorId: string): Promise<Record<UptimePeriod, TimeAvailability>> {
  const now = ctx.clock.now();
  const longest = Math.max(...Object.values(UPTIME_PERIODS));
  const changes = (await q(ctx).selectFrom('monitor_changes').select(['at', 'from_status', 'to_status']).where('monitor_id', '=', monitorId).where('at', '>=', now - longest).orderBy('id').execute()).map(
    (c) => ({ at: Number(c.at), from: c.from_status, to: c.to_status }),
  );
  const before = await q(ctx).selectFrom('monitor_changes').select(['to_status']).where('monitor_id', '=', monitorId).where('at', '<', now - longest).orderBy('id', 'desc').limit(1).executeTakeFirst();
  const out = {} as Record<UptimePeriod, TimeAvailability>;
  for (const [period, ms] of Object.entries(UPTIME_PERIODS) as [UptimePeriod, number][]) {
    const from = now - ms;
    // The state at `from`: the last change before it, else the first change's `from`.
    const earlier = changes.filter((c) => c.at < from);
    let status: string | null = earlier.length ? earlier[earlier.length - 1].to : (before?.to_status ?? changes.find((c) => c.at >= from)?.from ?? null);
    let since = from;
    let down = 0;
    let known = status !== null && status !== 'new' ? ms : 0;
    for (const c of changes.filter((x) => x.at >= from)) {
      if (status === 'down') down += c.at - since;
      if ((status === null || status === 'new') && c.to !== 'new') known = now - c.at;
      status = c.to;
      since = c.at;
    }
    if (status === 'down') down += now - since;
    out[period] = { down_seconds: Math.round(down / 1000), uptime: known > 0 ? Math.round((1 - down / known) * 1e6) / 1e4 : null };
  }
  return out;
}
