/**
 * An iCalendar (RFC 5545) feed of events, such as on-call shifts for a calendar subscription.
 * Times are written in UTC so no VTIMEZONE is needed; text is escaped and lines are folded at 75
 * octets without splitting a UTF-8 character, as strict parsers (Outlook, Google) require.
 */

/** One event of the feed; times are epoch ms. */
export interface ICalEvent {
  /** Stable across renders, so a subscribed calendar updates the event instead of duplicating it. */
  uid: string;
  start: number;
  end: number;
  summary: string;
  description?: string;
  url?: string;
}

/** A whole calendar; `now` is the DTSTAMP of every event. */
export interface ICalCalendar {
  name: string;
  description?: string;
  prodId?: string;
  events: ICalEvent[];
  now: number;
}

const CRLF = '\r\n';
const MAX_OCTETS = 75;

/** The calendar as an RFC 5545 text/calendar body (CRLF line endings, folded lines). */
export function renderICalendar(cal: ICalCalendar): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:${escapeText(cal.prodId ?? '-//Firebreak//On-call//EN')}`,
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(cal.name)}`,
  ];
  if (cal.description !== undefined) lines.push(`X-WR-CALDESC:${escapeText(cal.description)}`);
  const stamp = utcDateTime(cal.now);
  for (const e of cal.events) {
    lines.push('BEGIN:VEVENT', `UID:${escapeText(e.uid)}`, `DTSTAMP:${stamp}`, `DTSTART:${utcDateTime(e.start)}`, `DTEND:${utcDateTime(e.end)}`, `SUMMARY:${escapeText(e.summary)}`);
    if (e.description !== undefined) lines.push(`DESCRIPTION:${escapeText(e.description)}`);
    // A URI is not TEXT: no escaping, but a control character would break the line structure.
    if (e.url !== undefined) lines.push(`URL:${e.url.replace(/[\u0000-\u001f\u007f]/g, '')}`);
    lines.push('END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join(CRLF) + CRLF;
}

/** An instant as a UTC DATE-TIME: 20260329T070000Z. */
export function utcDateTime(instant: number): string {
  return new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** RFC 5545 TEXT escaping; control characters other than tab are not allowed in TEXT and are dropped. */
export function escapeText(text: string): string {
  return text
    .replace(/\r\n|\r|\n/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .replace(/[\\;,\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Splits a content line into physical lines of at most 75 octets, continuations starting with a space. */
export function foldLine(line: string): string {
  if (Buffer.byteLength(line, 'utf8') <= MAX_OCTETS) return line;
  const out: string[] = [];
  let current = '';
  let octets = 0;
  // for…of walks code points, so a surrogate pair (a 4-byte character) is never split.
  for (const ch of line) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (octets + size > MAX_OCTETS) {
      out.push(current);
      current = ' ';
      octets = 1;
    }
    current += ch;
    octets += size;
  }
  out.push(current);
  return out.join(CRLF);
}
