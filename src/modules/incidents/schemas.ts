import { z } from 'zod';
import { SEVERITIES } from '../../config/defaults.ts';
import { INCIDENT_STATES } from './state-machine.ts';

export const INCIDENT_SOURCES = ['manual', 'automated', 'user_report'] as const;
export const INCIDENT_ROLES = ['commander', 'communications_lead', 'scribe', 'responder'] as const;
export type IncidentRole = (typeof INCIDENT_ROLES)[number];

const serviceId = z.string().min(1).max(63);
const text = (max: number) => z.string().trim().min(1).max(max);
const httpUrl = z.url({ protocol: /^https?$/ }).max(2000);

export const createIncidentInput = z.strictObject({
  title: text(200),
  severity: z.enum(SEVERITIES),
  services: z.array(serviceId).max(50).default([]),
  description: z.string().max(20_000).default(''),
  source: z.enum(INCIDENT_SOURCES).default('manual'),
  /** When the problem was first detected, if earlier than now (e.g. the alert's own start time). */
  detected_at: z.iso.datetime({ offset: true }).optional(),
  war_room_url: httpUrl.optional(),
  commander: z.string().min(1).max(64).optional(),
});

export const updateIncidentInput = z.strictObject({
  title: text(200).optional(),
  description: z.string().max(20_000).optional(),
  war_room_url: httpUrl.nullable().optional(),
});

export const transitionInput = z.strictObject({ note: z.string().max(10_000).optional() });
/** How an incident ended: fixed, or not an incident after all (a false positive, for the KPIs). */
export const RESOLUTIONS = ['fixed', 'not_an_incident'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
/**
 * Resolving: the validation runs first; a failing one is overridden only with a written reason.
 * A false positive (`not_an_incident`) has nothing to validate.
 */
export const resolveInput = transitionInput.extend({
  resolution: z.enum(RESOLUTIONS).default('fixed'),
  override_reason: text(2000).refine((s) => s.length >= 10, 'say why in at least 10 characters').optional(),
});
export const noteInput = z.strictObject({ body: text(10_000) });
export const stakeholderUpdateInput = z.strictObject({ body: text(5000) });
/** A workaround or rollback: what was done, and optionally what it changed (a deploy, a commit, a URL). */
export const mitigationInput = z.strictObject({ kind: z.enum(['workaround', 'rollback']), body: text(10_000), change: z.string().min(1).max(500).optional() });
export const severityInput = z.strictObject({ severity: z.enum(SEVERITIES), reason: text(1000) });
export const roleInput = z.strictObject({
  role: z.enum(INCIDENT_ROLES),
  user: z.string().min(1).max(64),
  action: z.enum(['assign', 'remove']).default('assign'),
});
export const addServicesInput = z.strictObject({ services: z.array(serviceId).min(1).max(50) });

const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .max(500)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)));

export const listIncidentsQuery = z.strictObject({
  state: csv(INCIDENT_STATES).optional(),
  severity: csv(SEVERITIES).optional(),
  service: serviceId.optional(),
  /** Only open incidents (any state before resolved). */
  open: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

const actorView = z.object({ type: z.string(), id: z.string().nullable(), name: z.string() });

export const timelineEntryView = z.object({
  id: z.number(),
  at: z.string(),
  kind: z.string(),
  actor: actorView,
  body: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export const incidentView = z.object({
  id: z.string(),
  number: z.number(),
  ref: z.string(),
  title: z.string(),
  description: z.string(),
  severity: z.enum(SEVERITIES),
  severity_source: z.enum(['human', 'automation']),
  state: z.enum(INCIDENT_STATES),
  source: z.enum(INCIDENT_SOURCES),
  services: z.array(z.string()),
  impact: z.object({
    customer_facing: z.boolean(),
    user_share: z.number(),
    impacted_services: z.array(z.string()),
    highest_tier: z.string().nullable(),
  }),
  war_room_url: z.string().nullable(),
  roles: z.object({
    commander: z.string().nullable(),
    communications_lead: z.string().nullable(),
    scribe: z.string().nullable(),
    responders: z.array(z.string()),
  }),
  reopen_count: z.number(),
  created_by: z.string().nullable(),
  detected_at: z.string(),
  triggered_at: z.string(),
  acknowledged_at: z.string().nullable(),
  resolved_at: z.string().nullable(),
  closed_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  allowed_actions: z.array(z.string()),
});
export type IncidentView = z.infer<typeof incidentView>;

/** A change event (deploy, config change) on one of the incident's services or what they depend on. */
export const changeEventView = z.object({
  id: z.number(),
  service: z.string(),
  happened_at: z.string(),
  summary: z.string(),
  source: z.string().nullable(),
  integration: z.string(),
});
export type ChangeEventView = z.infer<typeof changeEventView>;
export type TimelineEntryView = z.infer<typeof timelineEntryView>;

export const openIncidentCountsView = z.object({
  by_severity: z.record(z.string(), z.number()),
  by_state: z.record(z.string(), z.number()),
  total: z.number(),
});
export type OpenIncidentCounts = z.output<typeof openIncidentCountsView>;

/** The incident's postmortem on its detail: enough to link to it and say whether it is late. */
export const incidentPostmortemSummary = z.object({ id: z.string(), status: z.string(), due_at: z.string() });
export type IncidentPostmortemSummary = z.output<typeof incidentPostmortemSummary>;
