import { z } from 'zod';
import { handle, WEEKDAYS } from '../../config/oncall-schema.ts';
import { DomainError } from '../../lib/errors.ts';

/**
 * Input and output shapes of the schedules API: overrides, swaps, time ranges, and the views of
 * schedules, shifts and who is on call. Times come in as ISO 8601 with an offset and go out as UTC.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** An override lasts at most this long. */
export const OVERRIDE_MAX_MS = 90 * DAY;
/** An override may start this far in the past ("I took over twenty minutes ago"), no further. */
export const OVERRIDE_PAST_GRACE_MS = HOUR;
/** An override starts at most this far ahead. */
export const OVERRIDE_LEAD_MAX_MS = 365 * DAY;
/** The widest `from`–`to` range one request may ask for. */
export const RANGE_MAX_MS = 92 * DAY;
export const RANGE_MAX_DAYS = RANGE_MAX_MS / DAY;
/** The range when a request gives no `to`. */
export const RANGE_DEFAULT_MS = 7 * DAY;
/** At most this many overrides in one listing. */
export const OVERRIDES_LIST_MAX = 1000;

// ---------------------------------------------------------------------------------------------
// Instants

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})$/;

/**
 * "2026-03-29T09:00:00+02:00" (or …Z) → epoch ms; null when malformed, not a real calendar date,
 * without an offset, or before 1970. In a query string an unencoded "+" arrives as a space, so a
 * space before the offset is read as "+".
 */
export function parseIsoInstant(text: string): number | null {
  const m = ISO_INSTANT.exec(text.replace(/ (\d{2}:?\d{2})$/, '+$1'));
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0));
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (new Date(wall).getUTCDate() !== day) return null;
  const zone = m[8];
  let offset = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2, 4));
    if (oh > 23 || om > 59) return null;
    offset = (zone[0] === '-' ? -1 : 1) * (oh * HOUR + om * MINUTE);
  }
  return wall - offset;
}

const INSTANT_MESSAGE = 'must be an ISO 8601 date and time with an offset, such as 2026-03-29T09:00:00+02:00 or 2026-03-29T07:00:00Z';
/** An instant as text, checked (the verb converts it with parseIsoInstant). */
export const instantText = z
  .string()
  .max(64)
  .refine((s) => parseIsoInstant(s) !== null, INSTANT_MESSAGE);

/** Converts text the schema already checked. */
export const toInstant = (text: string): number => parseIsoInstant(text)!;

/** The range a listing covers: [from, to), `to` defaulting to `from` + `defaultMs`; VALIDATION_FAILED when reversed or too wide. */
export function resolveRange(input: { from?: string; to?: string }, now: number, defaultMs = RANGE_DEFAULT_MS): { from: number; to: number } {
  const from = input.from === undefined ? now : toInstant(input.from);
  const to = input.to === undefined ? from + defaultMs : toInstant(input.to);
  if (to <= from) throw validation('to', 'must be after from');
  if (to - from > RANGE_MAX_MS) {
    throw validation('to', `the range is ${Math.ceil((to - from) / DAY)} days; ask for at most ${RANGE_MAX_DAYS} days at a time`);
  }
  return { from, to };
}

/** A VALIDATION_FAILED naming one field, shaped as the error handler shapes zod's. */
export function validation(path: string, message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `${path}: ${message}`, { issues: [{ path, message }] });
}

// ---------------------------------------------------------------------------------------------
// Inputs

const reason = z
  .string()
  .min(1)
  .max(1000)
  .refine((s) => s.trim() !== '', 'must not be blank');

/** An override: `user` on call for [start, end), over the rotation; with `replaces`, only where that person would have been. */
export const createOverrideInput = z.strictObject({
  user: handle,
  start: instantText,
  end: instantText,
  /** Who, when and why are the point of an override: the reason is required. */
  reason,
  replaces: handle.nullable().optional(),
});
export type CreateOverrideInput = z.output<typeof createOverrideInput>;

const shiftInput = z.strictObject({ start: instantText, end: instantText });

/** A shift swap: B covers A's shift and, when `b_shift` is given, A covers B's. */
export const swapInput = z.strictObject({
  user_a: handle,
  user_b: handle,
  a_shift: shiftInput,
  b_shift: shiftInput.optional(),
  reason,
});
export type SwapInput = z.output<typeof swapInput>;

const flag = z.enum(['true', 'false']);

export const atQuery = z.strictObject({ at: instantText.optional() });
export const rangeQuery = z.strictObject({ from: instantText.optional(), to: instantText.optional() });
export const shiftsQuery = z.strictObject({ from: instantText.optional(), to: instantText.optional(), layers: flag.optional() });
export const overridesQuery = z.strictObject({ from: instantText.optional(), to: instantText.optional(), include_cancelled: flag.optional() });
/**
 * A calendar feed's secret. Whatever else arrives (nothing, a repeated or malformed token) is
 * answered 404 like an unknown feed, never 400; other parameters a calendar app adds are ignored.
 */
