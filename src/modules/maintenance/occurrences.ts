import { addLocalDays, addLocalMinutes, localToInstant, instantToLocal, type LocalTime } from '../../lib/zoned-time.ts';

/** A window's schedule in wall-clock terms. */
export interface Schedule {
  timeZone: string;
  start: LocalTime;
  /** Wall-clock minutes from start to end (the same every occurrence). */
  minutes: number;
  recurrence: 'daily' | 'weekly' | null;
  /** The last local date an occurrence may start on. */
  until: Pick<LocalTime, 'year' | 'month' | 'day'> | null;
}

export interface Occurrence {
  start: number;
  end: number;
}

const stepDays = (s: Schedule) => (s.recurrence === 'weekly' ? 7 : 1);
const dayNumber = (t: Pick<LocalTime, 'year' | 'month' | 'day'>) => Date.UTC(t.year, t.month - 1, t.day) / 86_400_000;

/** Occurrence k (0 = the first), or null when it would start after `until`. */
export function occurrence(s: Schedule, k: number): Occurrence | null {
  if (k < 0 || (k > 0 && s.recurrence === null)) return null;
  const start = addLocalDays(s.start, k * stepDays(s));
  if (s.until && dayNumber(start) > dayNumber(s.until)) return null;
  return { start: localToInstant(start, s.timeZone), end: localToInstant(addLocalMinutes(start, s.minutes), s.timeZone) };
}

/** The index of the occurrence that starts on or just before the local day of `instant`. */
function indexNear(s: Schedule, instant: number): number {
  if (s.recurrence === null) return 0;
  return Math.floor((dayNumber(instantToLocal(instant, s.timeZone)) - dayNumber(s.start)) / stepDays(s));
}

/** The occurrence in force at `instant`, if any. */
export function occurrenceAt(s: Schedule, instant: number): Occurrence | null {
  const k0 = indexNear(s, instant);
  // An occurrence is never longer than its period (checked on create), so it started at most one
  // period before the local day; two extra candidates cover DST shifts near midnight.
  for (let k = k0 + 1; k >= Math.max(0, k0 - 2); k--) {
    const o = occurrence(s, k);
    if (o && o.start <= instant && instant < o.end) return o;
  }
  return null;
}

/** The occurrence in force at `instant`, else the next one to start, else null. */
export function currentOrNext(s: Schedule, instant: number): Occurrence | null {
  for (let k = Math.max(0, indexNear(s, instant) - 2); ; k++) {
    const o = occurrence(s, k);
    if (!o) return null;
    if (o.end > instant) return o;
  }
}

/** When the last occurrence ends, or null when the window recurs without end. */
export function lastEnd(s: Schedule): number | null {
  if (s.recurrence === null) return occurrence(s, 0)!.end;
  if (!s.until) return null;
  const k = Math.floor((dayNumber(s.until) - dayNumber(s.start)) / stepDays(s));
  return occurrence(s, k)!.end;
}
