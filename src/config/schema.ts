import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseDuration } from '../lib/duration.ts';
import { findCycle } from '../lib/graph.ts';
import { parsePath, type PathSegment } from '../lib/json-path.ts';
import { duration, slug } from './primitives.ts';
import { finishMonitor, monitoringSchema, MONITORING_DEFAULTS, monitorSchema, type MonitorConfig, type MonitoringConfig } from './monitors-schema.ts';
import { oncallSchemaFields, type ChannelConfig, type EscalationPolicyConfig, type NotificationsConfig, type ScheduleConfig, type StakeholderGroupConfig, type Urgency, type UserConfig } from './oncall-schema.ts';
import { statusPageSchema, STATUS_PAGE_DEFAULTS, type StatusPageConfig } from './statuspage-schema.ts';
import { isTimeZone } from './time-zone.ts';
export { isTimeZone };
import { finishRecovery, recoverySchema, serviceRecoverySchema, type RecoveryConfig } from './recovery-schema.ts';
import { analyticsSchema, postmortemsSchema, resolutionSchema, type AnalyticsConfig, type PostmortemsConfig, type ResolutionConfig } from './learning-schema.ts';
import { backupsSchema, finishBackups, type BackupsConfig } from './backup-schema.ts';
import { drillsSectionSchema, finishDrills, type DrillsConfig } from './drill-schema.ts';
import { finishRunbooks, incidentRulesSchema, runbooksSectionSchema, type IncidentRuleConfig, type RunbooksConfig } from './runbook-schema.ts';
import { DEFAULT_SEVERITIES, SERVICE_TIERS, SEVERITIES, type Severity } from './defaults.ts';

const timeZone = z.string().refine(isTimeZone, { error: (iss) => `unknown IANA time zone "${String(iss.input)}"` });

const serviceSchema = z.strictObject({
  id: slug,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  tier: z.enum(SERVICE_TIERS),
  owners: z.array(z.string().min(1).max(200)).default([]),
  depends_on: z.array(slug).default([]),
  customer_facing: z.boolean().default(false),
  user_share: z.number().min(0).max(1).default(0),
  /** Availability the service's monitors are measured against, in percent; by tier when absent. */
  availability_target: z.number().min(0).max(100).optional(),
  /** Who is paged for its incidents; absent: the policy with id `default`, if declared. */
  escalation_policy: slug.optional(),
  /** Its recovery objectives where they differ from its tier's RTO and its data class's RPO. */
  recovery: serviceRecoverySchema.optional(),
});

/** The plan's availability targets per tier (99.99% for production-critical services). */
export const DEFAULT_AVAILABILITY_TARGET: Record<(typeof SERVICE_TIERS)[number], number> = { p0: 99.99, p1: 99.95, p2: 99.9, p3: 99.5 };

const severityOverride = z.strictObject({
  name: z.string().min(1).optional(),
  definition: z.string().min(1).optional(),
  examples: z.array(z.string()).optional(),
  response_target: duration.optional(),
  ack_target: duration.optional(),
  resolve_target: duration.optional(),
  update_cadence: duration.optional(),
  escalation: z.string().optional(),
  notify: z.array(z.strictObject({ group: slug, within: duration })).optional(),
  public: z.boolean().optional(),
  /** How people are reached: `high` wakes them (their high-urgency rules), `low` does not. */
  urgency: z.enum(['high', 'low']).optional(),
  /** Whether an unacknowledged page moves past the first level of the escalation policy. */
  escalate: z.boolean().optional(),
});

/** PagerDuty's four alert severities, mapped to P0–P3 per integration. */
export const PD_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type PdSeverity = (typeof PD_SEVERITIES)[number];
/** Where each PagerDuty severity lands unless an integration says otherwise. */
export const DEFAULT_PD_SEVERITY_MAP: Record<PdSeverity, Severity> = { critical: 'P1', error: 'P2', warning: 'P3', info: 'P3' };

/** Alertmanager label values → Firebreak severity unless an integration says otherwise; `default` catches the rest. */
export const DEFAULT_ALERTMANAGER_SEVERITY_MAP: Record<string, Severity> = { critical: 'P1', error: 'P2', warning: 'P3', info: 'P3', default: 'P3' };

