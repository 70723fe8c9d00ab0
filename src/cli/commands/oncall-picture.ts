import type { ShiftView } from '../../modules/oncall/schedule-schemas.ts';
import { localToInstant } from '../../lib/zoned-time.ts';
import { CliError } from '../io.ts';

/**
 * Pure helpers of the on-call commands: wall-clock arithmetic in the viewer's time zone, reading
 * the times a person types, and the picture of who is on call when (a strip per day, one cell an
 * hour, one letter per person, lowercase where an override puts them there).
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;

// ---------------------------------------------------------------------------------------------
// Wall-clock time in a zone

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: string;
}

const wallFormatters = new Map<string, Intl.DateTimeFormat>();

function wallFormatter(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let f = wallFormatters.get(key);
  if (!f) {
    const opts: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', hourCycle: 'h23', weekday: 'short' };
    try {
      f = new Intl.DateTimeFormat('en-US', { ...opts, timeZone });
    } catch {
      // An unknown TZ value: the process default, as formatLocalTime does.
      f = new Intl.DateTimeFormat('en-US', opts);
    }
    wallFormatters.set(key, f);
  }
  return f;
}

/** The wall-clock date and time of an instant in a zone (undefined: the system's). */
export function wallTime(ms: number, timeZone: string | undefined): WallTime {
  const p: Record<string, string> = {};
  for (const part of wallFormatter(timeZone).formatToParts(new Date(ms))) p[part.type] = part.value;
  return { year: Number(p.year), month: Number(p.month), day: Number(p.day), hour: Number(p.hour) % 24, minute: Number(p.minute), weekday: p.weekday };
}

/**
 * The instant of a wall-clock time in a zone (undefined: the system's). Fields may overflow (hour
 * 24 is the next day's midnight); gaps and repeated hours follow localToInstant.
 */
export function zonedInstant(year: number, month: number, day: number, hour: number, minute: number, timeZone: string | undefined): number {
  return localToInstant({ year, month, day, hour, minute }, zoneName(timeZone));
}

/** The zone's name for headings: TZ when set, else the system's. */
export function zoneName(timeZone: string | undefined): string {
  return wallFormatter(timeZone).resolvedOptions().timeZone;
}

// ---------------------------------------------------------------------------------------------
// Times typed on the command line

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}:?\d{2})$/;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const RELATIVE = /^\+((?:\d+[smhdw])+)$/;
const UNITS: Record<string, number> = { s: 1000, m: MINUTE, h: HOUR, d: 24 * HOUR, w: 7 * 24 * HOUR };

/**
 * Reads a time as typed: ISO 8601 with an offset ("2026-04-08T12:00+02:00", "…Z"), a wall-clock
 * time in the viewer's zone ("2026-04-08 12:00", "2026-04-08" for midnight), "now", or a duration
 * after `base` ("+2h", "+1d12h"). Throws a usage error (exit 2) naming the flag otherwise.
 */
