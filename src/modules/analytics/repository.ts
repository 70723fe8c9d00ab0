import { sql, type RawBuilder } from 'kysely';
import { SEVERITIES, type Severity } from '../../config/defaults.ts';
import { q } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';
import type { AnalyticsFilter } from './period.ts';

/** The KPI durations, as SQL over the incident row (aliased i). */
export const DURATIONS = {
  detect: sql<number>`i.triggered_at - i.detected_at`,
  acknowledge: sql<number>`i.acknowledged_at - i.triggered_at`,
  respond: sql<number>`i.responded_at - i.triggered_at`,
  resolve: sql<number>`i.resolved_at - i.triggered_at`,
  status_page_post: sql<number>`i.status_posted_at - i.detected_at`,
  stakeholder_notification: sql<number>`i.stakeholders_notified_at - i.triggered_at`,
} as const;
export type DurationName = keyof typeof DURATIONS;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
// Integers from the validated config and the clock, written into the SQL as literals: inside the
// CASE expressions below PostgreSQL would otherwise have to guess a parameter's type.
const lit = (n: number) => sql.lit(Math.round(n));
const flag = (cond: RawBuilder<unknown>) => sql<number>`sum(case when ${cond} then 1 else 0 end)`;

/**
 * Incidents in the filter: triggered in [from, to), not merged into another, not a drill's (their
 * response is real, their outage is not; ADR 0021), of the severities (all four spelled out, so
 * the (severity, triggered_at, …) index serves it as four range seeks) and, when given, affecting
 * the service.
 */
function incidentsIn(ctx: Ctx, f: AnalyticsFilter) {
  let qb = q(ctx)
    .selectFrom('incidents as i')
    .where('i.severity', 'in', f.severities ?? [...SEVERITIES])
    .where('i.triggered_at', '>=', f.from)
    .where('i.triggered_at', '<', f.to)
    .where('i.merged_into', 'is', null)
    .where('i.drill_run_id', 'is', null);
  // A probe of incident_services' primary key per incident, so the scan stays on the incidents index.
  if (f.service) qb = qb.where(({ exists, selectFrom }) => exists(selectFrom('incident_services as fs').select(sql.lit(1).as('one')).whereRef('fs.incident_id', '=', 'i.id').where('fs.service_id', '=', f.service!)));
  return qb;
}

/** A duration's values as one comma-separated text (nulls skipped); both engines have string_agg. */
const valuesOf = (d: RawBuilder<unknown>) => sql<string | null>`string_agg(cast(${d} as text), ',')`;

/** Per severity: how many incidents, and every value of each duration (as text, see values.ts). */
export async function durationValues(ctx: Ctx, f: AnalyticsFilter, names: DurationName[]): Promise<Map<Severity, { incidents: number; values: Record<string, string | null> }>> {
  const rows = await incidentsIn(ctx, f)
    .select(['i.severity', sql<number>`count(*)`.as('incidents'), ...names.map((name) => valuesOf(DURATIONS[name]).as(name))])
    .groupBy('i.severity')
    .execute();
  const out = new Map<Severity, { incidents: number; values: Record<string, string | null> }>();
  for (const r of rows as Record<string, unknown>[]) {
    out.set(r.severity as Severity, { incidents: num(r.incidents), values: Object.fromEntries(names.map((name) => [name, (r[name] as string | null) ?? null])) });
  }
  return out;
}

export interface QualityAggregate {
  incidents: number;
  accurate: number;
  ended: number;
  falsePositives: number;
  automated: number;
  resolvedOnce: number;
  reopened: number;
  statusEligible: number;
  statusWithin: number;
  notifiedEligible: number;
  notifiedWithin: number;
  /** Status-page times of posted customer-facing incidents, stakeholder times of told P0/P1 ones (values.ts). */
  statusTimes: string | null;
  notifiedTimes: string | null;
}

/** Everything the quality KPIs count, in one pass over the incidents in the filter. */
export async function qualityAggregates(ctx: Ctx, f: AnalyticsFilter, t: { grace: number; statusPage: number; stakeholders: number }): Promise<QualityAggregate> {
  const serious = sql`i.severity in ('P0', 'P1')`;
  const posted = sql`i.customer_facing = 1 and i.status_posted_at is not null`;
  const notified = sql`${serious} and i.stakeholders_notified_at is not null`;
  const row = (await incidentsIn(ctx, f)
    .select([
      sql<number>`count(*)`.as('incidents'),
      flag(sql`i.severity_changed_at is null or i.severity_changed_at <= i.triggered_at + ${lit(t.grace)}`).as('accurate'),
      sql<number>`count(i.resolution)`.as('ended'),
      flag(sql`i.resolution = 'not_an_incident'`).as('falsePositives'),
      flag(sql`i.source = 'automated'`).as('automated'),
      flag(sql`i.resolved_at is not null or i.reopen_count > 0`).as('resolvedOnce'),
      flag(sql`i.reopen_count > 0`).as('reopened'),
      valuesOf(sql`case when ${posted} then ${DURATIONS.status_page_post} end`).as('statusTimes'),
      flag(sql`i.customer_facing = 1 and ${serious}`).as('statusEligible'),
      flag(sql`i.customer_facing = 1 and ${serious} and ${DURATIONS.status_page_post} <= ${lit(t.statusPage)}`).as('statusWithin'),
      valuesOf(sql`case when ${notified} then ${DURATIONS.stakeholder_notification} end`).as('notifiedTimes'),
      flag(serious).as('notifiedEligible'),
      flag(sql`${serious} and ${DURATIONS.stakeholder_notification} <= ${lit(t.stakeholders)}`).as('notifiedWithin'),
    ])
    .executeTakeFirstOrThrow()) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, k.endsWith('Times') ? ((v as string | null) ?? null) : num(v)])) as unknown as QualityAggregate;
}

