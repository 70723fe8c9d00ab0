import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { cronError, nextCronTime, parseCron, type CronSchedule } from '../../src/lib/cron.ts';
import { localToInstant, zoneOffset, type LocalTime } from '../../src/lib/zoned-time.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

/** The next `count` occurrences after `from`, as ISO instants. */
function occurrences(expr: string, from: string, timeZone: string, count: number): string[] {
  const schedule = parseCron(expr);
  const out: string[] = [];
  for (let t = at(from); out.length < count; ) out.push(iso((t = nextCronTime(schedule, t, timeZone))));
  return out;
}

describe('parseCron', () => {
  test('every syntax: star, lists, ranges, steps, names in any case, Sunday as 0 or 7', () => {
    const all = parseCron('* * * * *');
    assert.deepEqual([all.minutes, all.hours, all.daysOfMonth, all.months, all.daysOfWeek], [range(0, 59), range(0, 23), range(1, 31), range(1, 12), range(0, 6)]);
    const s = parseCron('  5,10,15   0-6/2 1-10/3 JAN,jun-Aug sun,Mon-wed ');
    assert.deepEqual(s.minutes, [5, 10, 15]);
    assert.deepEqual(s.hours, [0, 2, 4, 6]);
    assert.deepEqual(s.daysOfMonth, [1, 4, 7, 10]);
    assert.deepEqual(s.months, [1, 6, 7, 8]);
    assert.deepEqual(s.daysOfWeek, [0, 1, 2, 3]);
    assert.equal(s.expression, '5,10,15   0-6/2 1-10/3 JAN,jun-Aug sun,Mon-wed');
    assert.deepEqual(parseCron('*/20 */7 */10 */5 */2').minutes, [0, 20, 40]);
    assert.deepEqual(parseCron('*/20 */7 */10 */5 */2').hours, [0, 7, 14, 21]);
    assert.deepEqual(parseCron('*/20 */7 */10 */5 */2').daysOfMonth, [1, 11, 21, 31]);
    assert.deepEqual(parseCron('*/20 */7 */10 */5 */2').months, [1, 6, 11]);
    assert.deepEqual(parseCron('*/20 */7 */10 */5 */2').daysOfWeek, [0, 2, 4, 6]);
    assert.deepEqual(parseCron('10-50/15 * * * *').minutes, [10, 25, 40]);
    assert.deepEqual(parseCron('5/20 * * * *').minutes, [5, 25, 45], 'a/n runs to the end of the field');
    assert.deepEqual(parseCron('0 0 * * 5-7').daysOfWeek, [0, 5, 6]);
    assert.deepEqual(parseCron('0 0 * * 7').daysOfWeek, [0]);
    assert.deepEqual(parseCron('0 0 * * 0,7,SUN').daysOfWeek, [0]);
    assert.deepEqual(parseCron('0 0 * mar-MAY/2 FRI-sat').months, [3, 5]);
    assert.deepEqual(parseCron('0 0 * * MON-FRI/2').daysOfWeek, [1, 3, 5]);
    assert.deepEqual(parseCron('0 0 * * */90').daysOfWeek, [0], 'a step wider than the field leaves its start');
  });

  test('macros are their five-field expansions, in any case', () => {
    const fields = (s: CronSchedule) => [s.minutes, s.hours, s.daysOfMonth, s.months, s.daysOfWeek, s.dayOr, s.fixedTime];
    const expansions: Record<string, string> = {
      '@yearly': '0 0 1 1 *',
      '@annually': '0 0 1 1 *',
      '@monthly': '0 0 1 * *',
      '@weekly': '0 0 * * 0',
      '@daily': '0 0 * * *',
      '@midnight': '0 0 * * *',
      '@hourly': '0 * * * *',
    };
    for (const [macro, expansion] of Object.entries(expansions)) {
      assert.deepEqual(fields(parseCron(macro)), fields(parseCron(expansion)), macro);
      assert.deepEqual(fields(parseCron(macro.toUpperCase())), fields(parseCron(expansion)), macro.toUpperCase());
    }
  });

  test('flags: day fields OR only when neither starts with *; fixed-time when neither minute nor hour does', () => {
    const flags = (expr: string) => (({ dayOr, fixedTime }) => ({ dayOr, fixedTime }))(parseCron(expr));
    assert.deepEqual(flags('0 0 13 * FRI'), { dayOr: true, fixedTime: true });
    assert.deepEqual(flags('0 0 */2 * FRI'), { dayOr: false, fixedTime: true });
    assert.deepEqual(flags('0 0 13 * *'), { dayOr: false, fixedTime: true });
    assert.deepEqual(flags('30 9,17 * * 1-5'), { dayOr: false, fixedTime: true });
    assert.deepEqual(flags('0 * * * *'), { dayOr: false, fixedTime: false });
    assert.deepEqual(flags('0 */2 * * *'), { dayOr: false, fixedTime: false });
    assert.deepEqual(flags('*/5 2 * * *'), { dayOr: false, fixedTime: false });
    assert.deepEqual(flags('@daily'), { dayOr: false, fixedTime: true });
    assert.deepEqual(flags('@hourly'), { dayOr: false, fixedTime: false });
  });

  test('refusals name the field and the value', () => {
    const cases: [string, string][] = [
      ['61 * * * *', 'minute field: 61 is out of range 0-59'],
      ['0 24 * * *', 'hour field: 24 is out of range 0-23'],
      ['0 0 0 * *', 'day-of-month field: 0 is out of range 1-31'],
      ['0 0 32 * *', 'day-of-month field: 32 is out of range 1-31'],
      ['0 0 * 13 *', 'month field: 13 is out of range 1-12'],
      ['0 0 * * 8', 'day-of-week field: 8 is out of range 0-7'],
      ['0 0 * FOO *', 'month field: "FOO" is not a number or a name (JAN–DEC)'],
      ['0 0 * * MON-FUN', 'day-of-week field: "FUN" is not a number or a name (SUN–SAT)'],
      ['0 0 * * JAN', 'day-of-week field: "JAN" is not a number or a name (SUN–SAT)'],
      ['MON * * * *', 'minute field: "MON" is not a number'],
      ['0 0 L * *', 'day-of-month field: "L" is not a number'],
      ['10-5 * * * *', 'minute field: range 10-5 is backwards'],
      ['0 0 * * SAT-SUN', 'day-of-week field: range SAT-SUN is backwards'],
      ['*/0 * * * *', 'minute field: step "0" is not a whole number of at least 1'],
      ['0 */x * * *', 'hour field: step "x" is not a whole number of at least 1'],
      ['1,,2 * * * *', 'minute field: "" is not *, a value, a range or a step'],
      ['1-2-3 * * * *', 'minute field: "1-2-3" is not *, a value, a range or a step'],
      ['-1 * * * *', 'minute field: "-1" is not *, a value, a range or a step'],
      ['0 0 1 1 * 2026', 'expected 5 fields (minute hour day-of-month month day-of-week), got 6'],
      ['* * * *', 'expected 5 fields (minute hour day-of-month month day-of-week), got 4'],
      ['   ', 'expected 5 fields (minute hour day-of-month month day-of-week), got 0'],
      ['@reboot', 'unknown macro "@reboot" (expected one of @yearly @annually @monthly @weekly @daily @midnight @hourly)'],
      ['0 0 30 2 *', 'never fires: day-of-month 30 does not occur in month 2'],
      ['0 0 31 4,6,9,11 *', 'never fires: day-of-month 31 does not occur in month 4,6,9,11'],
      ['0 0 30 2 */7', 'never fires: no day in month 2 is both day-of-month 30 and day-of-week */7'],
    ];
    for (const [expr, message] of cases) {
      assert.throws(() => parseCron(expr), { message }, expr);
      assert.equal(cronError(expr), message, expr);
    }
    for (const ok of ['0 0 29 2 *', '0 0 30 2 MON', '0 0 29 2 */7', '@weekly']) assert.equal(cronError(ok), null, ok);
  });
});

