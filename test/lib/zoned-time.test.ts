import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instantToLocal, localToInstant, parseLocalDate, parseLocalTime } from '../../src/lib/zoned-time.ts';
import { currentOrNext, lastEnd, occurrenceAt, type Schedule } from '../../src/modules/maintenance/occurrences.ts';

const at = (iso: string) => Date.parse(iso);
const local = (text: string) => parseLocalTime(text)!;

describe('wall-clock times in IANA zones', () => {
  test('local → instant on ordinary days, and in Berlin across both DST changes', () => {
    assert.equal(localToInstant(local('2026-03-28T22:00'), 'Europe/Berlin'), at('2026-03-28T21:00:00Z'), 'CET, UTC+1');
    assert.equal(localToInstant(local('2026-04-04T22:00'), 'Europe/Berlin'), at('2026-04-04T20:00:00Z'), 'CEST, UTC+2');
    assert.equal(localToInstant(local('2026-01-01T00:00'), 'Asia/Kolkata'), at('2025-12-31T18:30:00Z'), 'half-hour offsets');
    assert.equal(localToInstant(local('2026-06-01T12:00'), 'UTC'), at('2026-06-01T12:00:00Z'));
  });

  test('a skipped time moves forward by the gap; a repeated time is taken the first time', () => {
    // 02:30 does not happen in Berlin on 2026-03-29 (02:00 CET → 03:00 CEST): it is 03:30 CEST.
    assert.equal(localToInstant(local('2026-03-29T02:30'), 'Europe/Berlin'), at('2026-03-29T01:30:00Z'));
    assert.equal(localToInstant(local('2026-03-08T02:30'), 'America/New_York'), at('2026-03-08T07:30:00Z'));
    // 02:30 happens twice on 2026-10-25 (CEST, then CET): the first, CEST.
    assert.equal(localToInstant(local('2026-10-25T02:30'), 'Europe/Berlin'), at('2026-10-25T00:30:00Z'));
  });

  test('instant → local, and parsing refuses what is not a wall-clock time', () => {
    assert.deepEqual(instantToLocal(at('2026-10-25T01:30:00Z'), 'Europe/Berlin'), { year: 2026, month: 10, day: 25, hour: 2, minute: 30 });
    for (const bad of ['2026-02-30T10:00', '2026-01-01T24:00', '2026-01-01T10:00Z', '2026-01-01T10:00:00', '2026-1-1T10:00', 'tomorrow', '']) assert.equal(parseLocalTime(bad), null, bad);
    assert.equal(parseLocalDate('2026-02-29'), null);
    assert.deepEqual(parseLocalDate('2028-02-29'), { year: 2028, month: 2, day: 29 });
  });
});

describe('maintenance window occurrences', () => {
  // Journey 3: storage, every Saturday 22:00–23:00 Europe/Berlin; DST begins 2026-03-29.
  const weekly: Schedule = { timeZone: 'Europe/Berlin', start: local('2026-03-21T22:00'), minutes: 60, recurrence: 'weekly', until: null };

  test('a weekly window stays at local 22:00 across the DST change', () => {
    assert.deepEqual(occurrenceAt(weekly, at('2026-03-21T21:30:00Z')), { start: at('2026-03-21T21:00:00Z'), end: at('2026-03-21T22:00:00Z') });
    assert.deepEqual(occurrenceAt(weekly, at('2026-04-04T20:30:00Z')), { start: at('2026-04-04T20:00:00Z'), end: at('2026-04-04T21:00:00Z') });
    // 21:30 UTC on the first summer Saturday is 23:30 local: after the window.
    assert.equal(occurrenceAt(weekly, at('2026-04-04T21:30:00Z')), null);
    assert.equal(occurrenceAt(weekly, at('2026-03-25T21:30:00Z')), null, 'not on a Wednesday');
    assert.equal(occurrenceAt(weekly, at('2026-03-14T21:30:00Z')), null, 'not before the first occurrence');
    // And back in winter (DST ends 2026-10-25).
    assert.deepEqual(occurrenceAt(weekly, at('2026-10-31T21:15:00Z')), { start: at('2026-10-31T21:00:00Z'), end: at('2026-10-31T22:00:00Z') });
  });

  test('a daily window across midnight, one that spans the DST night, until, and the next occurrence', () => {
    const nightly: Schedule = { timeZone: 'America/New_York', start: local('2026-03-06T23:30'), minutes: 240, recurrence: 'daily', until: parseLocalDate('2026-03-09') };
    // 2026-03-07 23:30 EST → 2026-03-08 03:30 EDT: four wall-clock hours, three real ones.
    assert.deepEqual(occurrenceAt(nightly, at('2026-03-08T06:00:00Z')), { start: at('2026-03-08T04:30:00Z'), end: at('2026-03-08T07:30:00Z') });
    assert.equal(occurrenceAt(nightly, at('2026-03-08T07:45:00Z')), null);
    assert.equal(lastEnd(nightly), at('2026-03-10T07:30:00Z'), 'the 9th is the last start; 03:30 EDT on the 10th');
    assert.equal(occurrenceAt(nightly, at('2026-03-11T04:00:00Z')), null, 'nothing after until');
    assert.deepEqual(currentOrNext(nightly, at('2026-03-08T12:00:00Z')), { start: at('2026-03-09T03:30:00Z'), end: at('2026-03-09T07:30:00Z') });
    assert.equal(currentOrNext(nightly, at('2026-03-11T00:00:00Z')), null);
  });

  test('a one-off window', () => {
    const once: Schedule = { timeZone: 'UTC', start: local('2026-06-01T10:00'), minutes: 90, recurrence: null, until: null };
    assert.ok(occurrenceAt(once, at('2026-06-01T11:29:00Z')));
    assert.equal(occurrenceAt(once, at('2026-06-01T11:30:00Z')), null, 'the end is not covered');
    assert.equal(occurrenceAt(once, at('2026-06-08T10:30:00Z')), null);
    assert.equal(lastEnd(once), at('2026-06-01T11:30:00Z'));
  });
});