export function parseTimeArg(text: string, flag: string, now: number, base: number, timeZone: string | undefined): number {
  const t = text.trim();
  if (t === 'now') return now;
  const rel = RELATIVE.exec(t);
  if (rel) {
    let total = 0;
    for (const [, n, unit] of rel[1].matchAll(/(\d+)([smhdw])/g)) total += Number(n) * UNITS[unit];
    return base + total;
  }
  if (ISO_WITH_OFFSET.test(t)) {
    const ms = Date.parse(t.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (!Number.isNaN(ms)) return ms;
  }
  const local = LOCAL.exec(t);
  if (local) {
    const [year, month, day, hour, minute, second] = local.slice(1).map((v) => Number(v ?? 0));
    const valid = month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59 && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
    if (valid) return zonedInstant(year, month, day, hour, minute, timeZone) + second * 1000;
  }
  throw new CliError(`${flag} "${text}" is not a time: use ISO 8601 (2026-04-08T12:00+02:00), a local time ("2026-04-08 12:00", in ${zoneName(timeZone)}), "now", or "+2h"`, 2);
}

// ---------------------------------------------------------------------------------------------
// Letters and colours

/** One distinct letter per person: the handle's first letter when free, else another of its letters, else any. */
export function assignLetters(handles: readonly string[]): Map<string, string> {
  const letters = new Map<string, string>();
  const used = new Set<string>();
  const pool = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ', ...'0123456789'];
  for (const handle of handles) {
    if (letters.has(handle)) continue;
    const own = [...handle.toUpperCase()].filter((c) => /[A-Z0-9]/.test(c));
    const pick = [...own, ...pool].find((c) => !used.has(c)) ?? '?';
    used.add(pick);
    letters.set(handle, pick);
  }
  return letters;
}

/** Background colours for people, in order; black letters on them read well. */
const PALETTE = [46, 43, 45, 42, 44, 41, 106, 103, 105, 102, 104, 101, 47];
const esc = (codes: string) => `\u001b[${codes}m`;
const RESET = esc('0');

/** Colour is for terminals: off with NO_COLOR, when TERM is dumb, and when stdout is not a terminal (unless FORCE_COLOR). */
export function colorWanted(env: Readonly<Record<string, string | undefined>>, isTty: boolean): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTty && env.TERM !== 'dumb';
}

// ---------------------------------------------------------------------------------------------
// The picture

export const NOBODY = '·';

interface Cell {
  handle: string | null;
  override: boolean;
}

/**
 * Who a stretch [a, b) shows: an override touching it wins (so a short one is never invisible),
 * otherwise whoever covers most of it; nobody when no shift touches it.
 */
export function cellOwner(shifts: readonly ShiftView[], a: number, b: number): Cell {
  const cover = new Map<string, { handle: string; override: boolean; ms: number }>();
  for (const s of shifts) {
    const start = Date.parse(s.start);
    const end = Date.parse(s.end);
    const ms = b > a ? Math.min(end, b) - Math.max(start, a) : start <= a && a < end ? 1 : 0;
    if (ms <= 0) continue;
    const override = s.source.type === 'override';
    const key = `${override ? 'o' : 'l'}:${s.handle}`;
    const c = cover.get(key) ?? { handle: s.handle, override, ms: 0 };
    c.ms += ms;
    cover.set(key, c);
  }
  const all = [...cover.values()];
  const overrides = all.filter((c) => c.override);
  const best = (overrides.length ? overrides : all).reduce<(typeof all)[number] | null>((m, c) => (!m || c.ms > m.ms ? c : m), null);
  return best ? { handle: best.handle, override: best.override } : { handle: null, override: false };
}

export interface PictureOptions {
  /** The first day shown (its date in `timeZone`). */
  start: number;
  days: number;
  timeZone: string | undefined;
  /** Marks the current hour under its day, when it falls in the picture. */
  now?: number;
  color: boolean;
  /** People in the order they get letters (the layers' members first); others follow as they appear. */
  people?: readonly string[];
}

const DAY_LABEL = 14;
const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * A strip per day over `days` days in the viewer's zone, one cell an hour in four groups of six,
 * a letter per person (lowercase: there by an override), "·" where nobody is on call; then the
 * legend. Plain letters without colour; with colour each person also gets a background.
 */
