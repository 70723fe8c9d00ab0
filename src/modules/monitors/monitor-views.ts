import { z } from 'zod';
import type { MonitorConfig } from '../../config/monitors-schema.ts';
import type { FirebreakConfig } from '../../config/schema.ts';
import { q } from '../../db/transaction.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { DomainError, notFound } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { allStateRows, stateRows, STATUS_NAME, type MonitorStateRow } from './repository.ts';
import { DAY, HOUR, MINUTE } from './rollups.ts';
import { heartbeatUptimeReport, uptimeReport } from './uptime.ts';

const iso = (ms: number | null) => (ms === null ? null : isoTime(ms));

/** What a monitor checks, in words: never a heartbeat's key or an HTTP header (they may be secrets). */
function target(m: MonitorConfig): string {
  switch (m.type) {
    case 'http':
      return `${m.method} ${redactUrl(m.url)}`;
    case 'tcp':
      return `${m.host}:${m.port}`;
    case 'dns':
      return `${m.record_type} ${m.query}${m.resolver ? ` @${m.resolver}` : ''}`;
    case 'tls':
      return `${m.host}:${m.port}`;
    case 'backup_status':
      return `${m.format} status from ${m.command[0]}`;
    case 'replication_lag':
      return `lag at ${redactUrl(m.url)}`;
    case 'heartbeat':
      return m.period !== undefined ? `every ${m.period / 1000}s` : `cron "${m.cron}" ${m.time_zone}`;
  }
}

/** A URL without its user info or query values (tokens hide there). */
function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.username || u.password) {
    u.username = 'redacted';
    u.password = '';
  }
  for (const key of [...u.searchParams.keys()]) u.searchParams.set(key, 'redacted');
  return u.toString();
}

export function monitorView(m: MonitorConfig, s: MonitorStateRow | undefined) {
  const paused = s?.paused_at != null;
  return {
    id: m.id,
    name: m.name,
    type: m.type,
    service: m.service,
    target: target(m),
    severity: m.severity,
    depends_on: m.depends_on,
    canary: m.canary,
    interval_seconds: m.type === 'heartbeat' ? null : m.interval / 1000,
    status: paused ? 'paused' : (s?.status ?? 'new'),
    changed_at: iso(s?.changed_at ?? null),
    paused: paused ? { at: iso(s!.paused_at), by: s!.paused_by } : null,
    /** Why a problem was not paged: a parent monitor failing, or Firebreak's own network suspect. */
    held: s?.held ?? null,
    alerting: s?.signalled ?? null,
    last_check:
      s?.last_check_at != null
        ? {
            at: iso(s.last_check_at),
            status: s.last_status,
            reason: s.last_reason,
            message: s.last_message,
            duration_ms: s.last_duration_ms,
            http_status: s.last_http_status,
            phases_ms: s.last_phases ? (JSON.parse(s.last_phases) as Record<string, number>) : null,
          }
        : null,
    cert_expires_at: iso(s?.cert_expires_at ?? null),
    heartbeat:
      m.type === 'heartbeat'
        ? { last_ping_at: iso(s?.last_ping_at ?? null), last_start_at: iso(s?.last_start_at ?? null), last_run_ms: s?.last_run_ms ?? null, next_deadline_at: iso(s?.due_at ?? null), grace_seconds: m.grace / 1000 }
        : null,
  };
}
export type MonitorView = ReturnType<typeof monitorView>;

export function findMonitor(ctx: Pick<Ctx, 'config'>, id: string): MonitorConfig {
  const m = monitorsById(ctx.config.current).get(id);
  if (!m) throw notFound('monitor', id);
  return m;
}

export const listMonitorsQuery = z.strictObject({
  service: z.string().max(63).optional(),
  status: z.enum(['new', 'up', 'degraded', 'down', 'grace', 'paused']).optional(),
  type: z.enum(['http', 'tcp', 'dns', 'tls', 'heartbeat', 'backup_status', 'replication_lag']).optional(),
});

/** Every configured monitor with its current state, optionally filtered. */
export async function listMonitors(ctx: Ctx, query: z.infer<typeof listMonitorsQuery>): Promise<{ data: MonitorView[] }> {
  requireRole(ctx, 'viewer');
  const states = new Map((await allStateRows(ctx)).map((r) => [r.monitor_id, r]));
  const data = ctx.config.current.monitors
    .filter((m) => (!query.service || m.service === query.service) && (!query.type || m.type === query.type))
    .map((m) => monitorView(m, states.get(m.id)))
    .filter((v) => !query.status || v.status === query.status);
  return { data };
}

/** One monitor: its state, uptime over the standard periods, and its latest state changes. */
export async function getMonitor(ctx: Ctx, id: string) {
  requireRole(ctx, 'viewer');
  const m = findMonitor(ctx, id);
  const state = (await stateRows(ctx, [id])).get(id);
  const changes = await q(ctx).selectFrom('monitor_changes').selectAll().where('monitor_id', '=', id).orderBy('id', 'desc').limit(20).execute();
  return {
    ...monitorView(m, state),
    uptime: m.type === 'heartbeat' ? await heartbeatUptimeReport(ctx, id) : await uptimeReport(ctx, [id]),
    changes: changes.map((c) => ({ at: iso(Number(c.at)), from: c.from_status, to: c.to_status, reason: c.reason, message: c.message, signal_id: c.signal_id === null ? null : Number(c.signal_id), held: c.held })),
  };
}

