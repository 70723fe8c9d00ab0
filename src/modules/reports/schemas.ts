import { z } from 'zod';

const serviceId = z.string().min(1).max(63);

/** What a person sends: the service, what is wrong, and optionally how to reach them. */
export const submitReportInput = z.strictObject({
  service: serviceId,
  // Kept verbatim (no trimming), as people wrote it; blank is not a report.
  description: z.string().min(1).max(5000).refine((s) => s.trim() !== '', 'must not be blank'),
  contact: z.string().max(200).optional(),
});
export type SubmitReportInput = z.output<typeof submitReportInput>;

export const listReportsQuery = z.strictObject({
  service: serviceId.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const submitReportResult = z.object({
  id: z.string(),
  group: z.object({ report_count: z.number().int(), threshold: z.number().int() }),
  /** The incident the report's group opened or joined, once it has one. */
  incident: z.string().nullable(),
});
export type SubmitReportResult = z.output<typeof submitReportResult>;

/** What the anonymous form learns: only that its report was stored. */
export const anonymousReportResult = z.object({ id: z.string() });

/** A report as listed; `contact` only for responders and up, the reporter's address never. */
export const reportView = z.object({
  id: z.string(),
  service: z.string(),
  description: z.string(),
  contact: z.string().nullable().optional(),
  /** The reporting user's handle; null for anonymous reports. */
  reported_by: z.string().nullable(),
  received_at: z.string(),
  group_id: z.string(),
  incident: z.string().nullable(),
});
export type ReportView = z.output<typeof reportView>;
