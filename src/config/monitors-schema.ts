import { z } from 'zod';
import { parseDuration } from '../lib/duration.ts';
import { parseJsonAssertion, type JsonAssertion } from '../lib/json-assertion.ts';
import { cronError } from '../lib/cron.ts';
import { findCycle } from '../lib/graph.ts';
import { parsePath } from '../lib/json-path.ts';
import { SEVERITIES } from './defaults.ts';
import { duration, slug } from './primitives.ts';

/**
 * Monitors declared in firebreak.yaml: HTTP(S), TCP, DNS, TLS-certificate checks that Firebreak
 * runs, and heartbeats that the user's jobs ping. Each is attached to a service; its confirmed
 * state changes become signals through the ingestion pipeline.
 */

const port = z.number().int().min(1).max(65535);
const host = z.string().min(1).max(253).regex(/^[A-Za-z0-9._:[\]-]+$/, 'must be a host name or IP address');

/** The integration id monitors' signals carry (reserved in the config). */
export const MONITORS_INTEGRATION_ID = 'monitors';
/** The integration id of Firebreak's own alerts (late escalations, undeliverable notifications): reserved. */
export const FIREBREAK_INTEGRATION_ID = 'firebreak';
export const MONITOR_DEFAULT_INTERVAL = 30_000;
/** A timeout is at most this, and always below the interval. */
export const MONITOR_DEFAULT_TIMEOUT = 10_000;
export const MONITOR_MIN_INTERVAL = 1000;

/** `200`, `"2xx"` or `"200-299"`. */
const statusMatcher = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^[1-5]xx$|^[1-5]\d\d-[1-5]\d\d$|^[1-5]\d\d$/, 'write a code (200), a class ("2xx") or a range ("200-299")'),
]);