export const resultsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** Only results before this time (ISO 8601), for paging back. */
  before: z.iso.datetime({ offset: true }).optional(),
});

/** A monitor's raw results, newest first (kept for monitoring.retention.raw). */
export async function monitorResults(ctx: Ctx, id: string, query: z.infer<typeof resultsQuery>) {
  requireRole(ctx, 'viewer');
  findMonitor(ctx, id);
  let select = q(ctx).selectFrom('monitor_results').selectAll().where('monitor_id', '=', id);
  if (query.before) select = select.where('at', '<', Date.parse(query.before));
  const rows = await select.orderBy('at', 'desc').limit(query.limit).execute();
  return {
    data: rows.map((r) => ({ at: isoTime(Number(r.at)), status: STATUS_NAME[Number(r.status)], duration_ms: Number(r.duration_ms), http_status: r.http_status === null ? null : Number(r.http_status), reason: r.reason, message: r.message })),
  };
}

const SIZES = { minute: MINUTE, hour: HOUR, day: DAY } as const;
export const rollupsQuery = z.strictObject({
  size: z.enum(['minute', 'hour', 'day']).default('hour'),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

/** A monitor's roll-ups of one size over a range (default: the last 24 h of hours, 48 h of minutes or 90 days). */
export async function monitorRollups(ctx: Ctx, id: string, query: z.infer<typeof rollupsQuery>) {
  requireRole(ctx, 'viewer');
  findMonitor(ctx, id);
  const size = SIZES[query.size];
  const to = query.to ? Date.parse(query.to) : ctx.clock.now();
  const from = query.from ? Date.parse(query.from) : to - { minute: 2 * HOUR, hour: DAY, day: 90 * DAY }[query.size];
  if (from > to) throw new DomainError('VALIDATION_FAILED', 'from must not be after to', { issues: [{ path: 'from', message: 'must not be after to' }] });
  const rows = await q(ctx).selectFrom('monitor_rollups').selectAll().where('monitor_id', '=', id).where('size', '=', size).where('start', '>=', from).where('start', '<', to).orderBy('start').limit(5000).execute();
  return {
    size: query.size,
    data: rows.map((r) => {
      const checks = Number(r.checks);
      const failures = Number(r.failures);
      return {
        start: isoTime(Number(r.start)),
        checks,
        failures,
        degraded: Number(r.degraded),
        uptime: checks ? Math.round(((checks - failures) / checks) * 1e6) / 1e4 : null,
        latency_ms: { avg: checks ? Math.round(Number(r.duration_sum) / checks) : null, p50: Number(r.p50), p95: Number(r.p95), max: Number(r.duration_max) },
      };
    }),
  };
}

/** A heartbeat's latest pings (bodies included, up to 10 KB each), newest first. */
export async function heartbeatPings(ctx: Ctx, id: string) {
  requireRole(ctx, 'viewer');
  const m = findMonitor(ctx, id);
  if (m.type !== 'heartbeat') throw new DomainError('VALIDATION_FAILED', `monitor ${id} is not a heartbeat`, { issues: [{ path: 'id', message: 'not a heartbeat' }] });
  const rows = await q(ctx).selectFrom('heartbeat_pings').selectAll().where('monitor_id', '=', id).orderBy('id', 'desc').limit(100).execute();
  return {
    data: rows.map((r) => ({ at: isoTime(Number(r.at)), kind: r.kind, exit_code: r.exit_code, rid: r.rid, duration_ms: r.duration_ms, method: r.method, remote_addr: r.remote_addr, user_agent: r.user_agent, body: r.body })),
  };
}

/** Availability of a service's probe monitors over the standard periods, against its target. */
export async function serviceUptime(ctx: Ctx, serviceId: string) {
  requireRole(ctx, 'viewer');
  const service = ctx.config.current.services.find((s) => s.id === serviceId);
  if (!service) throw notFound('service', serviceId);
  const monitors = ctx.config.current.monitors.filter((m) => m.service === serviceId && m.type !== 'heartbeat').map((m) => m.id);
  const report = await uptimeReport(ctx, monitors);
  return {
    service: serviceId,
    availability_target: service.availability_target,
    monitors,
    periods: Object.fromEntries(
      Object.entries(report).map(([period, a]) => [period, { ...a, meets_target: a.uptime === null ? null : a.uptime >= service.availability_target }]),
    ),
  };
}

const indexes = new WeakMap<FirebreakConfig, Map<string, MonitorConfig>>();
/** Monitors by id, indexed once per loaded config (the scheduler looks one up per check). */
export function monitorsById(config: FirebreakConfig): Map<string, MonitorConfig> {
  let index = indexes.get(config);
  if (!index) indexes.set(config, (index = new Map(config.monitors.map((m) => [m.id, m]))));
  return index;
}
