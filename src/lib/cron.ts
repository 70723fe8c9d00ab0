/**
 * Cron schedules in the wall clock of an IANA time zone, for heartbeat monitors (healthchecks.io
 * semantics): a job is expected at each occurrence, and is late at (the next occurrence after its
 * last ping) + grace. No dependencies: time zones come from Intl, through zoned-time.ts.
 *
 * Syntax, Vixie cron's five fields: minute hour day-of-month month day-of-week. Each is a list of
 * `*`, `a` or `a-b`, optionally followed by a step `/n` (`a/n` means a to the field's end, as
 * cronsim and most crons read it); JAN–DEC and SUN–SAT in any case; day-of-week 0–7, 0 and 7 both
 * Sunday; and the macros @yearly @annually @monthly @weekly @daily @midnight @hourly. No seconds.
 *
 * Day-of-month and day-of-week, as Vixie cron decides it (flags set when a field starts with `*`,
 * so a stepped star counts as unrestricted; cronsim and Debian agree): when neither field starts
 * with `*`, a day matches if EITHER field does (`0 0 13 * FRI`: every 13th and every Friday);
 * otherwise both must.
 *
 * Daylight saving, as Debian cron and cronsim do it. A job is fixed-time when neither its minute nor
 * its hour field starts with `*` (`30 2 * * *`, `0 9,17 * * 1-5`, @daily); others are wildcard jobs
 * (`0 * * * *`, @hourly, a stepped star in the hour or minute field).
 * - Spring-forward gap: a fixed-time job whose wall time is skipped fires once, at the first instant
 *   after the gap (02:30 in Europe/Berlin on the last Sunday of March fires at 03:00 CEST; several
 *   skipped times still fire once). For wildcard jobs skipped wall times simply do not occur.
 * - Fall-back overlap: a fixed-time job fires once, at the first occurrence of its wall time; a
 *   wildcard job fires at both, so an hourly job fires every real hour.
 *
 * Occurrence dates repeat every 400 years (the Gregorian cycle), so parseCron refuses a schedule that
 * has none in one cycle (`0 0 30 2 *`) and the search is bounded. It steps over non-matching months,
 * days and hours in wall-clock arithmetic and asks Intl only about the candidate it lands on.
 * Assumed, as in zoned-time.ts: at most one offset change within a day of any time, none over 3 h.
 * An unknown time zone throws Intl's RangeError.
 */
import { zoneOffset } from './zoned-time.ts';

