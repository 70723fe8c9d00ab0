import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { escapeText, foldLine, renderICalendar, utcDateTime, type ICalCalendar } from '../../src/modules/oncall/ical.ts';

const at = (iso: string) => Date.parse(iso);
const octets = (s: string) => Buffer.byteLength(s, 'utf8');

/** Content lines of a feed: unfolded (a CRLF followed by a space joins), split on CRLF. */
const unfold = (body: string) => body.replace(/\r\n /g, '').split('\r\n').slice(0, -1);
/** Inverse of TEXT escaping. */
const unescape = (value: string) => value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
/** The value of the first `NAME:` content line at or after `from`. */
const valueOf = (lines: string[], name: string, from = 0) => {
  const line = lines.slice(from).find((l) => l.startsWith(`${name}:`));
  return line === undefined ? undefined : line.slice(name.length + 1);
};

const base: ICalCalendar = {
  name: 'Primary on-call',
  now: at('2026-03-01T12:00:00Z'),
  events: [{ uid: 'primary-0-1774854000000@firebreak', start: at('2026-03-28T08:00:00Z'), end: at('2026-03-29T07:00:00Z'), summary: 'On call: alice', url: 'https://firebreak.example/schedules/primary' }],
};

describe('iCalendar rendering', () => {
  test('a calendar with the required properties, UTC times and CRLF line endings', () => {
    const body = renderICalendar(base);
    assert.equal(
      body,
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//Firebreak//On-call//EN',
        'CALSCALE:GREGORIAN',
        'METHOD:PUBLISH',
        'X-WR-CALNAME:Primary on-call',
        'BEGIN:VEVENT',
        'UID:primary-0-1774854000000@firebreak',
        'DTSTAMP:20260301T120000Z',
        'DTSTART:20260328T080000Z',
        'DTEND:20260329T070000Z',
        'SUMMARY:On call: alice',
        'URL:https://firebreak.example/schedules/primary',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n'),
    );
    assert.doesNotMatch(body.replace(/\r\n/g, ''), /[\r\n]/, 'no bare CR or LF');
  });

  test('an empty calendar, a description and a custom PRODID', () => {
    const body = renderICalendar({ name: 'Empty', description: 'Nobody, ever', prodId: '-//Acme//Pager//EN', events: [], now: 0 });
    assert.deepEqual(unfold(body), ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Acme//Pager//EN', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH', 'X-WR-CALNAME:Empty', 'X-WR-CALDESC:Nobody\\, ever', 'END:VCALENDAR']);
  });

  test('DATE-TIME values are UTC with seconds, dropping milliseconds', () => {
    assert.equal(utcDateTime(at('2026-11-01T06:05:09.999Z')), '20261101T060509Z');
    assert.equal(utcDateTime(0), '19700101T000000Z');
  });

  test('TEXT escaping: backslash, semicolon, comma, every kind of newline; control characters dropped', () => {
    assert.equal(escapeText('a\\b;c,d'), 'a\\\\b\\;c\\,d');
    assert.equal(escapeText('one\r\ntwo\nthree\rfour'), 'one\\ntwo\\nthree\\nfour');
    assert.equal(escapeText('tab\there\u0000\u001f\u007f'), 'tab\there');
    assert.equal(escapeText('colon: fine "quotes" too'), 'colon: fine "quotes" too');
    const body = renderICalendar({ ...base, events: [{ ...base.events[0], summary: 'On call; primary, EU', description: 'Line 1\nC:\\path' }] });
    assert.ok(unfold(body).includes('SUMMARY:On call\\; primary\\, EU'));
    assert.ok(unfold(body).includes('DESCRIPTION:Line 1\\nC:\\\\path'));
  });

  test('long lines fold at 75 octets; continuation lines start with one space', () => {
    const summary = 'x'.repeat(200);
    const body = renderICalendar({ ...base, events: [{ ...base.events[0], summary }] });
    const physical = body.split('\r\n').slice(0, -1);
    for (const line of physical) assert.ok(octets(line) <= 75, line);
    const i = physical.findIndex((l) => l.startsWith('SUMMARY:'));
    // "SUMMARY:" and 200 octets: 75, then a space and 74 more, then a space and the last 59.
    assert.deepEqual(physical.slice(i, i + 3).map(octets), [75, 75, 60]);
    assert.ok(physical.slice(i + 1, i + 3).every((l) => l.startsWith(' ') && !l.startsWith('  ')));
    assert.ok(physical[i + 3].startsWith('URL:'));
    assert.equal(valueOf(unfold(body), 'SUMMARY'), summary);
  });

  test('multi-byte characters are never split across a fold', () => {
    // "€" is 3 octets and "🚒" 4 (a surrogate pair in JS): neither fits evenly into 75.
    for (const text of ['€'.repeat(60), '🚒'.repeat(40), `a${'é'.repeat(50)}`, `${'x'.repeat(73)}🚒🚒`]) {
      const folded = foldLine(`SUMMARY:${text}`);
      for (const line of folded.split('\r\n')) {
        assert.ok(octets(line) <= 75, `${octets(line)} octets`);
        // Each physical line is valid UTF-8 on its own: re-decoding it loses nothing.
        assert.equal(Buffer.from(line, 'utf8').toString('utf8'), line);
        assert.doesNotMatch(line, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'no lone surrogate');
      }
      assert.equal(folded.replace(/\r\n /g, ''), `SUMMARY:${text}`);
    }
    assert.equal(foldLine('short'), 'short');
    assert.equal(foldLine('y'.repeat(75)), 'y'.repeat(75));
    assert.equal(foldLine('y'.repeat(76)), `${'y'.repeat(75)}\r\n y`);
  });

  test('parse-back: unfolding and unescaping gives the original text (property)', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom('\\', ';', ',', '\n', '\r\n', ':', ' ', 'é', '€', '🚒', '日'), fc.string({ unit: 'grapheme', maxLength: 3 })), maxLength: 200 });
    fc.assert(
      fc.property(fc.array(fc.record({ summary: text, description: text, name: text }), { minLength: 1, maxLength: 3 }), (items) => {
        // Text without control characters other than tab and newlines (the rest are dropped by design).
        const clean = (s: string) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
        const events = items.map((it, i) => ({ uid: `e${i}@firebreak`, start: i * 3_600_000, end: (i + 1) * 3_600_000, summary: clean(it.summary), description: clean(it.description) }));
        const body = renderICalendar({ name: clean(items[0].name), events, now: 0 });
        assert.ok(body.endsWith('\r\n'));
        for (const line of body.split('\r\n')) assert.ok(octets(line) <= 75);
        const lines = unfold(body);
        assert.equal(unescape(valueOf(lines, 'X-WR-CALNAME')!), clean(items[0].name).replace(/\r\n|\r/g, '\n'));
        events.forEach((e) => {
          const from = lines.indexOf(`UID:${e.uid}`);
          assert.ok(from > 0);
          assert.equal(unescape(valueOf(lines, 'SUMMARY', from)!), e.summary.replace(/\r\n|\r/g, '\n'));
          assert.equal(unescape(valueOf(lines, 'DESCRIPTION', from)!), e.description.replace(/\r\n|\r/g, '\n'));
        });
        assert.equal(lines.filter((l) => l === 'BEGIN:VEVENT').length, events.length);
      }),
      { numRuns: 300 },
    );
  });

  test('a URL is written as a URI: not escaped, control characters removed', () => {
    const body = renderICalendar({ ...base, events: [{ ...base.events[0], url: 'https://x.example/a?b=1,2;c\r\nX-EVIL:1' }] });
    assert.ok(unfold(body).includes('URL:https://x.example/a?b=1,2;cX-EVIL:1'));
  });
});