// The key is the credential; messages about it must never repeat it.
const integrationKey = z
  .string()
  .min(16, 'must be at least 16 characters')
  .max(128, 'must be at most 128 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
/** A Prometheus label name. */
const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Prometheus label name');
/**
 * Requests an integration may make per minute (per node) before it is answered 429. High by
 * default: Firebreak is the user's own server and must not throttle a real alert storm.
 */
export const DEFAULT_INTEGRATION_PER_MINUTE = 6000;
const integrationRateLimit = z
  .strictObject({ per_minute: z.number().int().min(1).max(1_000_000).default(DEFAULT_INTEGRATION_PER_MINUTE) })
  .default({ per_minute: DEFAULT_INTEGRATION_PER_MINUTE });

/** Fields every integration has: who it is, its key and its rate limit. */
/**
 * When every alert of an incident has resolved at the source: the incident moves to `monitoring`
 * at once and to `resolved` after `quiet_period` with no alert firing again. Absent: never.
 */
const autoResolve = z.strictObject({ quiet_period: duration.default(10 * 60_000) }).optional();

const integrationBase = { id: slug, name: z.string().min(1).max(200), key: integrationKey, rate_limit: integrationRateLimit, auto_resolve: autoResolve };

const eventsV2IntegrationSchema = z.strictObject({
  ...integrationBase,
  type: z.literal('events_v2'),
  service: slug,
  severity: z
    .strictObject({
      critical: z.enum(SEVERITIES).optional(),
      error: z.enum(SEVERITIES).optional(),
      warning: z.enum(SEVERITIES).optional(),
      info: z.enum(SEVERITIES).optional(),
    })
    .optional(),
});

/** A Prometheus Alertmanager webhook receiver (payload version 4). */
const alertmanagerIntegrationSchema = z.strictObject({
  ...integrationBase,
  type: z.literal('alertmanager'),
  /** The default service, for alerts whose service label names no configured service. */
  service: slug,
  service_label: labelName.optional(),
  severity_label: labelName.optional(),
  /** Label value → severity; the key `default` applies to values not listed (and to a missing label). */
  severity: z.record(z.string().min(1).max(200), z.enum(SEVERITIES)).optional(),
});

/** A Grafana Alerting webhook contact point (payload version 1): labels as for Alertmanager. */
const grafanaIntegrationSchema = alertmanagerIntegrationSchema.extend({ type: z.literal('grafana') });

/** Where an incoming status word is firing or resolved, unless an integration says otherwise. */
export const DEFAULT_STATUS_VALUES = {
  firing: ['firing', 'alert', 'triggered', 'down', 'ALARM', 'trigger'],
  resolved: ['resolved', 'ok', 'OK', 'up', 'recovered', 'resolve'],
};
/** A path into a JSON body (see src/lib/json-path.ts), checked when the config loads. */
const jsonPath = z.string().superRefine((path, ctx) => {
  try {
    parsePath(path);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `bad path: ${(e as Error).message}` });
  }
});
const statusWords = z.array(z.string().min(1).max(200)).min(1).max(50);

/** A generic JSON webhook: where the alert's fields are is declared by paths. */
const genericIntegrationSchema = z.strictObject({
  ...integrationBase,
  type: z.literal('generic'),
  /** The default service, for alerts whose mapped service names no configured service. */
  service: slug,
  mapping: z.strictObject({
    summary: jsonPath,
    dedup_key: jsonPath,
    status: jsonPath,
    severity: jsonPath.optional(),
    service: jsonPath.optional(),
    timestamp: jsonPath.optional(),
    source: jsonPath.optional(),
  }),
  /** Paths whose string value is itself JSON (an SNS `Message`), parsed before mapping, in order. */
  parse_json: z.array(jsonPath).max(20).optional(),
  status_values: z.strictObject({ firing: statusWords.optional(), resolved: statusWords.optional() }).optional(),
  /** Mapped severity value → severity; `default` applies to values not listed (and to none). */
  severity: z.record(z.string().min(1).max(200), z.enum(SEVERITIES)).optional(),
});

const integrationSchema = z.discriminatedUnion('type', [eventsV2IntegrationSchema, alertmanagerIntegrationSchema, grafanaIntegrationSchema, genericIntegrationSchema]);

/** An anchored regular expression, checked when the config loads. */
const regex = z.string().min(1).max(256).superRefine((pattern, ctx) => {
  try {
    new RegExp(`^(?:${pattern})$`);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `bad regular expression: ${(e as Error).message}` });
  }
});
const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1).max(100)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

