import type { ScheduleConfig } from '../../config/oncall-schema.ts';
import { notFound } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { requireRole, type Ctx } from '../context.ts';
import { layerSegments, onCallAt, onCallReach, rotationStepMinutes, sameSource, scheduleSegments, type OnCallSegment } from './rotation.ts';
import {
  Directory,
  EMPTY_SET,
  findSchedule,
  layerMembers,
  loadOverrideSets,
  onCallView,
  scheduleRef,
  shiftView,
  sourceView,
  type OverrideSet,
} from './schedule-common.ts';
import {
  atQuery,
  DAY,
  rangeQuery,
  resolveRange,
  shiftsQuery,
  toInstant,
  type EveryoneOnCallView,
  type LayerView,
  type ScheduleOnCallView,
  type ScheduleView,
  type ShiftsView,
  type UserShiftsView,
} from './schedule-schemas.ts';

/** Read side of the schedules API (viewer and up): schedules with who is on call, shifts over a range, everyone on call now. */

/** How far ahead "next" is looked for: past this, a schedule shows no next shift. */
const NEXT_HORIZON = 35 * DAY;

/** The segment around `now` and the one after it (skipping a continuation of the same shift). */
function currentAndNext(schedule: ScheduleConfig, overrides: OverrideSet, now: number): { current: OnCallSegment | null; next: OnCallSegment | null } {
  const current = onCallAt(schedule, overrides.rotation, now);
  const after = current ? current.end : now;
  const ahead = scheduleSegments(schedule, overrides.rotation, after, after + NEXT_HORIZON);
  let first: OnCallSegment | undefined = ahead[0];
  // onCallAt stops looking after the longest shift plus a week: a shift longer than that continues here.
  if (first && current && first.start === current.end && first.user === current.user && sameSource(first.source, current.source)) first = ahead[1];
  return { current, next: first ? onCallAt(schedule, overrides.rotation, first.start) : null };
}

/** The window of overrides currentAndNext needs, for schedules whose reach is at most `reach`. */
const nowWindow = (now: number, reach: number) => ({ from: now - reach, to: now + 2 * reach + NEXT_HORIZON });

function layerViews(schedule: ScheduleConfig, people: Directory): LayerView[] {
  return schedule.layers.map((l, index) => ({
    index,
    name: l.name ?? null,
    members: l.members.map((handle) => ({ handle, name: people.name(handle) })),
    rotation: { type: l.rotation.type, handoff: l.rotation.handoff, shift_minutes: rotationStepMinutes(l.rotation) },
    start: l.start,
    restrictions: l.restrictions.map((r) => ({ days: [...r.days], from: r.from, to: r.to })),
  }));
}

function overrideUsers(sets: Iterable<OverrideSet>): string[] {
  const out: string[] = [];
  for (const s of sets) for (const r of s.rows.values()) out.push(r.user_handle);
  return out;
}

async function scheduleViews(ctx: Ctx, schedules: ScheduleConfig[]): Promise<ScheduleView[]> {
  const now = ctx.clock.now();
  const reach = Math.max(0, ...schedules.map(onCallReach));
  const window = nowWindow(now, reach);
  const sets = await loadOverrideSets(ctx, schedules.length === 1 ? schedules[0].id : null, window.from, window.to);
  const people = await Directory.load(ctx, [...layerMembers(schedules), ...overrideUsers(sets.values())]);
  return schedules.map((schedule) => {
    const overrides = sets.get(schedule.id) ?? EMPTY_SET;
    const { current, next } = currentAndNext(schedule, overrides, now);
    return {
      id: schedule.id,
      name: schedule.name,
      time_zone: schedule.time_zone,
      layers: layerViews(schedule, people),
      on_call: current && onCallView(current, overrides, people),
      next: next && onCallView(next, overrides, people),
    };
  });
}

/** Every schedule with its layers, who is on call now and who is next. */
export async function listSchedules(ctx: Ctx): Promise<{ data: ScheduleView[] }> {
  requireRole(ctx, 'viewer');
  return { data: await scheduleViews(ctx, ctx.config.current.schedules) };
}

/** One schedule, as in the list; NOT_FOUND for an unknown id. */
export async function getSchedule(ctx: Ctx, id: string): Promise<ScheduleView> {
  requireRole(ctx, 'viewer');
  const [view] = await scheduleViews(ctx, [findSchedule(ctx, id)]);
  return view;
}

/** Who is on call at `at` (default now), with the whole segment around it. */
export async function scheduleOnCall(ctx: Ctx, id: string, input: unknown): Promise<ScheduleOnCallView> {
  requireRole(ctx, 'viewer');
  const query = atQuery.parse(input ?? {});
  const schedule = findSchedule(ctx, id);
  const at = query.at === undefined ? ctx.clock.now() : toInstant(query.at);
  const reach = onCallReach(schedule);
  const overrides = (await loadOverrideSets(ctx, schedule.id, at - reach, at + reach)).get(schedule.id) ?? EMPTY_SET;
  const seg = onCallAt(schedule, overrides.rotation, at);
  const people = await Directory.load(ctx, seg ? [seg.user] : []);
  return { schedule: scheduleRef(schedule), at: isoTime(at), on_call: seg && onCallView(seg, overrides, people) };
}

