import { WEEKDAYS, type LayerConfig, type RestrictionConfig, type RotationConfig, type ScheduleConfig } from '../../config/oncall-schema.ts';
import { addLocalMinutes, parseLocalDate, wallMinutesBetween, zoneClock, type LocalTime, type ZoneClock } from '../../lib/zoned-time.ts';

/**
 * Who is on call when: the pure computation behind schedules, escalation and the calendar feed.
 * All instants are epoch ms; every interval is half-open [start, end).
 *
 * Rotations. A layer starts at its `start` date at the rotation's `handoff` time, in the schedule's
 * zone; members[0] takes the first shift, then members[1], … cycling. Before that nobody is on
 * call in the layer. Handoff k happens at the wall-clock time start + k·step, where step is 1 day
 * (daily), 7 days (weekly) or `length` in wall-clock minutes (custom), converted with
 * localToInstant: a 09:00 handoff stays at 09:00 local across DST (that shift lasts 23 h or 25 h),
 * and 12 h shifts stay 09:00/21:00. A handoff inside a DST gap moves forward by the gap (RFC 5545).
 * If that puts it at or after a later handoff (only custom shifts shorter than the gap), the later
 * handoff wins: the person on call is the one of the last handoff that has happened.
 *
 * Restrictions. When a layer has any, it is on call only inside their union. {days, from, to} is a
 * window from `from` on each listed weekday to `to` the same day, or the next day when `to` <= `from`
 * (so from == to is a 24 h window); "24:00" is the end of that day. Windows are wall-clock, so
 * business hours stay 09:00–17:00 local across DST. Inside a window, whoever's shift covers the
 * moment is on call.
 *
 * Layers. The last-listed layer wins wherever it has someone; where it has nobody the layer below
 * decides, and so on.
 *
 * Overrides. Applied over the layers in array order (creation order), so a later one wins where
 * they overlap. `replaces: null` puts `user` on call for the whole [start, end); `replaces: h` only
 * where the result so far (layers and earlier overrides) is `h`, so a swap of a swap follows the
 * person who actually holds the shift.
 *
 * Output segments are sorted, non-overlapping, clipped to the asked range, never empty, and
 * adjacent ones with the same user and the same source are merged.
 */

const MINUTE = 60_000;
const DAY = 86_400_000;

/** A run-time change to a schedule: `user` on call for [start, end), over the layers. */
export interface ScheduleOverride {
  id: string;
  user: string;
  start: number;
  end: number;
  /** A handle: the override applies only where that user would be on call (a shift swap). */
  replaces: string | null;
}

/** Where a segment comes from: a layer (index into `layers`) or an override. */
export type SegmentSource = { type: 'layer'; layer: number; name: string | null } | { type: 'override'; id: string };

/** One person on call for [start, end). */
export interface OnCallSegment {
  start: number;
  end: number;
  user: string;
  source: SegmentSource;
}

/** A stretch of one layer's on-call time. */
export interface LayerSegment {
  start: number;
  end: number;
  user: string;
}

type Span = { start: number; end: number };
type Day = Pick<LocalTime, 'year' | 'month' | 'day'>;

/** "HH:MM" (or "24:00") → minutes after midnight. */
const clockMinutes = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));
const dayNumber = (t: Day) => Date.UTC(t.year, t.month - 1, t.day) / DAY;
function dayMidnight(n: number): LocalTime {
  const d = new Date(n * DAY);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 0, minute: 0 };
}

/** Wall-clock minutes between handoffs. */
export function rotationStepMinutes(rotation: RotationConfig): number {
  if (rotation.type === 'daily') return 1440;
  if (rotation.type === 'weekly') return 7 * 1440;
  return Math.max(1, Math.round(rotation.length / MINUTE));
}

function layerOrigin(layer: LayerConfig): LocalTime {
  const date = parseLocalDate(layer.start);
  if (!date) throw new Error(`invalid layer start date "${layer.start}"`);
  const handoff = clockMinutes(layer.rotation.handoff);
  return { ...date, hour: Math.floor(handoff / 60), minute: handoff % 60 };
}

