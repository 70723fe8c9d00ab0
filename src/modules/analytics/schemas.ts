import { z } from 'zod';
import { SEVERITIES } from '../../config/defaults.ts';

/**
 * The query every analytics route takes: a period over `triggered_at` (default the last 30 days),
 * optional severities (comma-separated) and service, and the format (JSON unless `csv`).
 */
export const analyticsQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  severity: z
    .string()
    .max(20)
    .transform((s, c) => {
      const list = [...new Set(s.split(',').map((x) => x.trim()))];
      const bad = list.filter((x) => !(SEVERITIES as readonly string[]).includes(x));
      if (bad.length) c.addIssue({ code: 'custom', message: `unknown severity ${bad.join(', ')} (use ${SEVERITIES.join(', ')})` });
      return list as (typeof SEVERITIES)[number][];
    })
    .optional(),
  service: z.string().min(1).max(63).optional(),
  format: z.enum(['json', 'csv']).optional(),
  /** How many rows the ranked lists of /patterns keep. */
  limit: z.coerce.number().int().min(1).max(100).optional(),
});
export type AnalyticsQueryInput = z.input<typeof analyticsQuery>;

const share = z.number().nullable().describe('a fraction 0–1, rounded to 4 places; null when there is nothing to divide by');
const ms = z.number().nullable();

const periodView = z.object({
  from: z.string(),
  to: z.string(),
  severity: z.array(z.enum(SEVERITIES)).nullable(),
  service: z.string().nullable(),
});

/** One duration KPI of one severity: mean and exact p90 against the target. */
export const durationStatView = z.object({
  count: z.number(),
  mean_ms: ms,
  p90_ms: ms,
  target_ms: z.number(),
  within_target: z.number(),
  share_within_target: share,
});
export type DurationStat = z.infer<typeof durationStatView>;

export const responseReportView = z.object({
  period: periodView,
  severities: z.array(
    z.object({
      severity: z.enum(SEVERITIES),
      incidents: z.number(),
      detect: durationStatView,
      acknowledge: durationStatView,
      respond: durationStatView,
      resolve: durationStatView,
    }),
  ),
});
export type ResponseReport = z.infer<typeof responseReportView>;

const rateView = z.object({ count: z.number(), of: z.number(), share, target: z.number() });
const timeToView = z.object({ count: z.number(), mean_ms: ms, p90_ms: ms, eligible: z.number(), within_target: z.number(), share_within_target: share, target_ms: z.number() });

export const qualityReportView = z.object({
  period: periodView,
  incidents: z.number(),
  escalation_accuracy: rateView,
  false_positive_rate: rateView,
  automatic_detection: rateView,
  reopen_rate: rateView,
  resolved_without_reopening: rateView,
  status_page_post: timeToView,
  stakeholder_notification: timeToView,
});
export type QualityReport = z.infer<typeof qualityReportView>;

const burnView = z.object({ checks: z.number(), failures: z.number(), availability: z.number().nullable(), burn_rate: z.number().nullable() });
export const availabilityReportView = z.object({
  period: periodView,
  services: z.array(
    z.object({
      service: z.string(),
      target: z.number(),
      monitors: z.array(z.string()),
      checks: z.number(),
      failures: z.number(),
      availability: z.number().nullable(),
      meets_target: z.boolean().nullable(),
      downtime_share: z.number().nullable(),
      error_budget_remaining: z.number().nullable(),
      burn_rate: z.number().nullable(),
      last_1h: burnView,
      last_24h: burnView,
    }),
  ),
});
export type AvailabilityReport = z.infer<typeof availabilityReportView>;

export const postmortemsReportView = z.object({
  period: periodView,
  postmortems: z.object({
    total: z.number(),
    completed: z.number(),
    due: z.number(),
    completed_on_time: z.number(),
    on_time_share: share,
    target: z.number(),
    overdue: z.number(),
    mean_completion_ms: ms,
  }),
  action_items: z.object({
    total: z.number(),
    done: z.number(),
    wont_do: z.number(),
    open: z.number(),
    closed: z.number(),
    closure_rate: share,
    overdue_open: z.number(),
  }),
});
export type PostmortemsReport = z.infer<typeof postmortemsReportView>;

export const patternsReportView = z.object({
  period: periodView,
  time_zone: z.string(),
  recurring: z.array(z.object({ service: z.string(), fingerprint: z.string(), incidents: z.number(), first_at: z.string(), last_at: z.string() })),
  incident_minutes: z.array(z.object({ service: z.string(), incidents: z.number(), minutes: z.number() })),
  alerts_firing_most: z.array(z.object({ integration: z.string(), dedup_key: z.string(), alerts: z.number(), events: z.number() })),
  alerts_paging_most: z.array(z.object({ fingerprint: z.string(), incidents: z.number() })),
  heat_map: z.object({
    /** Rows Monday–Sunday, columns hour 0–23, in the time zone. */
    days: z.array(z.string()),
    counts: z.array(z.array(z.number())),
  }),
});
export type PatternsReport = z.infer<typeof patternsReportView>;
