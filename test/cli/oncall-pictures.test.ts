import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderStepTimeline, type StepView } from '../../src/cli/commands/incident-escalation.ts';
import { assignLetters, cellOwner, colorWanted, dayAfter, parseTimeArg, renderOnCallPicture, startOfDay, zonedInstant } from '../../src/cli/commands/oncall-picture.ts';
import { CliError } from '../../src/cli/io.ts';
import type { ShiftView } from '../../src/modules/oncall/schedule-schemas.ts';

const at = (iso: string) => Date.parse(iso);
const layer = { type: 'layer' as const, layer: 0, name: 'weekly' };
const shift = (handle: string, start: string, end: string, override = false): ShiftView => ({
  handle,
  name: handle[0].toUpperCase() + handle.slice(1),
  start,
  end,
  source: override ? { type: 'override', id: 'ovr_1', reason: 'dentist', created_by: 'alice' } : layer,
});
const strip = (s: string) => s.replace(/\u001b\[[\d;]*m/g, '');

describe('on-call pictures and times in the terminal', () => {
  test('wall-clock times in a zone, across both daylight-saving changes', () => {
    const berlin = 'Europe/Berlin';
    assert.equal(zonedInstant(2026, 1, 5, 9, 0, berlin), at('2026-01-05T08:00:00Z'));
    assert.equal(zonedInstant(2026, 7, 1, 9, 0, berlin), at('2026-07-01T07:00:00Z'));
    // 02:30 does not exist on 29 March: read with the winter offset, it is 03:30 summer time.
    assert.equal(zonedInstant(2026, 3, 29, 2, 30, berlin), at('2026-03-29T01:30:00Z'));
    // 02:30 happens twice on 25 October: the first.
    assert.equal(zonedInstant(2026, 10, 25, 2, 30, berlin), at('2026-10-25T00:30:00Z'));
    // Hour 24 is the next midnight; days of 23 and 25 hours.
    assert.equal(zonedInstant(2026, 3, 28, 24, 0, berlin), at('2026-03-28T23:00:00Z'));
    assert.equal(startOfDay(at('2026-03-29T12:00:00Z'), berlin), at('2026-03-28T23:00:00Z'));
    assert.equal(dayAfter(at('2026-03-29T12:00:00Z'), 1, berlin) - startOfDay(at('2026-03-29T12:00:00Z'), berlin), 23 * 3_600_000);
    assert.equal(dayAfter(at('2026-10-25T12:00:00Z'), 1, berlin) - startOfDay(at('2026-10-25T12:00:00Z'), berlin), 25 * 3_600_000);
    assert.equal(startOfDay(at('2026-01-05T03:00:00Z'), 'America/New_York'), at('2026-01-04T05:00:00Z'));
  });

  test('times as typed: ISO with an offset, a local time in TZ, now, and +durations', () => {
    const now = at('2026-04-08T10:00:00Z');
    const base = at('2026-04-08T12:00:00Z');
    const read = (text: string, tz = 'Europe/Berlin') => parseTimeArg(text, '--from', now, base, tz);
    assert.equal(read('now'), now);
    assert.equal(read('+2h'), base + 2 * 3_600_000);
    assert.equal(read('+1d12h30m'), base + 36.5 * 3_600_000);
    assert.equal(read('2026-04-08T12:00:00+02:00'), at('2026-04-08T10:00:00Z'));
    assert.equal(read('2026-04-08T12:00+0200'), at('2026-04-08T10:00:00Z'));
    assert.equal(read('2026-04-08T12:00Z'), at('2026-04-08T12:00:00Z'));
    assert.equal(read('2026-04-08 12:00'), at('2026-04-08T10:00:00Z'), 'local: Berlin summer time');
    assert.equal(read('2026-04-08T12:00', 'America/New_York'), at('2026-04-08T16:00:00Z'));
    assert.equal(read('2026-12-24'), at('2026-12-23T23:00:00Z'), 'a date alone is its local midnight');
    for (const bad of ['tomorrow', '2026-02-30 10:00', '2026-04-08 25:00', '+2', '12:00', '']) {
      assert.throws(() => read(bad), (e: unknown) => e instanceof CliError && e.exitCode === 2 && /^--from ".*" is not a time/.test(e.message), bad);
    }
  });

  test('a letter per person: the first letter of the handle when free, another of its letters otherwise', () => {
    assert.deepEqual([...assignLetters(['alice', 'bob', 'carol', 'dana', 'eve', 'dan', 'alice'])], [
      ['alice', 'A'],
      ['bob', 'B'],
      ['carol', 'C'],
      ['dana', 'D'],
      ['eve', 'E'],
      ['dan', 'N'],
    ]);
    assert.equal(assignLetters(['ab', 'ba', 'aa']).get('aa'), 'C', 'no letter of its own left: the first free one');
  });

  test('a cell shows an override touching it, else whoever covers most of it, else nobody', () => {
    const shifts = [shift('alice', '2026-04-08T00:00:00Z', '2026-04-08T09:40:00Z'), shift('dan', '2026-04-08T09:40:00Z', '2026-04-08T09:50:00Z', true), shift('bob', '2026-04-08T09:50:00Z', '2026-04-08T20:00:00Z')];
    const hour = (h: number) => [at('2026-04-08T00:00:00Z') + h * 3_600_000, at('2026-04-08T00:00:00Z') + (h + 1) * 3_600_000] as const;
    assert.deepEqual(cellOwner(shifts, ...hour(9)), { handle: 'dan', override: true });
    assert.deepEqual(cellOwner(shifts.filter((s) => s.handle !== 'dan'), ...hour(9)), { handle: 'alice', override: false });
    assert.deepEqual(cellOwner(shifts, ...hour(21)), { handle: null, override: false });
  });

  test('the picture: a strip per day, four groups of six hours, lowercase for overrides, the current hour marked, a legend', () => {
    const shifts = [
      shift('alice', '2026-04-08T00:00:00Z', '2026-04-08T09:30:00Z'),
      shift('dan', '2026-04-08T09:30:00Z', '2026-04-08T10:00:00Z', true),
      shift('bob', '2026-04-08T10:00:00Z', '2026-04-08T20:00:00Z'),
      shift('alice', '2026-04-09T00:00:00Z', '2026-04-10T00:00:00Z'),
    ];
    const options = { start: at('2026-04-08T00:00:00Z'), days: 2, timeZone: 'UTC', now: at('2026-04-08T12:15:00Z'), people: ['alice', 'bob', 'carol'] };
    const plain = renderOnCallPicture(shifts, { ...options, color: false });
    assert.equal(
      plain,
      [
        '                  00     06     12     18',
        '  Wed 2026-04-08  AAAAAA AAAdBB BBBBBB BB····',
        '                                ^ now',
        '  Thu 2026-04-09  AAAAAA AAAAAA AAAAAA AAAAAA',
        '',
        '  A alice (Alice)  B bob (Bob)  D dan (Dan)  lowercase: by an override  · nobody on call',
        '',
      ].join('\n'),
    );
    const coloured = renderOnCallPicture(shifts, { ...options, color: true });
    assert.match(coloured, /\u001b\[30;\d+mAAAAAA\u001b\[0m/, 'one escape sequence per run');
    assert.match(coloured, /\u001b\[30;\d+;1;4md\u001b\[0m/, 'overrides are also bold and underlined');
    assert.equal(strip(coloured), plain, 'the same letters with or without colour');

    // In Berlin the same instants fall two hours later on the wall clock.
    const berlin = renderOnCallPicture(shifts, { ...options, start: at('2026-04-07T22:00:00Z'), days: 1, timeZone: 'Europe/Berlin', color: false });
    assert.match(berlin, /^ {2}Wed 2026-04-08 {2}··AAAA AAAAAd BBBBBB BBBB··$/m);
  });

  test('colour only for a terminal, never with NO_COLOR', () => {
    assert.equal(colorWanted({}, true), true);
    assert.equal(colorWanted({}, false), false);
    assert.equal(colorWanted({ NO_COLOR: '1' }, true), false);
    assert.equal(colorWanted({ NO_COLOR: '1', FORCE_COLOR: '1' }, true), false);
    assert.equal(colorWanted({ FORCE_COLOR: '1' }, false), true);
    assert.equal(colorWanted({ TERM: 'dumb' }, true), false);
  });

  test('escalation steps on a time axis: fired, late, and the next step', () => {
    const step = (key: string, due: string, fired: string): StepView => ({ step: key, level: 1, round: 1, due_at: due, fired_at: fired, late_ms: at(fired) - at(due), node: 'n1', recipients: [] });
    const picture = renderStepTimeline(
      [step('L1R1', '2026-04-08T10:00:00Z', '2026-04-08T10:00:00Z'), step('L2R1', '2026-04-08T10:05:00Z', '2026-04-08T10:06:00Z')],
      '2026-04-08T10:10:00Z',
      'UTC',
      11,
    );
    assert.equal(
      picture,
      [
        '  L1R1       ●',
        '  L2R1            ╌●',
        '  next step            ○',
        '             └─────────┘',
        '             2026-04-08 10:00:00 UTC  2026-04-08 10:10:00 UTC',
        '             (● fired, ╌ late, ○ next; one column ≈ 1m)',
        '',
      ].join('\n'),
    );
    assert.equal(renderStepTimeline([], null, 'UTC'), '');
  });
});