/**
 * One severity rule: every condition given must hold (absent ones always do). Conditions on the
 * alert (integration, service, source, the sender's severity word, labels) and on its impact
 * (score and the figures it is made of).
 */
const severityRuleSchema = z.strictObject({
  name: z.string().min(1).max(100),
  match: z
    .strictObject({
      integration: oneOrMany(slug).optional(),
      service: oneOrMany(slug).optional(),
      /** A regular expression the whole `source` must match. */
      source: regex.optional(),
      /** The sender's own severity word (critical, error, warning, info, or a label value). */
      severity: oneOrMany(z.string().min(1).max(200)).optional(),
      /** Label name → regular expression the whole value must match (a missing label is ""). */
      labels: z.record(z.string().min(1).max(100), regex).optional(),
      impact: z
        .strictObject({
          min_score: z.number().min(0).max(100).optional(),
          tier: oneOrMany(z.enum(SERVICE_TIERS)).optional(),
          customer_facing: z.boolean().optional(),
          min_user_share: z.number().min(0).max(1).optional(),
          min_services: z.number().int().min(1).max(10_000).optional(),
        })
        .optional(),
    })
    .default({}),
  /** The severity this rule gives, or `impact`: the severity the impact score gives. */
  severity: z.union([z.enum(SEVERITIES), z.literal('impact')]),
});

/** Impact score (0–100) at or above which the impact gives each severity; below P2's, P3. */
const impactThresholds = z
  .strictObject({ P0: z.number().min(0).max(100).default(80), P1: z.number().min(0).max(100).default(60), P2: z.number().min(0).max(100).default(35) })
  .default({ P0: 80, P1: 60, P2: 35 })
  .refine((t) => t.P0 >= t.P1 && t.P1 >= t.P2, 'thresholds must not increase from P0 to P2');

/** A duration rule: an incident still open at `severity` after `open_for` is raised to `raise_to`. */
const durationRuleSchema = z
  .strictObject({ severity: z.enum(SEVERITIES), open_for: duration, raise_to: z.enum(SEVERITIES) })
  .refine((r) => r.raise_to < r.severity, { message: 'raise_to must be more severe than severity', path: ['raise_to'] });

/** How alerts become incidents of a severity: ordered rules, impact thresholds, duration rules. */
const classificationSchema = z.strictObject({
  rules: z.array(severityRuleSchema).max(500).default([]),
  impact_thresholds: impactThresholds,
  duration_rules: z.array(durationRuleSchema).max(50).default([]),
});

/** How a new alert finds the incident it belongs to. */
const correlationSchema = z.strictObject({
  /** Join the open incident on the service only if it saw activity this recently; absent: any open incident. */
  group_window: duration.optional(),
  /** Join an open incident on a service this one depends on (transitively), and absorb dependents' incidents. */
  dependencies: z.boolean().default(true),
  /** A new alert on an incident someone has acknowledged asks for its responders to be paged again. */
  renotify_acknowledged: z.boolean().default(false),
});

/** An alert key that changes state more than `changes` times within `window` is flapping. */
const flappingSchema = z.strictObject({
  changes: z.number().int().min(2).max(1000).default(6),
  window: duration.default(30 * 60_000),
});

/** Raw signals are kept 30 days by default; at least an hour, so a restart never prunes what it needs. */
const SIGNAL_RETENTION_DEFAULT = 30 * 24 * 3_600_000;
const SIGNAL_RETENTION_MIN = 3_600_000;

/**
 * Signal intake. A receiver stores each signal durably, then waits up to `wait_for_processing`
 * for it to be applied before answering (it normally is, in the same commit): in a storm the answer
 * is not held up by the work queued ahead of it. Applied signals (the raw events as received) are
 * deleted after `signal_retention`; alerts and incidents stay.
 */
const ingestSchema = z.strictObject({
  wait_for_processing: duration.default(50),
  signal_retention: duration
    .refine((ms) => ms >= SIGNAL_RETENTION_MIN, { error: 'must be at least 1h' })
    .default(SIGNAL_RETENTION_DEFAULT),
});

/** In-app user reports: how they group per service and when a group opens an incident. */
const reportsSchema = z.strictObject({
  window: duration.default(15 * 60_000),
  threshold: z.number().int().min(1).max(1000).default(3),
  severity: z.enum(SEVERITIES).default('P3'),
  anonymous: z
    .strictObject({
      enabled: z.boolean().default(true),
      rate_limit: z.strictObject({ per_minute: z.number().int().min(1).max(10_000).default(10) }).default({ per_minute: 10 }),
    })
    .default({ enabled: true, rate_limit: { per_minute: 10 } }),
});

