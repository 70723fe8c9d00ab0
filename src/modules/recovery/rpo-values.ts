/**
 * Reading restorable points and sizes from what backup jobs and tools send: ISO 8601 with a time
 * zone (or a bare date, UTC) or epoch seconds, as a string or a number. Every problem is a short
 * sentence for the ping's answer or the check's message, never an exception.
 */

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;
const EPOCH = /^\d{1,12}(?:\.\d{1,9})?$/;
/** Points before this (2000-01-01) are taken for a mistake (milliseconds read as seconds are far later). */
const EARLIEST = Date.UTC(2000, 0, 1);
/** Clocks drift: a point up to five minutes ahead is accepted as now. */
export const FUTURE_SKEW_MS = 5 * 60_000;

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** A restorable point in ms since the epoch, checked against `now` (not in the future, not before 2000). */
export function parseRestorableAt(value: unknown, now: number): Parsed<number> {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return { ok: false, problem: 'not a valid time' };
    ms = Math.round(value * 1000);
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (EPOCH.test(text)) ms = Math.round(Number(text) * 1000);
    else if (ISO.test(text)) ms = Date.parse(text.replace(' ', 'T'));
    else return { ok: false, problem: 'not ISO 8601 with a time zone or epoch seconds' };
    if (!Number.isFinite(ms)) return { ok: false, problem: 'not a valid date' };
  } else {
    return { ok: false, problem: 'not ISO 8601 or epoch seconds' };
  }
  if (ms < EARLIEST) return { ok: false, problem: 'before 2000 (epoch seconds, not milliseconds?)' };
  if (ms > now + FUTURE_SKEW_MS) return { ok: false, problem: 'in the future' };
  return { ok: true, value: Math.min(ms, now) };
}

/** A size in bytes: a whole number from 0 to 2^53 − 1, as a number or a string of digits. */
export function parseSizeBytes(value: unknown): Parsed<number> {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,16}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) return { ok: false, problem: 'not a whole number of bytes' };
  return { ok: true, value: n };
}
