import { z } from 'zod';

export const RECURRENCES = ['daily', 'weekly'] as const;
export const WINDOW_STATES = ['scheduled', 'in_progress', 'completed', 'cancelled'] as const;
/** The longest single occurrence: a maintenance longer than a week is an outage by another name. */
export const WINDOW_MAX_MINUTES = 7 * 24 * 60;

/**
 * What a person sends. Times are wall-clock times in `time_zone` ("2026-03-28T22:00"), so a
 * weekly window stays at local 22:00 across daylight-saving changes; the zone defaults to the
 * organisation's.
 */
export const createMaintenanceWindowInput = z.strictObject({
  title: z.string().min(1).max(200).refine((s) => s.trim() !== '', 'must not be blank'),
  description: z.string().max(5000).default(''),
  services: z.array(z.string().min(1).max(63)).min(1).max(100),
  time_zone: z.string().min(1).max(64).optional(),
  starts_at: z.string().max(32),
  ends_at: z.string().max(32),
  recurrence: z.enum(RECURRENCES).optional(),
  /** The last local date (YYYY-MM-DD) an occurrence may start on. */
  until: z.string().max(32).optional(),
});

export const listMaintenanceWindowsQuery = z.strictObject({
  state: z.enum(WINDOW_STATES).optional(),
  service: z.string().max(63).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});

const occurrence = z.object({ starts_at: z.string(), ends_at: z.string() });

export const maintenanceWindowView = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  services: z.array(z.string()),
  time_zone: z.string(),
  starts_at: z.string(),
  ends_at: z.string(),
  recurrence: z.enum(RECURRENCES).nullable(),
  until: z.string().nullable(),
  state: z.enum(WINDOW_STATES),
  /** The occurrence in progress, else the next one (instants, UTC), else null. */
  current_or_next: occurrence.nullable(),
  created_by: z.string(),
  created_at: z.string(),
  cancelled_at: z.string().nullable(),
});
export type MaintenanceWindowView = z.output<typeof maintenanceWindowView>;