export const configSchema = z
  .strictObject({
    version: z.literal(1).default(1),
    organisation: z.strictObject({
      name: z.string().min(1).max(200),
      public_url: z.url({ protocol: /^https?$/ }).default('http://localhost:8080'),
      time_zone: timeZone.default('UTC'),
    }),
    services: z.array(serviceSchema).default([]),
    severities: z
      .strictObject({ P0: severityOverride.optional(), P1: severityOverride.optional(), P2: severityOverride.optional(), P3: severityOverride.optional() })
      .default({}),
    integrations: z.array(integrationSchema).default([]),
    reports: reportsSchema.default({ window: 15 * 60_000, threshold: 3, severity: 'P3', anonymous: { enabled: true, rate_limit: { per_minute: 10 } } }),
    classification: classificationSchema.default({ rules: [], impact_thresholds: { P0: 80, P1: 60, P2: 35 }, duration_rules: [] }),
    correlation: correlationSchema.default({ dependencies: true, renotify_acknowledged: false }),
    flapping: flappingSchema.default({ changes: 6, window: 30 * 60_000 }),
    ingest: ingestSchema.default({ wait_for_processing: 50, signal_retention: SIGNAL_RETENTION_DEFAULT }),
    monitors: z.array(monitorSchema).default([]),
    monitoring: monitoringSchema.default(MONITORING_DEFAULTS),
    ...oncallSchemaFields,
    status_page: statusPageSchema.default(STATUS_PAGE_DEFAULTS),
    resolution: resolutionSchema.prefault({}),
    postmortems: postmortemsSchema.prefault({}),
    analytics: analyticsSchema.prefault({}),
    recovery: recoverySchema.prefault({}),
    backups: backupsSchema,
    runbooks: runbooksSectionSchema,
    incident_rules: incidentRulesSchema,
    drills: drillsSectionSchema,
  });

/**
 * Cross-references between services. Runs on the raw document, separately from the schema, so that
 * a file with both a typo and a dangling dependency reports both at once.
 */
export function crossCheckServices(raw: unknown): { path: PropertyKey[]; message: string }[] {
  const list = (raw as { services?: unknown })?.services;
  if (!Array.isArray(list)) return [];
  const services = list.map((s) => ({
    id: typeof s?.id === 'string' ? s.id : undefined,
    depends_on: Array.isArray(s?.depends_on) ? s.depends_on.filter((d: unknown) => typeof d === 'string') : [],
  }));
  const issues: { path: PropertyKey[]; message: string }[] = [];
  const ids = new Map<string, number>();
  services.forEach((s, i) => {
    if (s.id === undefined) return;
    if (ids.has(s.id)) issues.push({ path: ['services', i, 'id'], message: `duplicate service id "${s.id}" (first at services[${ids.get(s.id)}])` });
    else ids.set(s.id, i);
  });
  services.forEach((s, i) =>
    s.depends_on.forEach((dep: string, j: number) => {
      if (dep === s.id) issues.push({ path: ['services', i, 'depends_on', j], message: `service "${s.id}" cannot depend on itself` });
      else if (!ids.has(dep)) issues.push({ path: ['services', i, 'depends_on', j], message: `unknown service "${dep}"` });
    }),
  );
  const cycle = findCycle(services.filter((s): s is { id: string; depends_on: string[] } => s.id !== undefined));
  if (cycle) issues.push({ path: ['services', ids.get(cycle[0]) ?? 0, 'depends_on'], message: `dependency cycle: ${cycle.join(' → ')}` });
  return issues;
}