export const feedQuery = z.object({ token: z.union([z.string(), z.array(z.string())]).optional() });

export const scheduleIdParams = z.object({ id: z.string().max(64) });
export const overrideParams = z.object({ id: z.string().max(64), overrideId: z.string().max(64) });
export const userHandleParams = z.object({ handle: z.string().max(64) });

// ---------------------------------------------------------------------------------------------
// Views

export const sourceView = z.discriminatedUnion('type', [
  z.object({ type: z.literal('layer'), layer: z.number().int(), name: z.string().nullable() }),
  z.object({ type: z.literal('override'), id: z.string(), reason: z.string(), created_by: z.string() }),
]);
export type SourceView = z.output<typeof sourceView>;

/** Who is on call, since and until when, and why (the layer, or the override with its reason). */
export const onCallView = z.object({ handle: z.string(), name: z.string(), since: z.string(), until: z.string(), source: sourceView });
export type OnCallView = z.output<typeof onCallView>;

/** One stretch of the final schedule, for a calendar. */
export const shiftView = z.object({ handle: z.string(), name: z.string(), start: z.string(), end: z.string(), source: sourceView });
export type ShiftView = z.output<typeof shiftView>;

export const scheduleRef = z.object({ id: z.string(), name: z.string(), time_zone: z.string() });
export type ScheduleRef = z.output<typeof scheduleRef>;

const person = z.object({ handle: z.string(), name: z.string() });

export const layerView = z.object({
  index: z.number().int(),
  name: z.string().nullable(),
  members: z.array(person),
  rotation: z.object({ type: z.enum(['daily', 'weekly', 'custom']), handoff: z.string(), shift_minutes: z.number().int() }),
  start: z.string(),
  restrictions: z.array(z.object({ days: z.array(z.enum(WEEKDAYS)), from: z.string(), to: z.string() })),
});
export type LayerView = z.output<typeof layerView>;

export const scheduleView = z.object({
  id: z.string(),
  name: z.string(),
  time_zone: z.string(),
  layers: z.array(layerView),
  on_call: onCallView.nullable(),
  next: onCallView.nullable(),
});
export type ScheduleView = z.output<typeof scheduleView>;

export const scheduleListView = z.object({ data: z.array(scheduleView) });

export const scheduleOnCallView = z.object({ schedule: scheduleRef, at: z.string(), on_call: onCallView.nullable() });
export type ScheduleOnCallView = z.output<typeof scheduleOnCallView>;

export const layerShiftsView = z.object({ index: z.number().int(), name: z.string().nullable(), shifts: z.array(z.object({ handle: z.string(), name: z.string(), start: z.string(), end: z.string() })) });

export const shiftsView = z.object({
  schedule: scheduleRef,
  from: z.string(),
  to: z.string(),
  shifts: z.array(shiftView),
  /** Only with `layers=true`: each layer's own shifts (restrictions applied), before layering and overrides. */
  layers: z.array(layerShiftsView).optional(),
});
export type ShiftsView = z.output<typeof shiftsView>;

export const everyoneOnCallView = z.object({
  at: z.string(),
  schedules: z.array(z.object({ schedule: scheduleRef, on_call: onCallView.nullable() })),
  /** Everyone on call now, with the schedules they are on call for: "am I on call?". */
  users: z.array(
    z.object({
      handle: z.string(),
      name: z.string(),
      schedules: z.array(z.object({ id: z.string(), name: z.string(), since: z.string(), until: z.string(), source: sourceView })),
    }),
  ),
});
export type EveryoneOnCallView = z.output<typeof everyoneOnCallView>;

export const userShiftsView = z.object({
  user: z.object({ handle: z.string(), name: z.string(), time_zone: z.string() }),
  from: z.string(),
  to: z.string(),
  shifts: z.array(z.object({ schedule: z.object({ id: z.string(), name: z.string() }), start: z.string(), end: z.string(), source: sourceView })),
});
export type UserShiftsView = z.output<typeof userShiftsView>;

export const overrideView = z.object({
  id: z.string(),
  schedule: z.string(),
  user: z.string(),
  replaces: z.string().nullable(),
  start: z.string(),
  end: z.string(),
  reason: z.string(),
  created_by: z.string(),
  created_at: z.string(),
  cancelled_at: z.string().nullable(),
  cancelled_by: z.string().nullable(),
});
export type OverrideView = z.output<typeof overrideView>;

export const overrideListView = z.object({ data: z.array(overrideView) });
export const swapView = z.object({ overrides: z.array(overrideView) });
export const feedUrlView = z.object({ url: z.string() });