export function renderOnCallPicture(shifts: readonly ShiftView[], opts: PictureOptions): string {
  const { timeZone } = opts;
  const names = new Map(shifts.map((s) => [s.handle, s.name]));
  const order = [...(opts.people ?? []), ...shifts.map((s) => s.handle)];
  const letters = assignLetters(order);
  const colorOf = new Map([...letters.keys()].map((h, i) => [h, PALETTE[i % PALETTE.length]]));
  const letterOf = (c: Cell) => (c.handle ? (c.override ? letters.get(c.handle)!.toLowerCase() : letters.get(c.handle)!) : NOBODY);
  const styleOf = (c: Cell) => (c.handle ? `30;${colorOf.get(c.handle)}${c.override ? ';1;4' : ''}` : '');
  /** Cells as letters; with colour, each run of one style in one escape sequence. */
  const paint = (cells: Cell[]) => {
    if (!opts.color) return cells.map(letterOf).join('');
    let out = '';
    for (let i = 0; i < cells.length; ) {
      let j = i;
      while (j < cells.length && styleOf(cells[j]) === styleOf(cells[i])) j++;
      const text = cells.slice(i, j).map(letterOf).join('');
      out += styleOf(cells[i]) ? `${esc(styleOf(cells[i]))}${text}${RESET}` : text;
      i = j;
    }
    return out;
  };

  const first = wallTime(opts.start, timeZone);
  const lines: string[] = [];
  lines.push(`${' '.repeat(DAY_LABEL)}  ${['00', '06', '12', '18'].map((h) => h.padEnd(6)).join(' ')}`.trimEnd());
  const seen = new Set<string>();
  let overridesShown = false;
  let nobodyShown = false;
  for (let d = 0; d < opts.days; d++) {
    const date = new Date(Date.UTC(first.year, first.month - 1, first.day + d));
    const [y, m, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const weekday = wallTime(zonedInstant(y, m, day, 12, 0, timeZone), timeZone).weekday;
    const groups: string[] = [];
    let nowColumn: number | null = null;
    for (let g = 0; g < 4; g++) {
      const group: Cell[] = [];
      for (let h = g * 6; h < g * 6 + 6; h++) {
        const a = zonedInstant(y, m, day, h, 0, timeZone);
        const b = zonedInstant(y, m, day, h + 1, 0, timeZone);
        if (opts.now !== undefined && opts.now >= a && opts.now < b) nowColumn = DAY_LABEL + 2 + h + g;
        const cell = cellOwner(shifts, a, b);
        if (cell.handle) seen.add(cell.handle);
        else nobodyShown = true;
        if (cell.override) overridesShown = true;
        group.push(cell);
      }
      groups.push(paint(group));
    }
    lines.push(`${`${weekday} ${y}-${pad2(m)}-${pad2(day)}`.padEnd(DAY_LABEL)}  ${groups.join(' ')}`);
    if (nowColumn !== null) lines.push(`${' '.repeat(nowColumn)}^ now`);
  }
  const legend = [...letters].filter(([h]) => seen.has(h)).map(([h, l]) => `${paint([{ handle: h, override: false }])} ${h} (${names.get(h) ?? h})`);
  if (overridesShown) legend.push('lowercase: by an override');
  if (nobodyShown) legend.push(`${NOBODY} nobody on call`);
  if (legend.length) lines.push('', ...wrap(legend, 100));
  return lines.map((l) => `  ${l}`.trimEnd()).join('\n') + '\n';
}

/** Joins legend entries two spaces apart, starting a new line before one would pass `width` (colour codes not counted). */
function wrap(entries: string[], width: number): string[] {
  const visible = (s: string) => s.replace(/\u001b\[[\d;]*m/g, '').length;
  const out: string[] = [];
  let line = '';
  for (const e of entries) {
    if (line && visible(line) + 2 + visible(e) > width) {
      out.push(line);
      line = e;
    } else line = line ? `${line}  ${e}` : e;
  }
  if (line) out.push(line);
  return out;
}

/** The local midnight that starts the day `ms` falls on, in the zone. */
export function startOfDay(ms: number, timeZone: string | undefined): number {
  const w = wallTime(ms, timeZone);
  return zonedInstant(w.year, w.month, w.day, 0, 0, timeZone);
}

/** The local midnight `days` days after the one starting the day of `ms`. */
export function dayAfter(ms: number, days: number, timeZone: string | undefined): number {
  const w = wallTime(ms, timeZone);
  return zonedInstant(w.year, w.month, w.day + days, 0, 0, timeZone);
}
