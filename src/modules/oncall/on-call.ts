import type { ScheduleConfig } from '../../config/oncall-schema.ts';
import { q } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';
import { onCallAt, onCallReach, scheduleSegments, type OnCallSegment, type ScheduleOverride } from './rotation.ts';

type Db = Pick<Ctx, 'db' | 'trx'>;

/** A schedule's live overrides that touch [from, to), oldest first (later ones win). */
export async function loadOverrides(ctx: Db, scheduleId: string, from: number, to: number): Promise<ScheduleOverride[]> {
  const rows = await q(ctx)
    .selectFrom('schedule_overrides')
    .select(['id', 'user_handle', 'starts_at', 'ends_at', 'replaces'])
    .where('schedule_id', '=', scheduleId)
    .where('cancelled_at', 'is', null)
    .where('ends_at', '>', from)
    .where('starts_at', '<', to)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, user: r.user_handle, start: Number(r.starts_at), end: Number(r.ends_at), replaces: r.replaces }));
}

/**
 * The last answer per schedule (the config object: a reload makes new ones), with the overrides it
 * saw. A storm pages the same schedule a thousand times a second; while the overrides are the same
 * and `at` is inside the shift found last time, the shift is the same, and computing it again costs
 * time-zone arithmetic for nothing.
 */
const lastShift = new WeakMap<ScheduleConfig, { overrides: string; segment: OnCallSegment | null }>();

/** Who is on call for a schedule at an instant (with the shift around it), overrides included. */
export async function whoIsOnCall(ctx: Db, schedule: ScheduleConfig, at: number): Promise<OnCallSegment | null> {
  // Overrides as far either side as onCallAt looks for the edges of the shift around `at`.
  const reach = onCallReach(schedule);
  const overrides = await loadOverrides(ctx, schedule.id, at - reach, at + reach);
  const signature = overrides.map((o) => `${o.id}:${o.start}:${o.end}`).join(',');
  const last = lastShift.get(schedule);
  if (last && last.overrides === signature && last.segment && at >= last.segment.start && at < last.segment.end) return last.segment;
  const segment = onCallAt(schedule, overrides, at);
  lastShift.set(schedule, { overrides: signature, segment });
  return segment;
}

/** The final on-call segments of a schedule over a range, for calendars. */
export async function onCallSegments(ctx: Db, schedule: ScheduleConfig, from: number, to: number): Promise<OnCallSegment[]> {
  return scheduleSegments(schedule, await loadOverrides(ctx, schedule.id, from, to), from, to);
}
