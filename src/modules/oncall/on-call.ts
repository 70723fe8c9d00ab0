import type { ScheduleConfig } from '../../config/oncall-schema.ts';
import { toRotationOverride } from './schedule-common.ts';
import { findLiveOverrides } from './schedule-repository.ts';
import type { Ctx } from '../context.ts';
import { onCallAt, onCallReach, type OnCallSegment, type ScheduleOverride } from './rotation.ts';

type Db = Pick<Ctx, 'db' | 'trx'>;

/** A schedule's live overrides that touch [from, to), oldest first (later ones win). */
export async function loadOverrides(ctx: Db, scheduleId: string, from: number, to: number): Promise<ScheduleOverride[]> {
  return (await findLiveOverrides(ctx, scheduleId, from, to)).map(toRotationOverride);
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
