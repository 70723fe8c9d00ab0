/**
 * Wall-clock times in IANA time zones, with Intl only (no tz database of our own). Maintenance
 * windows are declared in local time ("Saturday 22:00 Europe/Berlin") and must stay at local 22:00
 * across daylight-saving changes, so occurrences are computed in wall-clock terms and converted.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** A wall-clock time; month 1–12. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** The zone's offset from UTC at an instant, in ms (Berlin in summer: +7,200,000). */
export function zoneOffset(instant: number, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  // formatToParts drops milliseconds; compare whole seconds.
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall-clock time happens in a zone. A time the clocks skip (02:30 on a spring-
 * forward night) is taken as the same length after the gap starts, so it happens one gap later
 * (03:30), as RFC 5545 does; a time that happens twice (the autumn hour) is taken the first time.
 */
export function localToInstant(t: LocalTime, timeZone: string): number {
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute);
  // Try both offsets in force near the time; the earliest candidate that reads back as the same
  // wall clock is the answer. None reads back only inside a gap.
  const before = zoneOffset(wall - 86_400_000, timeZone);
  const after = zoneOffset(wall + 86_400_000, timeZone);
  const candidates = [...new Set([wall - before, wall - after])].sort((a, b) => a - b);
  for (const c of candidates) if (c + zoneOffset(c, timeZone) === wall) return c;
  // In the gap: the offset before the change puts the time after the change by the gap's length.
  return wall - before;
}

/** The wall-clock time of an instant in a zone. */
export function instantToLocal(instant: number, timeZone: string): LocalTime {
  const d = new Date(instant + zoneOffset(instant, timeZone));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
}

/** "YYYY-MM-DDTHH:MM" (seconds and an offset are refused: the zone says where) → LocalTime, or null. */
export function parseLocalTime(text: string): LocalTime | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute] = m.slice(1).map(Number);
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59) return null;
  return { year, month, day, hour, minute };
}

/** "YYYY-MM-DD" → { year, month, day } (a valid calendar date), or null. */
export function parseLocalDate(text: string): Pick<LocalTime, 'year' | 'month' | 'day'> | null {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(text) ? parseLocalTime(`${text}T00:00`) : null;
  return t && { year: t.year, month: t.month, day: t.day };
}

export const formatLocalTime = (t: LocalTime) => `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}`;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The same wall-clock time `days` calendar days later (or earlier). */
export function addLocalDays(t: LocalTime, days: number): LocalTime {
  const d = new Date(Date.UTC(t.year, t.month - 1, t.day + days, t.hour, t.minute));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
}

/** Wall-clock minutes between two local times (ignoring any DST change between them). */
export const wallMinutesBetween = (a: LocalTime, b: LocalTime) =>
  (Date.UTC(b.year, b.month - 1, b.day, b.hour, b.minute) - Date.UTC(a.year, a.month - 1, a.day, a.hour, a.minute)) / 60_000;

/** Adds wall-clock minutes to a local time. */
export function addLocalMinutes(t: LocalTime, minutes: number): LocalTime {
  const d = new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute) + minutes * 60_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
}

/** Conversions in one zone, exact within the window a ZoneClock was made for. */
export interface ZoneClock {
  offset(instant: number): number;
  /** As localToInstant. */
  toInstant(t: LocalTime): number;
  /** As instantToLocal. */
  toLocal(instant: number): LocalTime;
}

/**
 * A zone's offsets over [from, to] found once, so the many conversions of a schedule computation
 * are arithmetic rather than an Intl call each (~6 µs). Assumes, as localToInstant does, at most
 * one offset change a day; outside the window it falls back to zoneOffset.
 */
export function zoneClock(timeZone: string, from: number, to: number): ZoneClock {
  const DAY = 86_400_000;
  // Margins cover localToInstant's look at ±1 day around a wall time near the edges.
  const lo = Math.floor(from / DAY) * DAY - 2 * DAY;
  const hi = Math.ceil(to / DAY) * DAY + 2 * DAY;
  const starts = [lo];
  const offsets = [zoneOffset(lo, timeZone)];
  for (let t = lo + DAY; t <= hi; t += DAY) {
    const prev = offsets[offsets.length - 1];
    if (zoneOffset(t, timeZone) === prev) continue;
    // Offsets are constant within a second: bisect to the first second of the new offset.
    let a = t - DAY;
    let b = t;
    while (b - a > 1000) {
      const m = a + Math.floor((b - a) / 2000) * 1000;
      if (zoneOffset(m, timeZone) === prev) a = m;
      else b = m;
    }
    starts.push(b);
    offsets.push(zoneOffset(b, timeZone));
  }
  const offset = (instant: number) => {
    if (instant < lo || instant > hi) return zoneOffset(instant, timeZone);
    let i = starts.length - 1;
    while (starts[i] > instant) i--;
    return offsets[i];
  };
  const toLocal = (instant: number): LocalTime => {
    const d = new Date(instant + offset(instant));
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
  };
  // The same rule as localToInstant, with table look-ups.
  const toInstant = (t: LocalTime) => {
    const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute);
    const before = offset(wall - DAY);
    const after = offset(wall + DAY);
    const candidates = before === after ? [wall - before] : [wall - before, wall - after].sort((x, y) => x - y);
    for (const c of candidates) if (c + offset(c) === wall) return c;
    return wall - before;
  };
  return { offset, toInstant, toLocal };
}