/** Integrations: unique ids and keys, and a service that exists. Never echoes a key. */
export function crossCheckIntegrations(raw: unknown): { path: PropertyKey[]; message: string }[] {
  const list = (raw as { integrations?: unknown })?.integrations;
  if (!Array.isArray(list)) return [];
  const rawServices = (raw as { services?: unknown })?.services;
  const services = new Set(Array.isArray(rawServices) ? rawServices.map((s) => s?.id).filter((id): id is string => typeof id === 'string') : []);
  const issues: { path: PropertyKey[]; message: string }[] = [];
  const ids = new Map<string, number>();
  const keys = new Map<string, number>();
  list.forEach((integration, i) => {
    const { id, key, service } = (integration ?? {}) as { id?: unknown; key?: unknown; service?: unknown };
    if (typeof id === 'string') {
      if (ids.has(id)) issues.push({ path: ['integrations', i, 'id'], message: `duplicate integration id "${id}" (first at integrations[${ids.get(id)}])` });
      else ids.set(id, i);
    }
    if (typeof key === 'string' && key !== '') {
      if (keys.has(key)) issues.push({ path: ['integrations', i, 'key'], message: `duplicate integration key (the same key as integrations[${keys.get(key)}])` });
      else keys.set(key, i);
    }
    if (typeof service === 'string' && !services.has(service)) issues.push({ path: ['integrations', i, 'service'], message: `unknown service "${service}"` });
    // A generic webhook's status word must mean one thing.
    const { type, status_values: values } = (integration ?? {}) as { type?: unknown; status_values?: { firing?: unknown; resolved?: unknown } | null };
    if (type === 'generic' && values && typeof values === 'object') {
      const firing: unknown[] = Array.isArray(values.firing) ? values.firing : DEFAULT_STATUS_VALUES.firing;
      const resolved: unknown[] = Array.isArray(values.resolved) ? values.resolved : DEFAULT_STATUS_VALUES.resolved;
      resolved.forEach((word, j) => {
        if (typeof word === 'string' && firing.includes(word)) {
          issues.push({ path: ['integrations', i, 'status_values', ...(Array.isArray(values.resolved) ? ['resolved', j] : [])], message: `"${word}" is both a firing and a resolved value` });
        }
      });
    }
  });
  return issues;
}

/**
 * Severity rules and duration rules: a rule naming a service or integration that does not exist
 * would silently never match, and two duration rules for one severity would leave one unused.
 */
export function crossCheckClassification(raw: unknown): { path: PropertyKey[]; message: string }[] {
  const root = (raw ?? {}) as { services?: unknown; integrations?: unknown; classification?: { rules?: unknown; duration_rules?: unknown } | null };
  const ids = (list: unknown) => new Set(Array.isArray(list) ? list.map((x) => x?.id).filter((id): id is string => typeof id === 'string') : []);
  const services = ids(root.services);
  const integrations = ids(root.integrations);
  const issues: { path: PropertyKey[]; message: string }[] = [];
  const rules = root.classification?.rules;
  if (Array.isArray(rules)) {
    rules.forEach((rule, i) => {
      const match = (rule as { match?: Record<string, unknown> } | null)?.match;
      if (!match || typeof match !== 'object') return;
      for (const [field, known, what] of [['service', services, 'service'], ['integration', integrations, 'integration']] as const) {
        const value = match[field];
        const names = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
        names.forEach((name, j) => {
          if (typeof name === 'string' && !known.has(name)) {
            issues.push({ path: ['classification', 'rules', i, 'match', field, ...(Array.isArray(value) ? [j] : [])], message: `unknown ${what} "${name}"` });
          }
        });
      }
    });
  }
  const durations = root.classification?.duration_rules;
  if (Array.isArray(durations)) {
    const seen = new Map<string, number>();
    durations.forEach((rule, i) => {
      const severity = (rule as { severity?: unknown } | null)?.severity;
      if (typeof severity !== 'string') return;
      if (seen.has(severity)) issues.push({ path: ['classification', 'duration_rules', i, 'severity'], message: `a second duration rule for ${severity} (first at duration_rules[${seen.get(severity)}])` });
      else seen.set(severity, i);
    });
  }
  return issues;
}

type RawConfig = z.output<typeof configSchema>;
export type ServiceConfig = RawConfig['services'][number] & { availability_target: number };

/** Requests per minute (per node) an integration may make; more are answered 429. */
export interface IntegrationRateLimit {
  per_minute: number;
}

/** A PagerDuty Events API v2 source, with its severity map filled in. */
export interface EventsV2IntegrationConfig {
  id: string;
  name: string;
  type: 'events_v2';
  /** The routing key: a credential. Never log or return it. */
  key: string;
  service: string;
  severity: Record<PdSeverity, Severity>;
  rate_limit: IntegrationRateLimit;
  auto_resolve?: AutoResolveConfig;
}

/** Auto-resolve of an incident whose alerts have all resolved; the quiet period in milliseconds. */
export interface AutoResolveConfig {
  quiet_period: number;
}