/** A parsed schedule; every value list is sorted and duplicate-free. */
export interface CronSchedule {
  readonly expression: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  /** 1–12. */
  readonly months: readonly number[];
  /** 0–6, Sunday 0 (7 is folded into 0). */
  readonly daysOfWeek: readonly number[];
  /** Both day fields are restricted: a day matches when either does (Vixie). */
  readonly dayOr: boolean;
  /** Neither minute nor hour starts with `*`: the fixed-time DST rules apply. */
  readonly fixedTime: boolean;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** The Gregorian calendar repeats every 400 years: a schedule with no date in that span has none ever. */
const CYCLE_YEARS = 400;

/** Parses a 5-field cron expression or macro; throws an Error naming the field and value at fault. */
export function parseCron(expr: string): CronSchedule {
  const expression = expr.trim();
  let text = expression;
  if (text.startsWith('@')) {
    const macro = MACROS[text.toLowerCase()];
    if (!macro) throw new Error(`unknown macro "${text}" (expected one of ${Object.keys(MACROS).join(' ')})`);
    text = macro;
  }
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) throw new Error(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = parts.map((part, i) => parseField(part, FIELDS[i]));
  const schedule: CronSchedule = {
    expression,
    minutes,
    hours,
    daysOfMonth,
    months,
    daysOfWeek,
    dayOr: !parts[2].startsWith('*') && !parts[4].startsWith('*'),
    fixedTime: !parts[0].startsWith('*') && !parts[1].startsWith('*'),
  };
  if (nextWall(schedule, Date.UTC(2000, 0, 1), CYCLE_YEARS) === null) {
    throw new Error(
      daysOfWeek.length === 7
        ? `never fires: day-of-month ${parts[2]} does not occur in month ${parts[3]}`
        : `never fires: no day in month ${parts[3]} is both day-of-month ${parts[2]} and day-of-week ${parts[4]}`,
    );
  }
  return schedule;
}

/** The reason an expression is refused, or null when it parses: for config validation. */
export function cronError(expr: string): string | null {
  try {
    parseCron(expr);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function parseField(text: string, spec: FieldSpec): number[] {
  const fail = (why: string) => new Error(`${spec.name} field: ${why}`);
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^(\*|[^-/*]+(?:-[^-/*]+)?)(?:\/(.*))?$/.exec(item);
    if (!m) throw fail(`"${item}" is not *, a value, a range or a step`);
    const [body, stepText] = [m[1], m[2]];
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw fail(`step "${stepText}" is not a whole number of at least 1`);
      step = Number(stepText);
    }
    let [lo, hi] = [spec.min, spec.max];
    if (body !== '*') {
      const [from, to] = body.split('-');
      lo = fieldValue(from, spec, fail);
      // A single value with a step runs to the field's end; without one it is just that value.
      hi = to !== undefined ? fieldValue(to, spec, fail) : stepText !== undefined ? spec.max : lo;
      if (hi < lo) throw fail(`range ${body} is backwards`);
    }
    for (let v = lo; v <= hi; v += step) values.add(spec.name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return [...values].sort((a, b) => a - b);
}

function fieldValue(text: string, spec: FieldSpec, fail: (why: string) => Error): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) throw fail(`${n} is out of range ${spec.min}-${spec.max}`);
    return n;
  }
  const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index < 0) {
    const kinds = spec.names ? ` or a name (${spec.names[0]}–${spec.names[spec.names.length - 1]})` : '';
    throw fail(`"${text}" is not a number${kinds}`);
  }
  return index + (spec.name === 'month' ? 1 : 0);
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

function dayMatches(s: CronSchedule, year: number, month: number, day: number): boolean {
  const dom = s.daysOfMonth.includes(day);
  const dow = s.daysOfWeek.includes(new Date(Date.UTC(year, month - 1, day)).getUTCDay());
  return s.dayOr ? dom || dow : dom && dow;
}

/**
 * The first wall-clock time at or after `from` that matches the fields, as the UTC ms of the same
 * wall reading, or null if none within `years`. Pure calendar arithmetic: no time zone yet.
 */
function nextWall(s: CronSchedule, from: number, years: number): number | null {
  const start = new Date(from);
  let [y, mo, d, h, mi] = [start.getUTCFullYear(), start.getUTCMonth() + 1, start.getUTCDate(), start.getUTCHours(), start.getUTCMinutes()];
  const lastYear = y + years;
  while (y <= lastYear) {
    if (!s.months.includes(mo) || d > daysIn(y, mo)) {
      const next = s.months.find((m) => m > mo);
      [y, mo, d, h, mi] = next === undefined ? [y + 1, s.months[0], 1, 0, 0] : [y, next, 1, 0, 0];
      continue;
    }
    if (!dayMatches(s, y, mo, d)) {
      // With day-of-week unrestricted only day-of-month decides, so jump to its next value (or past
      // the month's end); otherwise some weekday within six days will do.
      d = !s.dayOr && s.daysOfWeek.length === 7 ? (s.daysOfMonth.find((v) => v > d) ?? 32) : d + 1;
      [h, mi] = [0, 0];
      continue;
    }
    const hour = s.hours.find((v) => v >= h);
    if (hour === undefined) {
      [d, h, mi] = [d + 1, 0, 0];
      continue;
    }
    if (hour > h) [h, mi] = [hour, 0];
    const minute = s.minutes.find((v) => v >= mi);
    if (minute === undefined) {
      [h, mi] = [h + 1, 0];
      continue;
    }
    return Date.UTC(y, mo - 1, d, h, minute);
  }
  return null;
}

/** The earliest instant after `afterMs` at which wall time `wall` fires, under the DST rules above. */
function firingAfter(s: CronSchedule, wall: number, timeZone: string, afterMs: number): number | null {
  // Offsets a day either side: the ones in force before and after any change near `wall`.
  const before = zoneOffset(wall - DAY, timeZone);
  const after = zoneOffset(wall + DAY, timeZone);
  let times = [wall - before];
  if (before !== after) {
    times = [wall - before, wall - after].sort((a, b) => a - b).filter((c) => c + zoneOffset(c, timeZone) === wall);
    if (times.length === 0) times = s.fixedTime ? [gapEnd(wall, before, after, timeZone)] : [];
    else if (s.fixedTime) times = times.slice(0, 1);
  }
  return times.find((t) => t > afterMs) ?? null;
}

/**
 * The instant a spring-forward gap containing `wall` ends: the offset is `before` at wall − after
 * (just before the change) and `after` at wall − before, so bisect between them to the minute.
 */
function gapEnd(wall: number, before: number, after: number, timeZone: string): number {
  let [lo, hi] = [wall - after, wall - before];
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (zoneOffset(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The first occurrence strictly after `afterMs` (epoch ms), in the wall clock of `timeZone`. */
export function nextCronTime(schedule: CronSchedule, afterMs: number, timeZone: string): number {
  const offset = zoneOffset(afterMs, timeZone);
  const wallNow = Math.floor((afterMs + offset) / MINUTE) * MINUTE;
  // Shortly before a fall-back, later instants read earlier on the clock (the repeated hour), and a
  // wildcard job fires there: search from that much earlier. Fixed-time jobs skip the second pass.
  const shift = schedule.fixedTime ? 0 : Math.max(0, offset - zoneOffset(afterMs + 3 * HOUR, timeZone));
  let best = Number.POSITIVE_INFINITY;
  for (let from = wallNow - shift; ; ) {
    const wall = nextWall(schedule, from, CYCLE_YEARS);
    if (wall === null) throw new Error(`cron "${schedule.expression}" never fires after ${new Date(afterMs).toISOString()}`);
    const t = firingAfter(schedule, wall, timeZone, afterMs);
    // Past the current minute, firing instants rise with wall time, so the first one found is the
    // next; earlier candidates (second-pass times, or the current minute) only compete with it.
    if (t !== null) {
      if (wall > wallNow) return Math.min(best, t);
      best = Math.min(best, t);
    }
    from = wall + MINUTE;
  }
}