/** Postmortems and action items of the incidents in the filter, counted as of `f.now`. */
export async function postmortemAggregates(ctx: Ctx, f: AnalyticsFilter) {
  // Two independent reads: side by side on PostgreSQL's pool.
  const [pmRow, aiRow] = await Promise.all([
    incidentsIn(ctx, f)
      .innerJoin('postmortems as p', 'p.incident_id', 'i.id')
      .select([
        sql<number>`count(*)`.as('total'),
        flag(sql`p.status = 'completed'`).as('completed'),
        flag(sql`p.status = 'completed' or p.due_at <= ${lit(f.now)}`).as('due'),
        flag(sql`p.status = 'completed' and p.completed_at <= p.due_at`).as('onTime'),
        flag(sql`p.status <> 'completed' and p.due_at < ${lit(f.now)}`).as('overdue'),
        sql<number>`sum(case when p.status = 'completed' then p.completed_at - p.created_at else 0 end)`.as('completionSum'),
      ])
      .executeTakeFirstOrThrow(),
    incidentsIn(ctx, f)
      .innerJoin('action_items as a', 'a.incident_id', 'i.id')
      .select([
        sql<number>`count(*)`.as('total'),
        flag(sql`a.status = 'done'`).as('done'),
        flag(sql`a.status = 'wont_do'`).as('wontDo'),
        flag(sql`a.status in ('open', 'in_progress') and a.due_at < ${lit(f.now)}`).as('overdueOpen'),
      ])
      .executeTakeFirstOrThrow(),
  ]);
  const pm = pmRow as Record<string, unknown>;
  const ai = aiRow as Record<string, unknown>;
  const n = (r: Record<string, unknown>, k: string) => num(r[k]);
  return {
    postmortems: { total: n(pm, 'total'), completed: n(pm, 'completed'), due: n(pm, 'due'), onTime: n(pm, 'onTime'), overdue: n(pm, 'overdue'), completionSum: n(pm, 'completionSum') },
    actionItems: { total: n(ai, 'total'), done: n(ai, 'done'), wontDo: n(ai, 'wontDo'), overdueOpen: n(ai, 'overdueOpen') },
  };
}

export interface FingerprintCount {
  fingerprint: string;
  incidents: number;
  firstAt: number;
  lastAt: number;
}
const byCountThenName = <T extends { incidents: number }>(key: (x: T) => string) => (a: T, b: T) => b.incidents - a.incidents || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/** Fingerprints of the incidents in the filter with at least `min` incidents, most first (then by name). */
export async function fingerprintCounts(ctx: Ctx, f: AnalyticsFilter, opts: { min: number }): Promise<FingerprintCount[]> {
  const rows = await incidentsIn(ctx, f)
    .where('i.fingerprint', 'is not', null)
    .select(['i.fingerprint', sql<number>`count(*)`.as('n'), sql<number>`min(i.triggered_at)`.as('first_at'), sql<number>`max(i.triggered_at)`.as('last_at')])
    .groupBy('i.fingerprint')
    .having(sql`count(*)`, '>=', opts.min)
    .execute();
  return rows.map((r) => ({ fingerprint: r.fingerprint!, incidents: num(r.n), firstAt: num(r.first_at), lastAt: num(r.last_at) })).sort(byCountThenName((x) => x.fingerprint));
}

export interface RecurringPair extends FingerprintCount {
  service: string;
}

/** How the incidents of these fingerprints split over the services they affected. */
async function splitByService(ctx: Ctx, f: AnalyticsFilter, fingerprints: string[]): Promise<RecurringPair[]> {
  const rows = await incidentsIn(ctx, { ...f, service: null })
    .where('i.fingerprint', 'in', fingerprints)
    .innerJoin('incident_services as s', 's.incident_id', 'i.id')
    .select(['s.service_id', 'i.fingerprint', sql<number>`count(*)`.as('n'), sql<number>`min(i.triggered_at)`.as('first_at'), sql<number>`max(i.triggered_at)`.as('last_at')])
    .groupBy(['s.service_id', 'i.fingerprint'])
    .execute();
  return rows.map((r) => ({ service: r.service_id, fingerprint: r.fingerprint!, incidents: num(r.n), firstAt: num(r.first_at), lastAt: num(r.last_at) }));
}