/** A Prometheus Alertmanager webhook source, with its labels and severity map filled in. */
export interface AlertmanagerIntegrationConfig {
  id: string;
  name: string;
  type: 'alertmanager';
  /** Sent by Alertmanager as a Bearer token: a credential. Never log or return it. */
  key: string;
  rate_limit: IntegrationRateLimit;
  auto_resolve?: AutoResolveConfig;
  /** The default service. */
  service: string;
  service_label: string;
  severity_label: string;
  /** Label value → severity, always with a `default` entry. */
  severity: Record<string, Severity>;
}

/** A Grafana Alerting webhook source: the same settings as Alertmanager. */
export interface GrafanaIntegrationConfig extends Omit<AlertmanagerIntegrationConfig, 'type'> {
  type: 'grafana';
}

/** A generic JSON webhook source, with its paths parsed and its maps filled in. */
export interface GenericIntegrationConfig {
  id: string;
  name: string;
  type: 'generic';
  /** Sent as a Bearer token or a `key` query parameter: a credential. Never log or return it. */
  key: string;
  rate_limit: IntegrationRateLimit;
  auto_resolve?: AutoResolveConfig;
  /** The default service. */
  service: string;
  /** Each mapped field's path as written (for messages) and parsed. */
  mapping: Partial<Record<GenericField, { path: string; segments: PathSegment[] }>> & Record<'summary' | 'dedup_key' | 'status', { path: string; segments: PathSegment[] }>;
  parse_json: { path: string; segments: PathSegment[] }[];
  status_values: { firing: string[]; resolved: string[] };
  /** Mapped value → severity, always with a `default` entry. */
  severity: Record<string, Severity>;
}
export type GenericField = 'summary' | 'dedup_key' | 'status' | 'severity' | 'service' | 'timestamp' | 'source';

/** An alert source. */
export type IntegrationConfig = EventsV2IntegrationConfig | AlertmanagerIntegrationConfig | GrafanaIntegrationConfig | GenericIntegrationConfig;

export interface SeverityPolicy {
  name: string;
  definition: string;
  examples: string[];
  /** All targets in milliseconds. */
  response_target: number;
  ack_target: number;
  resolve_target: number;
  update_cadence: number;
  escalation: string;
  notify: { group: string; within: number }[];
  /** Whether incidents of this severity are communicated to customers proactively. */
  public: boolean;
  urgency: Urgency;
  /** False: only the policy's first level is paged (the plan's "no immediate escalation" for P3). */
  escalate: boolean;
}

/** The validated organisation model that the rest of Firebreak reads. */
export interface FirebreakConfig {
  version: 1;
  organisation: RawConfig['organisation'];
  services: ServiceConfig[];
  severities: Record<Severity, SeverityPolicy>;
  integrations: IntegrationConfig[];
  /** User reports; the window in milliseconds. */
  reports: ReportsConfig;
  classification: ClassificationConfig;
  correlation: CorrelationConfig;
  flapping: FlappingConfig;
  ingest: RawConfig['ingest'];
  monitors: MonitorConfig[];
  monitoring: MonitoringConfig;
  users: UserConfig[];
  channels: ChannelConfig[];
  stakeholder_groups: StakeholderGroupConfig[];
  schedules: ScheduleConfig[];
  escalation_policies: EscalationPolicyConfig[];
  notifications: NotificationsConfig;
  status_page: StatusPageConfig;
  resolution: ResolutionConfig;
  postmortems: PostmortemsConfig;
  /** time_zone is always set (the organisation's when the file leaves it out). */
  analytics: AnalyticsConfig & { time_zone: string };
  /** The organisation's recovery objectives (the plan's where not overridden), in milliseconds. */
  recovery: RecoveryConfig;
  backups: BackupsConfig;
  runbooks: RunbooksConfig;
  incident_rules: IncidentRuleConfig[];
  drills: DrillsConfig;
}

export type ReportsConfig = RawConfig['reports'];
export type ClassificationConfig = RawConfig['classification'];
export type SeverityRule = ClassificationConfig['rules'][number];
export type CorrelationConfig = RawConfig['correlation'];
export type FlappingConfig = RawConfig['flapping'];

