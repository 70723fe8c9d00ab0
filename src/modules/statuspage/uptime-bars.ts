import { q } from '../../db/transaction.ts';
import { addLocalDays, instantToLocal, localToInstant, parseLocalDate } from '../../lib/zoned-time.ts';
import type { Ctx } from '../context.ts';
import { HOUR } from '../monitors/rollups.ts';
import { componentMonitors } from './component-status.ts';
import type { UptimeDay } from './snapshot-types.ts';
import type { ComponentStatus, Impact } from './vocabulary.ts';

/**
 * One bar per day per showcased component, over the page's history (90 days by default), in the
 * page's time zone. A day's uptime is the lower of what its monitors measured (hourly roll-ups:
 * checks that were not down) and what its published status history says (a major outage counts
 * whole, a partial outage at 30%, as Statuspage counts it). Days before the component existed
 * have no bar (null).
 */
export async function loadUptimeBars(ctx: Ctx): Promise<Record<string, UptimeDay[]>> {
  const config = ctx.config.current;
  const page = config.status_page;
  const components = page.components.filter((c) => c.showcase);
  if (!components.length) return {};
  const now = ctx.clock.now();
  const zone = page.time_zone;
  const today = instantToLocal(now, zone);
  const midnight = { ...today, hour: 0, minute: 0 };
  const days = Array.from({ length: page.history_days }, (_, i) => addLocalDays(midnight, i - page.history_days + 1));
  const starts = days.map((d) => localToInstant(d, zone));
  const from = starts[0];
  const dayOf = (at: number) => {
    // Binary search: the last day starting at or before `at`.
    let lo = 0;
    let hi = starts.length - 1;
    if (at < from) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const dayEnd = (i: number) => (i + 1 < starts.length ? starts[i + 1] : now);
  const ids = components.map((c) => c.id);

  // Status history: each component's status at `from`, then every change since.
  const stored = new Map((await q(ctx).selectFrom('status_components').select(['id', 'status', 'created_at']).where('id', 'in', ids).execute()).map((r) => [r.id, r]));
  const changes = await q(ctx).selectFrom('status_component_changes').select(['component_id', 'at', 'from_status', 'to_status']).where('component_id', 'in', ids).where('at', '>=', from).orderBy('id').execute();
  const byComponent = new Map<string, { at: number; from: ComponentStatus; to: ComponentStatus }[]>();
  for (const c of changes) {
    let list = byComponent.get(c.component_id);
    if (!list) byComponent.set(c.component_id, (list = []));
    list.push({ at: Number(c.at), from: c.from_status as ComponentStatus, to: c.to_status as ComponentStatus });
  }

  // Monitor roll-ups per hour, per monitor.
  const monitorIds = [...new Set(components.flatMap((c) => componentMonitors(config, c)))];
  const rollups = new Map<string, { start: number; checks: number; failures: number }[]>();
  for (let i = 0; i < monitorIds.length; i += 200) {
    const rows = await q(ctx)
      .selectFrom('monitor_rollups')
      .select(['monitor_id', 'start', 'checks', 'failures'])
      .where('size', '=', HOUR)
      .where('monitor_id', 'in', monitorIds.slice(i, i + 200))
      .where('start', '>=', Math.floor(from / HOUR) * HOUR)
      .execute();
    for (const r of rows) {
      let list = rollups.get(r.monitor_id);
      if (!list) rollups.set(r.monitor_id, (list = []));
      list.push({ start: Number(r.start), checks: Number(r.checks), failures: Number(r.failures) });
    }
  }

  // Public incidents and maintenances that overlap the range.
  const incidents = (
    await q(ctx)
      .selectFrom('status_incidents')
      .select(['id', 'name', 'impact', 'components', 'started_at', 'resolved_at', 'kind', 'scheduled_for'])
      .where((eb) => eb.or([eb('resolved_at', 'is', null), eb('resolved_at', '>=', from)]))
      .where('started_at', '<=', now)
      .execute()
  ).map((inc) => ({ ...inc, affected: new Set(Object.keys(JSON.parse(inc.components) as Record<string, string>)) }));

  const out: Record<string, UptimeDay[]> = {};
  for (const c of components) {
    const row = stored.get(c.id);
    const list = byComponent.get(c.id) ?? [];
    const startDate = c.start_date ? parseLocalDate(c.start_date) : null;
    const born = startDate ? localToInstant({ ...startDate, hour: 0, minute: 0 }, zone) : row ? Number(row.created_at) : now;
    const bars: UptimeDay[] = days.map((d) => ({
      date: `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`,
      uptime: null,
      minutes: { major_outage: 0, partial_outage: 0, degraded_performance: 0, under_maintenance: 0 },
      incidents: [],
    }));
    // Walk the status history, adding each stretch's minutes to the days it covers.
    let status: ComponentStatus = list.length ? list[0].from : ((row?.status as ComponentStatus | undefined) ?? 'operational');
    let since = Math.max(from, born);
    const addStretch = (until: number) => {
      if (status === 'operational' || until <= since) return;
      for (let i = Math.max(0, dayOf(since)); i < days.length && starts[i] < until; i++) {
        const overlap = Math.min(until, dayEnd(i)) - Math.max(since, starts[i]);
        if (overlap > 0) bars[i].minutes[status] += overlap / 60_000;
      }
    };
    for (const ch of list) {
      addStretch(ch.at);
      status = ch.to;
      since = Math.max(ch.at, born);
    }
    addStretch(now);
    // Monitor availability per day.
    const checks = new Array<number>(days.length).fill(0);
    const failures = new Array<number>(days.length).fill(0);
    for (const m of componentMonitors(config, c)) {
      for (const r of rollups.get(m) ?? []) {
        const i = dayOf(r.start);
        if (i < 0) continue;
        checks[i] += r.checks;
        failures[i] += r.failures;
      }
    }
    for (const inc of incidents) {
      if (!inc.affected.has(c.id)) continue;
      const start = Number(inc.kind === 'maintenance' ? (inc.scheduled_for ?? inc.started_at) : inc.started_at);
      const end = inc.resolved_at === null ? now : Number(inc.resolved_at);
      for (let i = Math.max(0, dayOf(start)); i < days.length && starts[i] <= end; i++) bars[i].incidents.push({ id: inc.id, name: inc.name, impact: inc.impact as Impact | 'maintenance' });
    }
    bars.forEach((bar, i) => {
      if (dayEnd(i) <= born) return;
      const span = (dayEnd(i) - Math.max(starts[i], born)) / 60_000;
      const fromHistory = span > 0 ? 100 * (1 - Math.min(1, (bar.minutes.major_outage + 0.3 * bar.minutes.partial_outage) / span)) : 100;
      const fromMonitors = checks[i] > 0 ? (100 * (checks[i] - failures[i])) / checks[i] : 100;
      bar.uptime = Math.round(Math.min(fromHistory, fromMonitors) * 1000) / 1000;
      for (const k of Object.keys(bar.minutes) as (keyof UptimeDay['minutes'])[]) bar.minutes[k] = Math.round(bar.minutes[k]);
    });
    out[c.id] = bars;
  }
  return out;
}
