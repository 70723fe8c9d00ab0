import { isoTime } from '../../lib/iso-time.ts';
import { zoneClock } from '../../lib/zoned-time.ts';
import { requireRole, type Ctx } from '../context.ts';
import { toCsv } from './csv.ts';
import { periodView, resolveFilter } from './period.ts';
import { alertsFiringMost, fingerprintCounts, incidentStartsPerQuarterHour, incidentTimePerService, recurringIncidents } from './repository.ts';
import type { AnalyticsQueryInput, PatternsReport } from './schemas.ts';

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/**
 * What keeps happening: incidents recurring on a service with the same alert fingerprint, the
 * services with the most incident minutes, the alert keys that fire and page most, and when
 * incidents start (hour of week in `analytics.time_zone`).
 */
export async function patternsReport(ctx: Ctx, input: AnalyticsQueryInput): Promise<PatternsReport> {
  requireRole(ctx, 'viewer');
  const f = resolveFilter(ctx, input);
  const timeZone = ctx.config.current.analytics.time_zone;
  // The lists are independent reads: on PostgreSQL each takes its own pooled connection, so they
  // run side by side (SQLite has one connection and runs them in turn anyway).
  const [fingerprints, minutes, firing, starts] = await Promise.all([
    // One count per fingerprint serves both lists: recurring pairs start from it, paging drops user reports.
    fingerprintCounts(ctx, f, { min: 1 }),
    incidentTimePerService(ctx, f),
    alertsFiringMost(ctx, f),
    incidentStartsPerQuarterHour(ctx, f),
  ]);
  const recurring = await recurringIncidents(ctx, f, fingerprints.filter((c) => c.incidents >= 2));
  const paging = fingerprints.filter((c) => !c.fingerprint.startsWith('user_reports/')).slice(0, f.limit);
  // Counted per UTC quarter hour in SQL, placed in the zone's wall-clock hour here: daylight
  // saving moves the boundary twice a year, which no portable SQL expression knows.
  const counts = DAYS.map(() => new Array<number>(24).fill(0));
  const clock = zoneClock(timeZone, f.from, f.to);
  for (const { start, n } of starts) {
    const local = new Date(start + clock.offset(start));
    counts[(local.getUTCDay() + 6) % 7][local.getUTCHours()] += n;
  }
  return {
    period: periodView(f),
    time_zone: timeZone,
    recurring: recurring.map((r) => ({ service: r.service, fingerprint: r.fingerprint, incidents: r.incidents, first_at: isoTime(r.firstAt), last_at: isoTime(r.lastAt) })),
    incident_minutes: minutes
      .map((m) => ({ service: m.service, incidents: m.incidents, minutes: Math.round(m.ms / 6000) / 10 }))
      .sort((a, b) => b.minutes - a.minutes || a.service.localeCompare(b.service))
      .slice(0, f.limit),
    alerts_firing_most: firing.map((a) => ({ integration: a.integration, dedup_key: a.dedupKey, alerts: a.alerts, events: a.events })),
    alerts_paging_most: paging.map((p) => ({ fingerprint: p.fingerprint, incidents: p.incidents })),
    heat_map: { days: DAYS, counts },
  };
}

/** One long table: a `section` column says which list a line belongs to. */
export function patternsCsv(r: PatternsReport): string {
  const rows: unknown[][] = [
    ...r.recurring.map((x) => ['recurring', x.service, x.fingerprint, x.incidents, '', '', x.first_at, x.last_at, '', '']),
    ...r.incident_minutes.map((x) => ['incident_minutes', x.service, '', x.incidents, '', x.minutes, '', '', '', '']),
    ...r.alerts_firing_most.map((x) => ['alerts_firing_most', '', `${x.integration}/${x.dedup_key}`, x.alerts, x.events, '', '', '', '', '']),
    ...r.alerts_paging_most.map((x) => ['alerts_paging_most', '', x.fingerprint, x.incidents, '', '', '', '', '', '']),
    ...r.heat_map.counts.flatMap((hours, d) => hours.map((n, h) => ['heat_map', '', '', n, '', '', '', '', r.heat_map.days[d], h])),
  ];
  return toCsv(['section', 'service', 'key', 'incidents', 'events', 'minutes', 'first_at', 'last_at', 'day', 'hour'], rows);
}
