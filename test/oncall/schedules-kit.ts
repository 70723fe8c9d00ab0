import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { EXAMPLE_CONFIG_PATH, parseConfigText } from '../../src/config/load.ts';
import type { FirebreakConfig } from '../../src/config/schema.ts';
import { syncConfiguredUsers } from '../../src/modules/auth/index.ts';
import type { TestEnv } from '../helpers/env.ts';

/**
 * The schedules API tests' organisation: the example config (its people and its two database
 * schedules) plus three schedules with easy arithmetic, all in Europe/Berlin:
 *  - primary: weekly, alice → bob → carol, handoff Monday 09:00 from 2026-01-05;
 *  - berlin-daily: daily, dan → eve, handoff 09:00 from 2026-03-23 (crosses the 2026-03-29 DST change);
 *  - business: dana all week, and bob in office hours (Mon–Fri 09:00–17:00) on a later layer.
 */
export function schedulesConfig(): FirebreakConfig {
  const doc = parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, any>;
  doc.organisation.public_url = 'https://firebreak.example.com/';
  doc.schedules = [
    ...doc.schedules,
    { id: 'primary', name: 'Primary', time_zone: 'Europe/Berlin', layers: [{ name: 'weekly', members: ['alice', 'bob', 'carol'], rotation: { type: 'weekly', handoff: '09:00' }, start: '2026-01-05' }] },
    { id: 'berlin-daily', name: 'Berlin daily', time_zone: 'Europe/Berlin', layers: [{ name: 'daily', members: ['dan', 'eve'], rotation: { type: 'daily', handoff: '09:00' }, start: '2026-03-23' }] },
    {
      id: 'business',
      name: 'Business hours',
      time_zone: 'Europe/Berlin',
      layers: [
        { name: 'base', members: ['dana'], rotation: { type: 'weekly', handoff: '09:00' }, start: '2026-01-05' },
        { name: 'office', members: ['bob'], rotation: { type: 'weekly', handoff: '09:00' }, start: '2026-01-05', restrictions: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' }] },
      ],
    },
  ];
  const result = parseConfigText(stringify(doc), {});
  if (!result.ok) throw new Error(`config invalid: ${JSON.stringify(result.issues)}`);
  return result.config;
}

/** Puts the schedules config in place and its people in the database, as boot does. */
export async function useSchedulesConfig(env: TestEnv): Promise<void> {
  env.config.current = schedulesConfig();
  await syncConfiguredUsers({ db: env.db, config: env.config, clock: env.clock, requestId: 'test' });
}

export const at = (iso: string) => Date.parse(iso);
export const iso = (ms: number) => new Date(ms).toISOString();
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Content lines of an iCalendar body (unfolded), after checking its physical form: CRLF only, lines of at most 75 octets. */
export function icsLines(body: string): string[] {
  if (!body.endsWith('\r\n')) throw new Error('an iCalendar body ends with CRLF');
  if (/\r(?!\n)|(?<!\r)\n/.test(body)) throw new Error('bare CR or LF in an iCalendar body');
  for (const line of body.split('\r\n')) if (Buffer.byteLength(line, 'utf8') > 75) throw new Error(`line over 75 octets: ${line}`);
  return body.replace(/\r\n /g, '').split('\r\n').slice(0, -1);
}

export interface IcsEvent {
  uid: string;
  start: string;
  end: string;
  summary: string;
  description: string;
}

/** The VEVENTs of a calendar, their text values unescaped; throws when the structure is broken. */
export function icsEvents(body: string): IcsEvent[] {
  const lines = icsLines(body);
  if (lines[0] !== 'BEGIN:VCALENDAR' || lines.at(-1) !== 'END:VCALENDAR') throw new Error('not a VCALENDAR');
  const unescape = (v: string) => v.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
  const events: IcsEvent[] = [];
  let current: Record<string, string> | null = null;
  for (const line of lines.slice(1, -1)) {
    if (line === 'BEGIN:VEVENT') {
      if (current) throw new Error('nested VEVENT');
      current = {};
    } else if (line === 'END:VEVENT') {
      if (!current) throw new Error('END:VEVENT without BEGIN');
      for (const k of ['UID', 'DTSTAMP', 'DTSTART', 'DTEND', 'SUMMARY']) if (!(k in current)) throw new Error(`event without ${k}`);
      events.push({ uid: current.UID, start: current.DTSTART, end: current.DTEND, summary: unescape(current.SUMMARY), description: unescape(current.DESCRIPTION ?? '') });
      current = null;
    } else if (current) {
      const colon = line.indexOf(':');
      current[line.slice(0, colon)] = line.slice(colon + 1);
    }
  }
  if (current) throw new Error('unterminated VEVENT');
  return events;
}
