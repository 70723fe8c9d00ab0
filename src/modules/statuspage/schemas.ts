import { z } from 'zod';
import { COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES } from './vocabulary.ts';

/** What responders send to manage the status page, and what they get back. */

const text = (max: number) => z.string().min(1).max(max).refine((s) => s.trim() !== '', 'must not be blank');
const componentId = z.string().min(1).max(63);
/** Affected components and the status each should show while the incident is unresolved. */
const componentStatuses = z.record(componentId, z.enum(COMPONENT_STATUSES)).refine((r) => Object.keys(r).length <= 200, 'at most 200 components');
const writableIncidentStatus = z.enum(['investigating', 'identified', 'monitoring', 'resolved']);

export const createPublicIncidentInput = z.strictObject({
  name: text(200),
  status: writableIncidentStatus.default('investigating'),
  body: text(10_000),
  components: componentStatuses.default({}),
  /** Set by a person: otherwise computed from the components' statuses. */
  impact: z.enum(IMPACTS).optional(),
  /** The internal incident this tells the public about ("INC-42"); never shown publicly. */
  incident: z.string().min(1).max(64).optional(),
  deliver_notifications: z.boolean().default(true),
});

export const publicUpdateInput = z.strictObject({
  status: writableIncidentStatus,
  body: text(10_000),
  /** Components to add or re-state; a component left out keeps what it had. */
  components: componentStatuses.optional(),
  name: text(200).optional(),
  impact: z.enum(IMPACTS).optional(),
  deliver_notifications: z.boolean().default(true),
});

export const postmortemInput = z.strictObject({
  body: text(100_000),
  deliver_notifications: z.boolean().default(false),
});

export const listPublicIncidentsQuery = z.strictObject({
  kind: z.enum(['incident', 'maintenance']).default('incident'),
  status: z.enum([...INCIDENT_STATUSES, ...MAINTENANCE_STATUSES]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Local wall-clock times in `time_zone`, as maintenance windows take them. */
export const scheduleMaintenanceInput = z.strictObject({
  name: text(200),
  body: text(10_000),
  components: z.array(componentId).min(1).max(200),
  starts_at: z.string().max(32),
  ends_at: z.string().max(32),
  time_zone: z.string().min(1).max(64).optional(),
  /** Move to in_progress and completed by itself at the start and end. */
  auto_transition: z.boolean().default(true),
  /** Remind subscribers `status_page.maintenance_reminder` before the start. */
  remind: z.boolean().default(true),
  /** Keep the components' services' alerts from paging during it (a maintenance window). */
  suppress_alerts: z.boolean().default(true),
  deliver_notifications: z.boolean().default(true),
});

export const maintenanceUpdateInput = z.strictObject({
  status: z.enum(MAINTENANCE_STATUSES),
  body: text(10_000),
  deliver_notifications: z.boolean().default(true),
});

export const componentOverrideInput = z.strictObject({
  status: z.enum(COMPONENT_STATUSES),
  reason: text(500),
});

export const publishIncidentInput = z.strictObject({
  /** Default: the template's name for the first post, the current name after. */
  name: text(200).optional(),
  /** Default: the phase that matches the internal incident's state. */
  status: writableIncidentStatus.optional(),
  /** Default: the template for the phase. */
  body: text(10_000).optional(),
  /** Default: the components mapped to the incident's services, at their derived status. */
  components: componentStatuses.optional(),
  deliver_notifications: z.boolean().default(true),
});

export const optOutInput = z.strictObject({ reason: text(500) });

const update = z.object({
  id: z.string(),
  status: z.string(),
  body: z.string(),
  created_at: z.string(),
  display_at: z.string(),
  affected_components: z.array(z.object({ code: z.string(), name: z.string(), old_status: z.string(), new_status: z.string() })).nullable(),
  deliver_notifications: z.boolean(),
  created_by: z.string(),
});

export const publicIncidentAdminView = z.object({
  id: z.string(),
  kind: z.enum(['incident', 'maintenance']),
  name: z.string(),
  status: z.string(),
  impact: z.string(),
  impact_override: z.string().nullable(),
  components: z.record(z.string(), z.string()),
  /** The internal incident, for responders only. */
  incident: z.object({ id: z.string(), ref: z.string() }).nullable(),
  source: z.enum(['auto', 'manual']),
  created_by: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  started_at: z.string(),
  monitoring_at: z.string().nullable(),
  resolved_at: z.string().nullable(),
  scheduled_for: z.string().nullable(),
  scheduled_until: z.string().nullable(),
  time_zone: z.string().nullable(),
  auto_transition: z.boolean(),
  maintenance_window_id: z.string().nullable(),
  postmortem: z.object({ body: z.string(), published_at: z.string() }).nullable(),
  /** Where the public reads it. */
  url: z.string(),
  updates: z.array(update),
});
export type PublicIncidentAdminView = z.output<typeof publicIncidentAdminView>;

export const componentAdminView = z.object({
  id: z.string(),
  name: z.string(),
  group: z.string().nullable(),
  services: z.array(z.string()),
  status: z.enum(COMPONENT_STATUSES),
  /** What incidents, monitors and maintenance say, whatever the override. */
  derived_status: z.enum(COMPONENT_STATUSES),
  override: z.object({ status: z.enum(COMPONENT_STATUSES), set_by: z.string(), set_at: z.string(), reason: z.string() }).nullable(),
  updated_at: z.string().nullable(),
});
export type ComponentAdminView = z.output<typeof componentAdminView>;

export const publicationView = z.object({
  incident: z.object({ id: z.string(), ref: z.string(), state: z.string(), severity: z.string() }),
  /** Whether the rules post it automatically, and why (or why not). */
  eligible: z.boolean(),
  reason: z.string(),
  opted_out: z.object({ by: z.string(), at: z.string(), reason: z.string() }).nullable(),
  /** When the automatic post is due (null: not pending). */
  auto_post_due_at: z.string().nullable(),
  public_incident: publicIncidentAdminView.nullable(),
  /** Time from detection to the first public post, in seconds. */
  time_to_first_post_s: z.number().nullable(),
  /** What "publish" would post now, for a person to edit first. */
  draft: z.object({ name: z.string(), status: z.string(), body: z.string(), components: z.record(z.string(), z.string()) }),
});
export type PublicationView = z.output<typeof publicationView>;

export const uptimeView = z.object({
  status: z.object({ indicator: z.string(), description: z.string() }),
  time_zone: z.string(),
  components: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: z.enum(COMPONENT_STATUSES),
      days: z.array(
        z.object({
          date: z.string(),
          uptime: z.number().nullable(),
          minutes: z.object({ major_outage: z.number(), partial_outage: z.number(), degraded_performance: z.number(), under_maintenance: z.number() }),
          incidents: z.array(z.object({ id: z.string(), name: z.string(), impact: z.string() })),
        }),
      ),
    }),
  ),
});