const jsonAssertion = z.string().transform((text, ctx): JsonAssertion => {
  try {
    return parseJsonAssertion(text);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

const regex = z.string().min(1).max(512).transform((text, ctx) => {
  try {
    return new RegExp(text);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(e as Error).message}` });
    return z.NEVER;
  }
});

const common = {
  id: slug,
  name: z.string().min(1).max(200).optional(),
  service: slug,
  /** Severity of the alert when it goes down (degraded and certificate warnings are P3). */
  severity: z.enum(SEVERITIES).default('P2'),
  depends_on: z.array(slug).max(20).default([]),
  /** A canary's failure means Firebreak's own network is suspect (see the self-connectivity guard). */
  canary: z.boolean().default(false),
};
const probed = {
  interval: duration.default(MONITOR_DEFAULT_INTERVAL),
  timeout: duration.optional(),
  /** Consecutive results before the state changes: `down` failures to go down, `up` successes to come back. */
  confirm: z
    .strictObject({ down: z.number().int().min(1).max(20).default(3), up: z.number().int().min(1).max(20).default(2) })
    .default({ down: 3, up: 2 }),
};

const httpMonitor = z.strictObject({
  ...common,
  ...probed,
  type: z.literal('http'),
  url: z.url({ protocol: /^https?$/ }).max(2048),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid header name'), z.string().max(8192)).default({}),
  body: z.string().max(65_536).optional(),
  follow_redirects: z.boolean().default(true),
  max_redirects: z.number().int().min(0).max(20).default(5),
  verify_tls: z.boolean().default(true),
  /** Bytes of the response body read for assertions; the rest is discarded. */
  max_body_bytes: z.number().int().min(0).max(10 * 1024 * 1024).default(1024 * 1024),
  expect: z
    .strictObject({
      status: z.array(statusMatcher).min(1).default(['200-399']),
      body_contains: z.string().min(1).max(4096).optional(),
      body_not_contains: z.string().min(1).max(4096).optional(),
      body_matches: regex.optional(),
      json: z.array(jsonAssertion).max(32).default([]),
      /** Header name → text its value must contain (case-insensitive name). */
      headers: z.record(z.string().min(1).max(256), z.string().max(4096)).default({}),
      /** Slower than this is `degraded`, not down. */
      degraded_after: duration.optional(),
    })
    .default({ status: ['200-399'], json: [], headers: {} }),
});

const tcpMonitor = z.strictObject({
  ...common,
  ...probed,
  type: z.literal('tcp'),
  host,
  port,
  send: z.string().max(4096).optional(),
  /** Text the first bytes back must contain. */
  expect: z.string().min(1).max(4096).optional(),
});

export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'SRV', 'PTR', 'SOA', 'CAA'] as const;
export const DNS_RCODES = ['NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED'] as const;
const dnsMonitor = z.strictObject({
  ...common,
  ...probed,
  type: z.literal('dns'),
  query: host,
  record_type: z.enum(DNS_RECORD_TYPES).default('A'),
  /** `host` or `host:port`; the system's resolvers when absent. */
  resolver: z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be host or host:port').optional(),
  /** Answers that must all be present (exact, case-insensitive). */
  expect: z.array(z.string().min(1).max(1024)).max(32).default([]),
  rcode: z.enum(DNS_RCODES).default('NOERROR'),
});

const tlsMonitor = z.strictObject({
  ...common,
  ...probed,
  type: z.literal('tls'),
  host,
  port: port.default(443),
  servername: host.optional(),
  verify: z.boolean().default(true),
  /** Fewer days than this left: a low-severity warning. */
  warn_days: z.number().min(0).max(3650).default(14),
  /** Fewer days than this left: down. */
  critical_days: z.number().min(0).max(3650).default(7),
});

const heartbeatMonitor = z.strictObject({
  ...common,
  type: z.literal('heartbeat'),
  /** The secret part of the ping URL (/ping/<key>); 16–128 of A–Z a–z 0–9 _ -. */
  key: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'must be 16–128 characters of A–Z, a–z, 0–9, "_" or "-"'),
  /** Expected time between pings; or `cron` with `time_zone`. */
  period: duration.optional(),
  cron: z.string().min(9).max(200).optional(),
  time_zone: z.string().default('UTC'),
  /** How late a ping may be before the heartbeat is down. */
  grace: duration.default(60 * 60_000),
  /**
   * The job is a backup (or other copy) of the service's data: its pings' restorable points (or,
   * without one, the run's start) count toward the service's RPO exposure.
   */
  recovery_point: z.boolean().default(false),
});

const jsonPath = z.string().transform((text, ctx) => {
  try {
    return { text, path: parsePath(text.replace(/^\$\.?/, '')) };
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `invalid JSON path: ${(e as Error).message}` });
    return z.NEVER;
  }
});

/** A backup tool's status is read every 15 minutes, with up to a minute to answer, unless set. */
export const BACKUP_STATUS_DEFAULT_INTERVAL = 15 * 60_000;
const BACKUP_STATUS_DEFAULT_TIMEOUT = 60_000;
/** Output formats a backup_status command may print. */
export const BACKUP_STATUS_FORMATS = ['restic', 'pgbackrest', 'json'] as const;
const backupStatusMonitor = z.strictObject({
  ...common,
  ...probed,
  interval: duration.default(BACKUP_STATUS_DEFAULT_INTERVAL),
  type: z.literal('backup_status'),
  /** Program and arguments, run without a shell: `[restic, snapshots, --json, --latest, "1"]`. */
  command: z.array(z.string().min(1).max(4096)).min(1).max(64),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a valid environment variable name'), z.string().max(8192)).default({}),
  cwd: z.string().min(1).max(1024).optional(),
  /** restic (`snapshots --json`), pgbackrest (`info --output=json`) or json (with `json_path`). */
  format: z.enum(BACKUP_STATUS_FORMATS),
  /** pgBackRest: only this stanza (all stanzas' newest backup otherwise). */
  stanza: z.string().min(1).max(200).optional(),
  /** json: where the restorable point is (ISO 8601 or epoch seconds), e.g. `last.finished_at`. */
  json_path: jsonPath.optional(),
  /** json: where the size in bytes is, if anywhere. */
  size_path: jsonPath.optional(),
  /** Counts toward the service's RPO exposure (the point of this check). */
  recovery_point: z.boolean().default(true),
});

const replicationLagMonitor = z.strictObject({
  ...common,
  ...probed,
  type: z.literal('replication_lag'),
  /** `postgres://…` (runs `query`) or `http(s)://…` (reads a number, at `json_path` when given). */
  url: z.url({ protocol: /^(postgres|postgresql|https?)$/ }).max(2048),
  /** PostgreSQL: a query whose first column of the first row is the lag. */
  query: z.string().min(1).max(4096).optional(),
  json_path: jsonPath.optional(),
  /** The unit of the number the query or endpoint returns. */
  unit: z.enum(['seconds', 'milliseconds']).default('seconds'),
  /** Lag above this is degraded; without it, 80% of the service's RPO. */
  degraded_after: duration.optional(),
  /** Lag above this is down; without it, the service's RPO. */
  down_after: duration.optional(),
  /** Counts toward the service's RPO exposure: the replica's data is that far behind. */
  recovery_point: z.boolean().default(true),
});

export const monitorSchema = z.discriminatedUnion('type', [httpMonitor, tcpMonitor, dnsMonitor, tlsMonitor, heartbeatMonitor, backupStatusMonitor, replicationLagMonitor]);
export type RawMonitorConfig = z.output<typeof monitorSchema>;
export type HttpMonitorConfig = z.output<typeof httpMonitor> & ProbeTiming;
export type TcpMonitorConfig = z.output<typeof tcpMonitor> & ProbeTiming;
export type DnsMonitorConfig = z.output<typeof dnsMonitor> & ProbeTiming;
export type TlsMonitorConfig = z.output<typeof tlsMonitor> & ProbeTiming;
export type HeartbeatMonitorConfig = z.output<typeof heartbeatMonitor> & { name: string };
export type BackupStatusMonitorConfig = z.output<typeof backupStatusMonitor> & ProbeTiming;
export type ReplicationLagMonitorConfig = z.output<typeof replicationLagMonitor> & ProbeTiming;
export type ProbeMonitorConfig = HttpMonitorConfig | TcpMonitorConfig | DnsMonitorConfig | TlsMonitorConfig | BackupStatusMonitorConfig | ReplicationLagMonitorConfig;
export type MonitorConfig = ProbeMonitorConfig | HeartbeatMonitorConfig;
export type MonitorType = MonitorConfig['type'];
interface ProbeTiming {
  name: string;
  timeout: number;
}

export const monitoringSchema = z.strictObject({
  /** Checks in flight at once on one node. */
  concurrency: z.number().int().min(1).max(10_000).default(1000),
  retention: z
    .strictObject({
      raw: duration.default(24 * 3_600_000),
      minute: duration.default(48 * 3_600_000),
      hour: duration.default(90 * 86_400_000),
      day: duration.default(800 * 86_400_000),
    })
    .default({ raw: 24 * 3_600_000, minute: 48 * 3_600_000, hour: 90 * 86_400_000, day: 800 * 86_400_000 }),
  /** Suspect Firebreak's own network when at least this share of (at least min_monitors) probes fail at once. */
  guard: z
    .strictObject({ failing_share: z.number().gt(0).max(1).default(0.5), min_monitors: z.number().int().min(2).default(10) })
    .default({ failing_share: 0.5, min_monitors: 10 }),
  /** Heartbeat pings per minute per check before 429 (state changes are kept all the same). */
  ping_rate_per_minute: z.number().int().min(1).max(100_000).default(600),
});
export type MonitoringConfig = z.output<typeof monitoringSchema>;

export const MONITORING_DEFAULTS: MonitoringConfig = monitoringSchema.parse({});

/** Fills names and timeouts: a timeout defaults to 10 s and is always below the interval. */
export function finishMonitor(m: RawMonitorConfig): MonitorConfig {
  const name = m.name ?? m.id;
  if (m.type === 'heartbeat') return { ...m, name };
  const fallback = m.type === 'backup_status' ? BACKUP_STATUS_DEFAULT_TIMEOUT : MONITOR_DEFAULT_TIMEOUT;
  return { ...m, name, timeout: m.timeout ?? Math.min(fallback, Math.floor(m.interval * 0.8)) };
}

/** Ids, services, dependencies, keys, timeouts and schedules that only make sense together. */
export function crossCheckMonitors(raw: unknown, isTimeZone: (tz: string) => boolean): { path: PropertyKey[]; message: string }[] {
  const issues: { path: PropertyKey[]; message: string }[] = [];
  const integrations = (raw as { integrations?: unknown })?.integrations;
  // Monitors' signals arrive as this integration.
  if (Array.isArray(integrations)) {
    integrations.forEach((i, n) => {
      const id = (i as { id?: unknown } | null)?.id;
      if (id === MONITORS_INTEGRATION_ID) issues.push({ path: ['integrations', n, 'id'], message: `"${MONITORS_INTEGRATION_ID}" is reserved for Firebreak's own monitors` });
      if (id === FIREBREAK_INTEGRATION_ID) issues.push({ path: ['integrations', n, 'id'], message: '"firebreak" is reserved for Firebreak\'s own alerts' });
    });
  }
  const list = (raw as { monitors?: unknown })?.monitors;
  if (!Array.isArray(list)) return issues;
  const rawServices = (raw as { services?: unknown })?.services;
  const services = new Set(Array.isArray(rawServices) ? rawServices.map((s) => s?.id).filter((id): id is string => typeof id === 'string') : []);
  const ids = new Map<string, number>();
  const keys = new Map<string, number>();
  list.forEach((m, i) => {
    const { id, key } = (m ?? {}) as { id?: unknown; key?: unknown };
    if (typeof id === 'string') {
      // /api/v1/monitors/scheduler is the scheduler's own route.
      if (id === 'scheduler') issues.push({ path: ['monitors', i, 'id'], message: '"scheduler" is reserved (GET /api/v1/monitors/scheduler)' });
      if (ids.has(id)) issues.push({ path: ['monitors', i, 'id'], message: `duplicate monitor id "${id}" (first at monitors[${ids.get(id)}])` });
      else ids.set(id, i);
    }
    if (typeof key === 'string') {
      if (keys.has(key)) issues.push({ path: ['monitors', i, 'key'], message: `duplicate heartbeat key (the same key as monitors[${keys.get(key)}])` });
      else keys.set(key, i);
    }
  });
  const deps = new Map<string, string[]>();
  list.forEach((m, i) => {
    const mon = (m ?? {}) as Record<string, unknown>;
    const at = (field: PropertyKey, ...rest: PropertyKey[]) => ['monitors', i, field, ...rest];
    if (typeof mon.service === 'string' && !services.has(mon.service)) issues.push({ path: at('service'), message: `unknown service "${mon.service}"` });
    if (Array.isArray(mon.depends_on)) {
      mon.depends_on.forEach((d, j) => {
        if (d === mon.id) issues.push({ path: at('depends_on', j), message: `monitor "${d}" cannot depend on itself` });
        else if (typeof d === 'string' && !ids.has(d)) issues.push({ path: at('depends_on', j), message: `unknown monitor "${d}"` });
      });
      if (typeof mon.id === 'string') deps.set(mon.id, mon.depends_on.filter((d): d is string => typeof d === 'string' && d !== mon.id));
    }
    if (mon.type === 'heartbeat') {
      if ((mon.period === undefined) === (mon.cron === undefined)) issues.push({ path: at(mon.cron === undefined ? 'period' : 'cron'), message: 'give either period or cron (with time_zone), not both' });
      if (typeof mon.time_zone === 'string' && !isTimeZone(mon.time_zone)) issues.push({ path: at('time_zone'), message: `unknown IANA time zone "${mon.time_zone}"` });
      if (typeof mon.cron === 'string') {
        const problem = cronError(mon.cron);
        if (problem) issues.push({ path: at('cron'), message: problem });
      }
      if (typeof mon.period === 'string' && (parseDuration(mon.period) ?? 1) < 1000) issues.push({ path: at('period'), message: 'must be at least 1s' });
      return;
    }
    const interval = typeof mon.interval === 'string' ? parseDuration(mon.interval) : mon.type === 'backup_status' ? BACKUP_STATUS_DEFAULT_INTERVAL : MONITOR_DEFAULT_INTERVAL;
    const timeout = typeof mon.timeout === 'string' ? parseDuration(mon.timeout) : null;
    if (interval !== null && interval < MONITOR_MIN_INTERVAL) issues.push({ path: at('interval'), message: 'must be at least 1s' });
    if (interval !== null && timeout !== null && timeout >= interval) issues.push({ path: at('timeout'), message: `must be below the interval (${mon.interval ?? (mon.type === 'backup_status' ? '15m' : '30s')})` });
    if (timeout !== null && timeout < 100) issues.push({ path: at('timeout'), message: 'must be at least 100ms' });
    if (mon.type === 'backup_status') {
      if (mon.format === 'json' && mon.json_path === undefined) issues.push({ path: at('json_path'), message: 'format "json" needs json_path (where the restorable point is)' });
      if (mon.format !== 'json' && (mon.json_path !== undefined || mon.size_path !== undefined)) issues.push({ path: at(mon.json_path !== undefined ? 'json_path' : 'size_path'), message: 'only for format "json"' });
      if (mon.format !== 'pgbackrest' && mon.stanza !== undefined) issues.push({ path: at('stanza'), message: 'only for format "pgbackrest"' });
    }
    if (mon.type === 'replication_lag' && typeof mon.url === 'string') {
      const sqlUrl = /^postgres(ql)?:/i.test(mon.url);
      if (sqlUrl && mon.query === undefined) issues.push({ path: at('query'), message: 'a postgres:// url needs query (its first column is the lag)' });
      if (!sqlUrl && mon.query !== undefined) issues.push({ path: at('query'), message: 'only for a postgres:// url' });
      if (sqlUrl && mon.json_path !== undefined) issues.push({ path: at('json_path'), message: 'only for an http(s):// url' });
      const d = typeof mon.degraded_after === 'string' ? parseDuration(mon.degraded_after) : null;
      const x = typeof mon.down_after === 'string' ? parseDuration(mon.down_after) : null;
      if (d !== null && x !== null && d > x) issues.push({ path: at('degraded_after'), message: 'must not be more than down_after' });
    }
    if (mon.type === 'tls' && typeof mon.warn_days === 'number' && typeof mon.critical_days === 'number' && mon.critical_days > mon.warn_days) {
      issues.push({ path: at('critical_days'), message: 'must not be more than warn_days' });
    }
  });
  const cycle = findCycle([...deps].map(([id, depends_on]) => ({ id, depends_on })));
  if (cycle) issues.push({ path: ['monitors', ids.get(cycle[0]) ?? 0, 'depends_on'], message: `dependency cycle: ${cycle.join(' → ')}` });
  return issues;
}