/** The layer's shifts (without restrictions) that overlap [from, to), not clipped, in order. */
function shifts(layer: LayerConfig, clock: ZoneClock, from: number, to: number): LayerSegment[] {
  const origin = layerOrigin(layer);
  const step = rotationStepMinutes(layer.rotation);
  const wallAt = (k: number) => addLocalMinutes(origin, k * step);
  const at = (k: number) => clock.toInstant(wallAt(k));
  // Jump to the shift whose wall-clock start precedes `from`'s, then step back past any handoff a
  // DST gap pushed after `from`: no earlier handoff can matter once one at or before `from` is found.
  let k = Math.max(0, Math.floor(wallMinutesBetween(origin, clock.toLocal(from)) / step));
  let start = at(k);
  while (k > 0 && start > from) start = at(--k);
  const stack: { start: number; k: number }[] = [];
  for (;;) {
    // A handoff that lands at or before an earlier one (gap-shifted) supersedes it.
    while (stack.length > 0 && stack[stack.length - 1].start >= start) stack.pop();
    stack.push({ start, k });
    // Only a gap-shifted handoff can be overtaken by a later one; stop at the first ordinary one past `to`.
    if (start >= to && wallMinutesBetween(wallAt(k), clock.toLocal(start)) === 0) break;
    start = at(++k);
  }
  const out: LayerSegment[] = [];
  for (let i = 0; i + 1 < stack.length; i++) {
    const s = stack[i];
    const end = stack[i + 1].start;
    if (end > from && s.start < to) out.push({ start: s.start, end, user: layer.members[s.k % layer.members.length] });
  }
  return out;
}

/** The union of the restriction windows overlapping [from, to), sorted and merged, not clipped. */
export function restrictionWindows(restrictions: RestrictionConfig[], timeZone: string, from: number, to: number): Span[] {
  return windowsIn(restrictions, zoneClock(timeZone, from, to), from, to);
}

function windowsIn(restrictions: RestrictionConfig[], clock: ZoneClock, from: number, to: number): Span[] {
  const windows: Span[] = [];
  // A window lasts at most 24 h of wall time, so one that started the day before `from` may reach it.
  const first = dayNumber(clock.toLocal(from)) - 1;
  const last = dayNumber(clock.toLocal(to));
  for (let n = first; n <= last; n++) {
    const midnight = dayMidnight(n);
    const weekday = WEEKDAYS[(new Date(n * DAY).getUTCDay() + 6) % 7];
    for (const r of restrictions) {
      if (!r.days.includes(weekday)) continue;
      const a = clockMinutes(r.from);
      const b = clockMinutes(r.to);
      const start = clock.toInstant(addLocalMinutes(midnight, a));
      const end = clock.toInstant(addLocalMinutes(midnight, b > a ? b : b + 1440));
      // A window inside a DST gap can come out empty (or reversed): it does not happen that day.
      if (end > start && end > from && start < to) windows.push({ start, end });
    }
  }
  windows.sort((x, y) => x.start - y.start);
  const merged: Span[] = [];
  for (const w of windows) {
    const prev = merged[merged.length - 1];
    if (prev && w.start <= prev.end) prev.end = Math.max(prev.end, w.end);
    else merged.push({ ...w });
  }
  return merged;
}

/** Who is on call in one layer (shifts cut to its restrictions) within [from, to). */
export function layerSegments(layer: LayerConfig, timeZone: string, from: number, to: number): LayerSegment[] {
  return from < to ? segmentsIn(layer, zoneClock(timeZone, from, to), from, to) : [];
}

function segmentsIn(layer: LayerConfig, clock: ZoneClock, from: number, to: number): LayerSegment[] {
  const clip = (s: LayerSegment): LayerSegment => ({ start: Math.max(s.start, from), end: Math.min(s.end, to), user: s.user });
  let parts = shifts(layer, clock, from, to).map(clip);
  if (layer.restrictions.length > 0) parts = intersect(parts, windowsIn(layer.restrictions, clock, from, to));
  return mergeAdjacent(parts.filter((s) => s.end > s.start), (a, b) => a.user === b.user);
}