describe('nextCronTime', () => {
  test('the first occurrence strictly after the instant, in UTC', () => {
    assert.deepEqual(occurrences('*/15 * * * *', '2026-05-01T10:07:30Z', 'UTC', 3), ['2026-05-01T10:15:00Z', '2026-05-01T10:30:00Z', '2026-05-01T10:45:00Z']);
    assert.equal(iso(nextCronTime(parseCron('*/15 * * * *'), at('2026-05-01T10:15:00Z'), 'UTC')), '2026-05-01T10:30:00Z', 'strictly after');
    assert.equal(iso(nextCronTime(parseCron('*/15 * * * *'), at('2026-05-01T10:14:59.999Z'), 'UTC')), '2026-05-01T10:15:00Z');
    assert.equal(iso(nextCronTime(parseCron('* * * * *'), at('2026-12-31T23:59:00Z'), 'UTC')), '2027-01-01T00:00:00Z');
    // 2026-05-01 is a Friday.
    assert.deepEqual(occurrences('0 9 * * MON-FRI', '2026-05-01T12:00:00Z', 'UTC', 2), ['2026-05-04T09:00:00Z', '2026-05-05T09:00:00Z']);
    assert.deepEqual(occurrences('30 8-18/5 * * *', '2026-05-01T09:00:00Z', 'UTC', 3), ['2026-05-01T13:30:00Z', '2026-05-01T18:30:00Z', '2026-05-02T08:30:00Z']);
  });

  test('Vixie: day-of-month OR day-of-week when both are restricted, AND when either starts with *', () => {
    // April 2026: Fridays are the 3rd, 10th, 17th, 24th; the 13th is a Monday.
    assert.deepEqual(occurrences('0 0 13 * FRI', '2026-04-01T00:00:00Z', 'UTC', 6), ['2026-04-03T00:00:00Z', '2026-04-10T00:00:00Z', '2026-04-13T00:00:00Z', '2026-04-17T00:00:00Z', '2026-04-24T00:00:00Z', '2026-05-01T00:00:00Z']);
    assert.deepEqual(occurrences('0 0 */2 * FRI', '2026-04-01T00:00:00Z', 'UTC', 4), ['2026-04-03T00:00:00Z', '2026-04-17T00:00:00Z', '2026-05-01T00:00:00Z', '2026-05-15T00:00:00Z'], 'odd-numbered Fridays');
    assert.deepEqual(occurrences('0 0 13 * *', '2026-04-01T00:00:00Z', 'UTC', 2), ['2026-04-13T00:00:00Z', '2026-05-13T00:00:00Z']);
    assert.deepEqual(occurrences('0 0 * * 7', '2026-04-01T00:00:00Z', 'UTC', 2), ['2026-04-05T00:00:00Z', '2026-04-12T00:00:00Z']);
  });

  test('leap years and month ends', () => {
    assert.deepEqual(occurrences('0 0 29 2 *', '2025-03-01T00:00:00Z', 'UTC', 2), ['2028-02-29T00:00:00Z', '2032-02-29T00:00:00Z']);
    assert.equal(iso(nextCronTime(parseCron('0 0 29 2 *'), at('2096-03-01T00:00:00Z'), 'UTC')), '2104-02-29T00:00:00Z', '2100 is not a leap year');
    assert.equal(iso(nextCronTime(parseCron('0 0 29 2 */7'), at('2004-03-01T00:00:00Z'), 'UTC')), '2032-02-29T00:00:00Z', 'a Sunday 29 February, 28 years on');
    assert.deepEqual(occurrences('0 0 31 * *', '2026-04-01T00:00:00Z', 'UTC', 3), ['2026-05-31T00:00:00Z', '2026-07-31T00:00:00Z', '2026-08-31T00:00:00Z']);
    assert.deepEqual(occurrences('0 12 30 * *', '2026-01-31T00:00:00Z', 'UTC', 2), ['2026-03-30T12:00:00Z', '2026-04-30T12:00:00Z'], 'February has no 30th');
    assert.deepEqual(occurrences('59 23 28-31 2 *', '2027-02-27T00:00:00Z', 'UTC', 2), ['2027-02-28T23:59:00Z', '2028-02-28T23:59:00Z']);
  });

  test('macros', () => {
    const from = '2026-05-01T10:07:00Z'; // a Friday
    assert.deepEqual(occurrences('@yearly', from, 'UTC', 1), ['2027-01-01T00:00:00Z']);
    assert.deepEqual(occurrences('@annually', from, 'UTC', 1), ['2027-01-01T00:00:00Z']);
    assert.deepEqual(occurrences('@monthly', from, 'UTC', 1), ['2026-06-01T00:00:00Z']);
    assert.deepEqual(occurrences('@weekly', from, 'UTC', 2), ['2026-05-03T00:00:00Z', '2026-05-10T00:00:00Z']);
    assert.deepEqual(occurrences('@daily', from, 'UTC', 1), ['2026-05-02T00:00:00Z']);
    assert.deepEqual(occurrences('@midnight', from, 'Asia/Kolkata', 1), ['2026-05-01T18:30:00Z']);
    assert.deepEqual(occurrences('@hourly', from, 'UTC', 2), ['2026-05-01T11:00:00Z', '2026-05-01T12:00:00Z']);
  });

  test('wall-clock times in New York, Berlin, Lord Howe and Kolkata', () => {
    assert.deepEqual(occurrences('0 9 * * MON-FRI', '2026-01-02T20:00:00Z', 'America/New_York', 1), ['2026-01-05T14:00:00Z'], 'EST');
    assert.deepEqual(occurrences('0 9 * * MON-FRI', '2026-07-01T00:00:00Z', 'America/New_York', 1), ['2026-07-01T13:00:00Z'], 'EDT; still 30 June locally');
    assert.deepEqual(occurrences('0 22 * * SAT', '2026-03-21T21:30:00Z', 'Europe/Berlin', 2), ['2026-03-28T21:00:00Z', '2026-04-04T20:00:00Z']);
    assert.deepEqual(occurrences('0 12 * * *', '2026-01-10T00:00:00Z', 'Australia/Lord_Howe', 1), ['2026-01-10T01:00:00Z'], 'UTC+11');
    assert.deepEqual(occurrences('0 12 * * *', '2026-07-10T00:00:00Z', 'Australia/Lord_Howe', 1), ['2026-07-10T01:30:00Z'], 'UTC+10:30');
    assert.deepEqual(occurrences('30 9 * * *', '2026-05-01T00:00:00Z', 'Asia/Kolkata', 2), ['2026-05-01T04:00:00Z', '2026-05-02T04:00:00Z']);
    assert.deepEqual(occurrences('0 0 1 * *', '2026-05-01T00:00:00Z', 'Asia/Kolkata', 1), ['2026-05-31T18:30:00Z'], 'already 1 May there');
  });

  test('spring forward: a skipped fixed time fires once, at the end of the gap; wildcard jobs skip it', () => {
    // Berlin, 2026-03-29: 02:00 CET → 03:00 CEST at 01:00Z.
    assert.deepEqual(occurrences('30 2 * * *', '2026-03-28T00:00:00Z', 'Europe/Berlin', 3), ['2026-03-28T01:30:00Z', '2026-03-29T01:00:00Z', '2026-03-30T00:30:00Z']);
    assert.deepEqual(occurrences('0,30 2 * * *', '2026-03-28T12:00:00Z', 'Europe/Berlin', 3), ['2026-03-29T01:00:00Z', '2026-03-30T00:00:00Z', '2026-03-30T00:30:00Z'], 'two skipped times, one firing');
    assert.deepEqual(occurrences('0 2,3 * * *', '2026-03-28T12:00:00Z', 'Europe/Berlin', 2), ['2026-03-29T01:00:00Z', '2026-03-30T00:00:00Z'], '02:00 and 03:00 fall together');
    assert.deepEqual(occurrences('0 * * * *', '2026-03-28T23:30:00Z', 'Europe/Berlin', 3), ['2026-03-29T00:00:00Z', '2026-03-29T01:00:00Z', '2026-03-29T02:00:00Z'], '01:00 CET, 03:00 CEST, 04:00 CEST');
    assert.deepEqual(occurrences('30 * * * *', '2026-03-28T23:45:00Z', 'Europe/Berlin', 2), ['2026-03-29T00:30:00Z', '2026-03-29T01:30:00Z'], '02:30 does not happen');
    assert.deepEqual(occurrences('*/30 2 * * *', '2026-03-28T12:00:00Z', 'Europe/Berlin', 1), ['2026-03-30T00:00:00Z'], 'a wildcard minute skips the whole hour');
    // New York, 2026-03-08: 02:00 EST → 03:00 EDT at 07:00Z.
    assert.deepEqual(occurrences('30 2 * * *', '2026-03-07T12:00:00Z', 'America/New_York', 2), ['2026-03-08T07:00:00Z', '2026-03-09T06:30:00Z']);
    assert.deepEqual(occurrences('15 * * * *', '2026-03-08T05:30:00Z', 'America/New_York', 3), ['2026-03-08T06:15:00Z', '2026-03-08T07:15:00Z', '2026-03-08T08:15:00Z']);
    // Lord Howe, 2026-10-04: 02:00 (+10:30) → 02:30 (+11) at 15:30Z the day before.
    assert.deepEqual(occurrences('15 2 * * *', '2026-10-03T00:00:00Z', 'Australia/Lord_Howe', 2), ['2026-10-03T15:30:00Z', '2026-10-04T15:15:00Z'], '02:15 fires at 02:30');
    assert.deepEqual(occurrences('*/15 * * * *', '2026-10-03T15:10:00Z', 'Australia/Lord_Howe', 3), ['2026-10-03T15:15:00Z', '2026-10-03T15:30:00Z', '2026-10-03T15:45:00Z'], '01:45, 02:30, 02:45');
  });

  test('fall back: a repeated fixed time fires once, the first time; wildcard jobs fire every real time', () => {
    // Berlin, 2026-10-25: 03:00 CEST → 02:00 CET at 01:00Z.
    assert.deepEqual(occurrences('30 2 * * *', '2026-10-24T12:00:00Z', 'Europe/Berlin', 2), ['2026-10-25T00:30:00Z', '2026-10-26T01:30:00Z']);
    assert.deepEqual(occurrences('30 2 * * *', '2026-10-25T01:10:00Z', 'Europe/Berlin', 1), ['2026-10-26T01:30:00Z'], 'from inside the second pass');
    assert.deepEqual(occurrences('0 * * * *', '2026-10-24T23:30:00Z', 'Europe/Berlin', 3), ['2026-10-25T00:00:00Z', '2026-10-25T01:00:00Z', '2026-10-25T02:00:00Z'], '02:00 CEST, 02:00 CET, 03:00 CET');
    assert.deepEqual(occurrences('30 * * * *', '2026-10-25T00:00:00Z', 'Europe/Berlin', 3), ['2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z', '2026-10-25T02:30:00Z']);
    // New York, 2026-11-01: 02:00 EDT → 01:00 EST at 06:00Z.
    assert.deepEqual(occurrences('30 1 * * *', '2026-10-31T12:00:00Z', 'America/New_York', 2), ['2026-11-01T05:30:00Z', '2026-11-02T06:30:00Z']);
    assert.deepEqual(occurrences('0 * * * *', '2026-11-01T04:30:00Z', 'America/New_York', 3), ['2026-11-01T05:00:00Z', '2026-11-01T06:00:00Z', '2026-11-01T07:00:00Z']);
    // 01:40:30 EDT: the clock next reads :00 at 01:00 EST, before it reads 02:00.
    assert.deepEqual(occurrences('*/20 * * * *', '2026-11-01T05:40:30Z', 'America/New_York', 4), ['2026-11-01T06:00:00Z', '2026-11-01T06:20:00Z', '2026-11-01T06:40:00Z', '2026-11-01T07:00:00Z']);
    assert.deepEqual(occurrences('*/20 * * * *', '2026-11-01T05:35:00Z', 'America/New_York', 2), ['2026-11-01T05:40:00Z', '2026-11-01T06:00:00Z']);
    // Lord Howe, 2026-04-05: 02:00 (+11) → 01:30 (+10:30) at 15:00Z the day before.
    assert.deepEqual(occurrences('45 1 * * *', '2026-04-04T00:00:00Z', 'Australia/Lord_Howe', 2), ['2026-04-04T14:45:00Z', '2026-04-05T15:15:00Z']);
    assert.deepEqual(occurrences('*/15 * * * *', '2026-04-04T14:20:00Z', 'Australia/Lord_Howe', 5), ['2026-04-04T14:30:00Z', '2026-04-04T14:45:00Z', '2026-04-04T15:00:00Z', '2026-04-04T15:15:00Z', '2026-04-04T15:30:00Z']);
  });

  test('property: the result is after t and fires, and no real minute between them fires (brute force)', () => {
    const HOUR = 3_600_000;
    const num = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });
    // Both changes in each zone with DST; generated instants cluster around them to straddle them.
    const changes: [string, string][] = [
      ['America/New_York', '2026-03-08T07:00Z'],
      ['America/New_York', '2026-11-01T06:00Z'],
      ['Europe/Berlin', '2026-03-29T01:00Z'],
      ['Europe/Berlin', '2026-10-25T01:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T15:00Z'],
      ['Australia/Lord_Howe', '2026-10-03T15:30Z'],
    ];
    const zoneAndInstant = fc.oneof(
      fc.tuple(fc.constantFrom('UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata'), num(at('2020-01-01T00:00Z'), at('2032-01-01T00:00Z'))),
      fc.constantFrom(...changes).chain(([tz, change]) => fc.tuple(fc.constant(tz), fc.oneof(num(at(change) - HOUR, at(change) + HOUR), num(at(change) - 24 * HOUR, at(change) + 12 * HOUR)))),
    );
    const piece = (lo: number, hi: number) =>
      fc.oneof(
        fc.constant('*'),
        num(1, hi - lo).map((n) => `*/${n}`),
        num(lo, hi).map(String),
        fc.tuple(num(lo, hi), num(lo, hi)).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
        fc.tuple(num(lo, hi), num(lo, hi), num(1, 5)).map(([a, b, n]) => `${Math.min(a, b)}-${Math.max(a, b)}/${n}`),
        fc.uniqueArray(num(lo, hi), { minLength: 2, maxLength: 4 }).map((v) => v.join(',')),
      );
    // Mostly every day, and hours around the changes, so that the DST rules come into play.
    const mostlyStar = (lo: number, hi: number) => fc.oneof({ arbitrary: fc.constant('*'), weight: 3 }, { arbitrary: piece(lo, hi), weight: 1 });
    const hour = fc.oneof(piece(0, 23), num(0, 3).map(String), fc.tuple(num(0, 2), num(1, 3)).map(([a, n]) => `${a}-3/${n}`));
    const expr = fc
      .tuple(piece(0, 59), hour, mostlyStar(1, 31), mostlyStar(1, 12), mostlyStar(0, 7))
      .map((fields) => fields.join(' '))
      .filter((e) => cronError(e) === null);

    // An oracle for one real minute m, written from the rules rather than the search.
    const localOf = (wall: number): LocalTime => {
      const d = new Date(wall);
      return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
    };
    const matches = (s: CronSchedule, l: LocalTime) => {
      const dom = s.daysOfMonth.includes(l.day);
      const dow = s.daysOfWeek.includes(new Date(Date.UTC(l.year, l.month - 1, l.day)).getUTCDay());
      return s.minutes.includes(l.minute) && s.hours.includes(l.hour) && s.months.includes(l.month) && (s.dayOr ? dom || dow : dom && dow);
    };
    /** `offset` is the zone's offset at m, `previous` the one a minute earlier. */
    const fires = (s: CronSchedule, m: number, tz: string, offset: number, previous: number) => {
      const wall = localOf(m + offset);
      // A fixed-time job skips the second pass of a repeated hour.
      if (matches(s, wall)) return !s.fixedTime || localToInstant(wall, tz) === m;
      // A fixed-time job whose wall time the gap ending at m swallowed fires at m.
      for (let k = 1; s.fixedTime && k * 60_000 <= offset - previous; k++) if (matches(s, localOf(m + offset - k * 60_000))) return true;
      return false;
    };
    const SPAN = 36 * 60; // minutes brute-forced after t
    fc.assert(
      fc.property(expr, zoneAndInstant, (e, [tz, t]) => {
        const s = parseCron(e);
        const next = nextCronTime(s, t, tz);
        assert.ok(next > t, 'after t');
        assert.equal(next % 60_000, 0, 'on a whole minute');
        assert.ok(fires(s, next, tz, zoneOffset(next, tz), zoneOffset(next - 60_000, tz)), `${iso(next)} is a firing in ${tz}`);
        let m = Math.floor(t / 60_000 + 1) * 60_000;
        for (let previous = zoneOffset(m - 60_000, tz); m < Math.min(next, t + SPAN * 60_000); m += 60_000) {
          const offset = zoneOffset(m, tz);
          assert.ok(!fires(s, m, tz, offset, previous), `${iso(m)} fires before ${iso(next)}`);
          previous = offset;
        }
      }),
      { numRuns: 500 },
    );
  });
});
