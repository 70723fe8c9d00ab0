import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ScheduleConfig } from '../../config/oncall-schema.ts';
import { DomainError } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { loadSigningKey } from '../notifications/index.ts';
import { renderICalendar, utcDateTime, type ICalEvent } from './ical.ts';
import { onCallReach, scheduleSegments, type OnCallSegment } from './rotation.ts';
import { Directory, EMPTY_SET, findSchedule, layerMembers, loadOverrideSets, sourceView, type OverrideSet } from './schedule-common.ts';
import { DAY } from './schedule-schemas.ts';
import { findPerson, userSegments } from './schedule-views.ts';

/**
 * iCalendar feeds of on-call shifts: a schedule's, and one person's across schedules. Signed-in
 * callers fetch them under /api/v1; calendar apps, which cannot send a cookie or a header, use a
 * secret URL whose token is an HMAC-SHA256 of the feed's purpose under the 'calendar-feeds' key.
 * A feed URL does not expire: deleting that key (app_secrets) voids every feed URL at once.
 */

/** The app_secrets key that signs feed URLs (separate from one-click links). */
export const CALENDAR_FEED_KEY = 'calendar-feeds';
/** Feeds cover a week back and about three months ahead, from the start of today (UTC) so event ids stay stable within a day. */
const FEED_BACK_MS = 7 * DAY;
const FEED_AHEAD_MS = 91 * DAY;

export type FeedSubject = { type: 'schedule'; id: string } | { type: 'user'; handle: string };

const purpose = (s: FeedSubject) => (s.type === 'schedule' ? `calendar:schedule:${s.id}` : `calendar:user:${s.handle}`);

/** The feed's secret: base64url HMAC-SHA256 of its purpose. */
export async function feedToken(ctx: Pick<Ctx, 'db' | 'trx' | 'clock'>, subject: FeedSubject): Promise<string> {
  const key = await loadSigningKey(ctx, CALENDAR_FEED_KEY);
  return createHmac('sha256', key).update(purpose(subject)).digest('base64url');
}

/** Whether `token` is the feed's secret; compared in constant time, as text (so no other spelling of the same bytes passes). */
async function tokenMatches(ctx: Pick<Ctx, 'db' | 'trx' | 'clock'>, subject: FeedSubject, token: unknown): Promise<boolean> {
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
  const want = Buffer.from(await feedToken(ctx, subject), 'ascii');
  const given = Buffer.from(token, 'ascii');
  return given.length === want.length && timingSafeEqual(given, want);
}

/** The feed's path on the public site, token included. */
export const feedPath = (subject: FeedSubject, token: string) =>
  subject.type === 'schedule' ? `/ical/schedules/${encodeURIComponent(subject.id)}.ics?token=${token}` : `/ical/users/${encodeURIComponent(subject.handle)}.ics?token=${token}`;

/** The secret feed URL of a schedule or a person (viewer and up), under organisation.public_url. */
export async function calendarFeedUrl(ctx: Ctx, subject: FeedSubject): Promise<{ url: string }> {
  requireRole(ctx, 'viewer');
  if (subject.type === 'schedule') findSchedule(ctx, subject.id);
  else await findPerson(ctx, subject.handle);
  const base = ctx.config.current.organisation.public_url.replace(/\/+$/, '');
  return { url: `${base}${feedPath(subject, await feedToken(ctx, subject))}` };
}

function feedWindow(now: number): { from: number; to: number } {
  const today = Math.floor(now / DAY) * DAY;
  return { from: today - FEED_BACK_MS, to: today + FEED_AHEAD_MS };
}

const overlaps = (s: OnCallSegment, from: number, to: number) => s.end > from && s.start < to;

function describeShift(seg: OnCallSegment, schedule: ScheduleConfig, overrides: OverrideSet, who: string): string {
  const source = sourceView(seg, overrides);
  const why = source.type === 'layer' ? `rotation layer ${source.name ?? source.layer + 1}` : `override by ${source.created_by}: ${source.reason}`;
  return `${schedule.name} (${schedule.id}): ${who}, from the ${why}.`;
}