/**
 * The `f.limit` service and fingerprint pairs with the most incidents (at least two), most first.
 * A pair never has more incidents than its fingerprint, so fingerprints are split by service in
 * order of their counts only until no later one could enter the list: a few small queries
 * instead of joining every incident to its services. `counted`: the fingerprints' counts (at
 * least two), when the caller has them.
 */
export async function recurringIncidents(ctx: Ctx, f: AnalyticsFilter, counted?: FingerprintCount[]): Promise<RecurringPair[]> {
  const counts = counted ?? (await fingerprintCounts(ctx, f, { min: 2 }));
  if (f.service) return counts.slice(0, f.limit).map((c) => ({ ...c, service: f.service! }));
  const order = byCountThenName<RecurringPair>((x) => `${x.service}\u0000${x.fingerprint}`);
  let out: RecurringPair[] = [];
  for (let i = 0; i < counts.length; i += 50) {
    if (out.length >= f.limit && out[f.limit - 1].incidents > counts[i].incidents) break;
    const pairs = await splitByService(ctx, f, counts.slice(i, i + 50).map((c) => c.fingerprint));
    out = [...out, ...pairs.filter((p) => p.incidents >= 2)].sort(order).slice(0, f.limit);
  }
  return out;
}

/** Per service: incidents and their summed duration (open ones up to `f.now`), in ms. */
export async function incidentTimePerService(ctx: Ctx, f: AnalyticsFilter) {
  // From the incidents (their index) to incident_services' primary key: no table row is read.
  let qb = incidentsIn(ctx, { ...f, service: null }).crossJoin('incident_services as s').whereRef('s.incident_id', '=', 'i.id');
  if (f.service) qb = qb.where('s.service_id', '=', f.service);
  const rows = await qb
    .select(['s.service_id', sql<number>`count(*)`.as('n'), sql<number>`sum(coalesce(i.resolved_at, ${lit(f.now)}) - i.triggered_at)`.as('ms')])
    .groupBy('s.service_id')
    .execute();
  return rows.map((r) => ({ service: r.service_id, incidents: num(r.n), ms: num(r.ms) }));
}

/**
 * Alert keys by how many alerts first fired in the period (then by key), with their events;
 * severity does not apply. Counted from the (first_seen_at, key) index alone; the events, which
 * change with every repeat and so stay out of that index, are read for the top keys only.
 */
export async function alertsFiringMost(ctx: Ctx, f: AnalyticsFilter) {
  let qb = q(ctx).selectFrom('alerts as a').where('a.first_seen_at', '>=', f.from).where('a.first_seen_at', '<', f.to);
  if (f.service) qb = qb.where('a.service_id', '=', f.service);
  const top = await qb
    .select(['a.integration_id', 'a.dedup_key', sql<number>`count(*)`.as('n')])
    .groupBy(['a.integration_id', 'a.dedup_key'])
    .orderBy(sql`count(*)`, 'desc')
    .orderBy('a.integration_id')
    .orderBy('a.dedup_key')
    .limit(f.limit)
    .execute();
  if (!top.length) return [];
  const events = await qb
    .where((eb) => eb.or(top.map((t) => eb.and([eb('a.integration_id', '=', t.integration_id), eb('a.dedup_key', '=', t.dedup_key)]))))
    .select(['a.integration_id', 'a.dedup_key', sql<number>`sum(a.event_count)`.as('events')])
    .groupBy(['a.integration_id', 'a.dedup_key'])
    .execute();
  const byKey = new Map(events.map((e) => [`${e.integration_id}\u0000${e.dedup_key}`, num(e.events)]));
  return top.map((r) => ({ integration: r.integration_id, dedupKey: r.dedup_key, alerts: num(r.n), events: byKey.get(`${r.integration_id}\u0000${r.dedup_key}`) ?? 0 }));
}

/** Incidents started per quarter hour (UTC), the unit every time zone's offset is a multiple of. */
export const QUARTER_HOUR = 900_000;
export async function incidentStartsPerQuarterHour(ctx: Ctx, f: AnalyticsFilter): Promise<{ start: number; n: number }[]> {
  const rows = await incidentsIn(ctx, f)
    .select([sql<number>`i.triggered_at / ${sql.lit(QUARTER_HOUR)}`.as('q'), sql<number>`count(*)`.as('n')])
    .groupBy(sql`i.triggered_at / ${sql.lit(QUARTER_HOUR)}`)
    .execute();
  return rows.map((r) => ({ start: num(r.q) * QUARTER_HOUR, n: num(r.n) }));
}