/** The final shifts over [from, to) (default: a week from now), and each layer's own when `layers=true`. */
export async function scheduleShifts(ctx: Ctx, id: string, input: unknown): Promise<ShiftsView> {
  requireRole(ctx, 'viewer');
  const query = shiftsQuery.parse(input ?? {});
  const schedule = findSchedule(ctx, id);
  const { from, to } = resolveRange(query, ctx.clock.now());
  const overrides = (await loadOverrideSets(ctx, schedule.id, from, to)).get(schedule.id) ?? EMPTY_SET;
  const segments = scheduleSegments(schedule, overrides.rotation, from, to);
  const people = await Directory.load(ctx, [...layerMembers([schedule]), ...overrideUsers([overrides])]);
  const view: ShiftsView = { schedule: scheduleRef(schedule), from: isoTime(from), to: isoTime(to), shifts: segments.map((s) => shiftView(s, overrides, people)) };
  if (query.layers === 'true') {
    view.layers = schedule.layers.map((layer, index) => ({
      index,
      name: layer.name ?? null,
      shifts: layerSegments(layer, schedule.time_zone, from, to).map((s) => ({ handle: s.user, name: people.name(s.user), start: isoTime(s.start), end: isoTime(s.end) })),
    }));
  }
  return view;
}

/** Who is on call now for every schedule, and for each person on call, which schedules. */
export async function everyoneOnCall(ctx: Ctx): Promise<EveryoneOnCallView> {
  requireRole(ctx, 'viewer');
  const now = ctx.clock.now();
  const schedules = ctx.config.current.schedules;
  const reach = Math.max(0, ...schedules.map(onCallReach));
  const sets = await loadOverrideSets(ctx, null, now - reach, now + reach);
  const people = await Directory.load(ctx, [...layerMembers(schedules), ...overrideUsers(sets.values())]);
  const users = new Map<string, EveryoneOnCallView['users'][number]>();
  const rows = schedules.map((schedule) => {
    const overrides = sets.get(schedule.id) ?? EMPTY_SET;
    const seg = onCallAt(schedule, overrides.rotation, now);
    if (seg) {
      let entry = users.get(seg.user);
      if (!entry) users.set(seg.user, (entry = { handle: seg.user, name: people.name(seg.user), schedules: [] }));
      entry.schedules.push({ id: schedule.id, name: schedule.name, since: isoTime(seg.start), until: isoTime(seg.end), source: sourceView(seg, overrides) });
    }
    return { schedule: scheduleRef(schedule), on_call: seg && onCallView(seg, overrides, people) };
  });
  return { at: isoTime(now), schedules: rows, users: [...users.values()].sort((a, b) => a.handle.localeCompare(b.handle)) };
}

/** One person's segments across every schedule over [from, to), by start. */
export interface UserSegment {
  schedule: ScheduleConfig;
  segment: OnCallSegment;
  overrides: OverrideSet;
}

/** The person's segments in every schedule they can be on call for (a layer member, or named by an override). */
export async function userSegments(ctx: Pick<Ctx, 'db' | 'trx' | 'config'>, handle: string, from: number, to: number): Promise<UserSegment[]> {
  const sets = await loadOverrideSets(ctx, null, from, to);
  const out: UserSegment[] = [];
  for (const schedule of ctx.config.current.schedules) {
    const overrides = sets.get(schedule.id) ?? EMPTY_SET;
    const involved = schedule.layers.some((l) => l.members.includes(handle)) || overrides.rotation.some((o) => o.user === handle);
    if (!involved) continue;
    for (const segment of scheduleSegments(schedule, overrides.rotation, from, to)) if (segment.user === handle) out.push({ schedule, segment, overrides });
  }
  return out.sort((a, b) => a.segment.start - b.segment.start || a.schedule.id.localeCompare(b.schedule.id));
}

/** A person known to Firebreak (in the database or declared in config); NOT_FOUND otherwise. */
export async function findPerson(ctx: Pick<Ctx, 'db' | 'trx' | 'config'>, handle: string): Promise<{ handle: string; name: string; time_zone: string; active: boolean }> {
  const person = (await Directory.load(ctx, [handle])).find(handle);
  if (!person) throw notFound('user', handle);
  return person;
}

/** A person's shifts across schedules over [from, to) (default: a week from now). */
export async function userShifts(ctx: Ctx, handle: string, input: unknown): Promise<UserShiftsView> {
  requireRole(ctx, 'viewer');
  const query = rangeQuery.parse(input ?? {});
  const person = await findPerson(ctx, handle);
  const { from, to } = resolveRange(query, ctx.clock.now());
  const segments = await userSegments(ctx, person.handle, from, to);
  return {
    user: { handle: person.handle, name: person.name, time_zone: person.time_zone },
    from: isoTime(from),
    to: isoTime(to),
    shifts: segments.map(({ schedule, segment, overrides }) => ({
      schedule: { id: schedule.id, name: schedule.name },
      start: isoTime(segment.start),
      end: isoTime(segment.end),
      source: sourceView(segment, overrides),
    })),
  };
}
