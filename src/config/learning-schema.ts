import { z } from 'zod';
import { SEVERITIES } from './defaults.ts';
import { duration } from './primitives.ts';
import { isTimeZone } from './time-zone.ts';

/**
 * Validated resolution: what resolving checks, and how `monitoring` ends. The plan's
 * validateResolution: health checks pass, performance within target, no new user reports.
 */
export const resolutionSchema = z.strictObject({
  /** Resolving runs the validation; off, resolve is a plain state change (as before). */
  validate: z.boolean().default(true),
  /** A user report on an affected service this recent fails the validation. */
  quiet_window: duration.default(10 * 60_000),
  /** How long an on-demand health check may take before it counts as failed. */
  check_timeout: duration.default(10_000),
  /** An incident in `monitoring` resolves by itself after this long with validation passing. */
  stable_period: duration.default(15 * 60_000),
  /** A new alert on a service within this long of its incident resolving reopens that incident. */
  reopen_window: duration.default(60 * 60_000),
});
export type ResolutionConfig = z.output<typeof resolutionSchema>;

/** Postmortems: which severities get one automatically on resolve, how long they have, reminders. */
export const postmortemsSchema = z.strictObject({
  /** Severities whose incidents get a postmortem when they resolve (others on request). */
  severities: z.array(z.enum(SEVERITIES)).max(4).default(['P0', 'P1']),
  /** The plan: within 48 hours of resolution. */
  due_within: duration.default(48 * 3_600_000),
  /** The owner is reminded this long before the postmortem is due (and again when overdue). */
  remind_before: duration.default(12 * 3_600_000),
  /** Action items without a due date get this one; overdue items remind their owner once a day. */
  action_item_due: duration.default(14 * 24 * 3_600_000),
});
export type PostmortemsConfig = z.output<typeof postmortemsSchema>;

/**
 * The plan's KPI targets that are not per severity (those live on `severities`: ack_target,
 * response_target, resolve_target). Shares are fractions (0.95 = 95%).
 */
export const analyticsSchema = z.strictObject({
  targets: z
    .strictObject({
      detection: duration.default(2 * 60_000),
      automatic_detection_share: z.number().min(0).max(1).default(0.95),
      false_positive_rate: z.number().min(0).max(1).default(0.05),
      escalation_accuracy: z.number().min(0).max(1).default(0.9),
      resolved_without_reopening: z.number().min(0).max(1).default(0.95),
      status_page_post: duration.default(5 * 60_000),
      stakeholder_notification: duration.default(10 * 60_000),
      postmortem_on_time: z.number().min(0).max(1).default(1),
    })
    .prefault({}),
  /** Severity changes after this long count against escalation accuracy. */
  escalation_grace: duration.default(15 * 60_000),
  /** The hour-of-week heat map's zone; the organisation's when absent. */
  time_zone: z.string().refine(isTimeZone, { error: (iss) => `unknown IANA time zone "${String(iss.input)}"` }).optional(),
});
export type AnalyticsConfig = z.output<typeof analyticsSchema>;