/** Fills the plan's severity defaults under whatever the file overrides. */
export function finishConfig(raw: RawConfig): FirebreakConfig {
  const severities = {} as Record<Severity, SeverityPolicy>;
  for (const sev of SEVERITIES) {
    const d = DEFAULT_SEVERITIES[sev];
    const o = raw.severities[sev] ?? {};
    severities[sev] = {
      name: o.name ?? d.name,
      definition: o.definition ?? d.definition,
      examples: o.examples ?? [...d.examples],
      response_target: o.response_target ?? parseDuration(d.response_target)!,
      ack_target: o.ack_target ?? parseDuration(d.ack_target)!,
      resolve_target: o.resolve_target ?? parseDuration(d.resolve_target)!,
      update_cadence: o.update_cadence ?? parseDuration(d.update_cadence)!,
      escalation: o.escalation ?? d.escalation,
      notify: o.notify ?? d.notify.map((n) => ({ group: n.group, within: parseDuration(n.within)! })),
      public: o.public ?? d.public,
      urgency: o.urgency ?? d.urgency,
      escalate: o.escalate ?? d.escalate,
    };
  }
  const integrations = raw.integrations.map((i): IntegrationConfig => {
    if (i.type === 'events_v2') return { ...i, severity: { ...DEFAULT_PD_SEVERITY_MAP, ...i.severity } };
    if (i.type === 'generic') return finishGeneric(i);
    return { ...i, service_label: i.service_label ?? 'service', severity_label: i.severity_label ?? 'severity', severity: { ...DEFAULT_ALERTMANAGER_SEVERITY_MAP, ...i.severity } };
  });
  return {
    version: 1,
    organisation: raw.organisation,
    services: raw.services.map((s) => ({ ...s, availability_target: s.availability_target ?? DEFAULT_AVAILABILITY_TARGET[s.tier] })),
    severities,
    integrations,
    reports: raw.reports,
    classification: raw.classification,
    correlation: raw.correlation,
    flapping: raw.flapping,
    ingest: raw.ingest,
    monitors: raw.monitors.map(finishMonitor),
    monitoring: raw.monitoring,
    users: raw.users.map((u) => ({ ...u, time_zone: u.time_zone ?? raw.organisation.time_zone })),
    channels: raw.channels,
    stakeholder_groups: raw.stakeholder_groups,
    schedules: raw.schedules.map((s) => ({ ...s, time_zone: s.time_zone ?? raw.organisation.time_zone })),
    escalation_policies: raw.escalation_policies,
    notifications: raw.notifications,
    status_page: finishStatusPage(raw),
    resolution: raw.resolution,
    postmortems: raw.postmortems,
    analytics: { ...raw.analytics, time_zone: raw.analytics.time_zone ?? raw.organisation.time_zone },
    recovery: finishRecovery(raw.recovery),
    backups: finishBackups(raw.backups),
    runbooks: finishRunbooks(raw.runbooks),
    incident_rules: raw.incident_rules,
    drills: finishDrills(raw.drills),
  };
}

/** The page's id, name, address and zone, from the organisation where not given. */
function finishStatusPage(raw: RawConfig): StatusPageConfig {
  const page = raw.status_page;
  const base = raw.organisation.public_url.replace(/\/+$/, '');
  return {
    ...page,
    id: page.id ?? createHash('sha256').update(raw.organisation.name).digest('hex').replace(/[^a-z0-9]/g, '').slice(0, 12),
    name: page.name ?? raw.organisation.name,
    url: (page.url ?? (page.host ? `https://${page.host}/` : `${base}/status`)).replace(/\/+$/, ''),
    time_zone: page.time_zone ?? raw.organisation.time_zone,
  };
}

const parsed = (path: string) => ({ path, segments: parsePath(path) });

function finishGeneric(i: z.output<typeof genericIntegrationSchema>): GenericIntegrationConfig {
  const mapping = {} as GenericIntegrationConfig['mapping'];
  for (const [field, path] of Object.entries(i.mapping) as [GenericField, string | undefined][]) if (path !== undefined) mapping[field] = parsed(path);
  return {
    id: i.id,
    name: i.name,
    type: 'generic',
    key: i.key,
    rate_limit: i.rate_limit,
    ...(i.auto_resolve ? { auto_resolve: i.auto_resolve } : {}),
    service: i.service,
    mapping,
    parse_json: (i.parse_json ?? []).map(parsed),
    status_values: { firing: i.status_values?.firing ?? DEFAULT_STATUS_VALUES.firing, resolved: i.status_values?.resolved ?? DEFAULT_STATUS_VALUES.resolved },
    severity: { ...DEFAULT_ALERTMANAGER_SEVERITY_MAP, ...i.severity },
  };
}