const uid = (schedule: ScheduleConfig, seg: OnCallSegment) => `${schedule.id}-${seg.user}-${utcDateTime(seg.start)}@firebreak`;

async function renderScheduleFeed(ctx: Pick<Ctx, 'db' | 'trx' | 'clock' | 'config'>, schedule: ScheduleConfig): Promise<string> {
  const now = ctx.clock.now();
  const { from, to } = feedWindow(now);
  // Computed wider than the window so shifts at its edges keep their real start and end.
  const reach = onCallReach(schedule);
  const overrides = (await loadOverrideSets(ctx, schedule.id, from - reach, to + reach)).get(schedule.id) ?? EMPTY_SET;
  const segments = scheduleSegments(schedule, overrides.rotation, from - reach, to + reach).filter((s) => overlaps(s, from, to));
  const people = await Directory.load(ctx, [...layerMembers([schedule]), ...segments.map((s) => s.user)]);
  const events: ICalEvent[] = segments.map((s) => {
    const name = people.name(s.user);
    return { uid: uid(schedule, s), start: s.start, end: s.end, summary: `On call: ${name}`, description: describeShift(s, schedule, overrides, `${name} (${s.user})`) };
  });
  return renderICalendar({ name: `${schedule.name} on call`, description: `Who is on call for ${schedule.name}`, events, now });
}

async function renderUserFeed(ctx: Pick<Ctx, 'db' | 'trx' | 'clock' | 'config'>, person: { handle: string; name: string }): Promise<string> {
  const now = ctx.clock.now();
  const { from, to } = feedWindow(now);
  const reach = Math.max(0, ...ctx.config.current.schedules.map(onCallReach));
  const segments = (await userSegments(ctx, person.handle, from - reach, to + reach)).filter((u) => overlaps(u.segment, from, to));
  const events: ICalEvent[] = segments.map(({ schedule, segment, overrides }) => ({
    uid: uid(schedule, segment),
    start: segment.start,
    end: segment.end,
    summary: `On call: ${schedule.name}`,
    description: describeShift(segment, schedule, overrides, `${person.name} (${person.handle})`),
  }));
  return renderICalendar({ name: `${person.name}: on call`, description: `When ${person.name} is on call, across schedules`, events, now });
}

/** A schedule's shifts as iCalendar (viewer and up). */
export async function scheduleCalendar(ctx: Ctx, id: string): Promise<string> {
  requireRole(ctx, 'viewer');
  return renderScheduleFeed(ctx, findSchedule(ctx, id));
}

/** A person's shifts across schedules as iCalendar (viewer and up). */
export async function userCalendar(ctx: Ctx, handle: string): Promise<string> {
  requireRole(ctx, 'viewer');
  return renderUserFeed(ctx, await findPerson(ctx, handle));
}

/** The one answer to a feed that does not exist, a wrong token, or no token: nothing to tell them apart. */
const noFeed = () => new DomainError('NOT_FOUND', 'calendar feed not found');

/** A schedule's feed for a calendar app: the token is the credential; anything wrong is NOT_FOUND. */
export async function publicScheduleCalendar(ctx: Ctx, id: string, token: unknown): Promise<string> {
  if (!(await tokenMatches(ctx, { type: 'schedule', id }, token))) throw noFeed();
  const schedule = ctx.config.current.schedules.find((s) => s.id === id);
  if (!schedule) throw noFeed();
  return renderScheduleFeed(ctx, schedule);
}

/** A person's feed for a calendar app; a disabled user's feed stops working. */
export async function publicUserCalendar(ctx: Ctx, handle: string, token: unknown): Promise<string> {
  if (!(await tokenMatches(ctx, { type: 'user', handle }, token))) throw noFeed();
  const person = (await Directory.load(ctx, [handle])).find(handle);
  if (!person || !person.active) throw noFeed();
  return renderUserFeed(ctx, person);
}