/** The final on-call result within [from, to): layers stacked, then overrides. */
export function scheduleSegments(schedule: ScheduleConfig, overrides: readonly ScheduleOverride[], from: number, to: number): OnCallSegment[] {
  if (!(from < to)) return [];
  // One table of the zone's offsets serves every layer.
  const clock = zoneClock(schedule.time_zone, from, to);
  let result: OnCallSegment[] = [];
  schedule.layers.forEach((layer, i) => {
    const source: SegmentSource = { type: 'layer', layer: i, name: layer.name ?? null };
    result = overlay(result, segmentsIn(layer, clock, from, to).map((s) => ({ ...s, source })));
  });
  for (const o of overrides) {
    const span = { start: Math.max(o.start, from), end: Math.min(o.end, to) };
    if (span.end <= span.start) continue;
    const where = o.replaces === null ? [span] : intersect(result.filter((s) => s.user === o.replaces), [span]);
    const source: SegmentSource = { type: 'override', id: o.id };
    result = overlay(result, where.map((s) => ({ start: s.start, end: s.end, user: o.user, source })));
  }
  return mergeAdjacent(result, (a, b) => a.user === b.user && sameSource(a.source, b.source));
}

/** How far either side of an instant onCallAt looks: the longest shift (at least a day) plus a week. Load overrides over at least this much. */
export function onCallReach(schedule: ScheduleConfig): number {
  return Math.max(DAY, ...schedule.layers.map((l) => rotationStepMinutes(l.rotation) * MINUTE)) + 7 * DAY;
}

/**
 * The segment covering `at`, with its real start and end ("on call since … until …") as far as
 * the longest shift plus a week either side; null when nobody is on call at `at`.
 */
export function onCallAt(schedule: ScheduleConfig, overrides: readonly ScheduleOverride[], at: number): OnCallSegment | null {
  const bound = onCallReach(schedule);
  // Widen the window only while the segment reaches its edge: most lookups stay within a day or two.
  for (let span = Math.min(2 * DAY, bound); ; span = Math.min(span * 4, bound)) {
    const seg = scheduleSegments(schedule, overrides, at - span, at + span).find((s) => s.start <= at && at < s.end) ?? null;
    if (!seg || span >= bound || (seg.start > at - span && seg.end < at + span)) return seg;
  }
}

/** Whether two sources are the same layer or the same override. */
export function sameSource(a: SegmentSource, b: SegmentSource): boolean {
  return a.type === 'layer' ? b.type === 'layer' && a.layer === b.layer : b.type === 'override' && a.id === b.id;
}

// ---------------------------------------------------------------------------------------------
// Interval arithmetic on sorted, non-overlapping lists.

/** The parts of `items` inside `spans`, each keeping its own fields. */
function intersect<T extends Span>(items: T[], spans: Span[]): T[] {
  const out: T[] = [];
  let j = 0;
  for (const item of items) {
    while (j < spans.length && spans[j].end <= item.start) j++;
    for (let k = j; k < spans.length && spans[k].start < item.end; k++) {
      const start = Math.max(item.start, spans[k].start);
      const end = Math.min(item.end, spans[k].end);
      if (end > start) out.push({ ...item, start, end });
    }
  }
  return out;
}

/** `top` wherever it has something, `base` elsewhere. */
function overlay<T extends Span>(base: T[], top: T[]): T[] {
  if (top.length === 0) return base;
  const out: T[] = [...top];
  let j = 0;
  for (const b of base) {
    while (j < top.length && top[j].end <= b.start) j++;
    let cur = b.start;
    for (let k = j; cur < b.end; k++) {
      if (k >= top.length || top[k].start >= b.end) {
        out.push({ ...b, start: cur });
        break;
      }
      if (top[k].start > cur) out.push({ ...b, start: cur, end: top[k].start });
      cur = Math.max(cur, top[k].end);
    }
  }
  return out.sort((x, y) => x.start - y.start);
}

/** Joins segments that touch and are `same`. */
function mergeAdjacent<T extends Span>(items: T[], same: (a: T, b: T) => boolean): T[] {
  const out: T[] = [];
  for (const item of items) {
    const prev = out[out.length - 1];
    if (prev && prev.end === item.start && same(prev, item)) out[out.length - 1] = { ...prev, end: item.end };
    else out.push(item);
  }
  return out;
}
