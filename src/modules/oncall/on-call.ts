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

/** Who is on call for a schedule at an instant (with the shift around it), overrides included. */
export async function whoIsOnCall(ctx: Db, schedule: ScheduleConfig, at: number): Promise<OnCallSegment | null> {
  // Overrides as far either side as onCallAt looks for the edges of the shift around `at`.
  const reach = onCallReach(schedule);
  return onCallAt(schedule, await loadOverrides(ctx, schedule.id, at - reach, at + reach), at);
}

/** The final on-call segments of a schedule over a range, for calendars. */
export async function onCallSegments(ctx: Db, schedule: ScheduleConfig, from: number, to: number): Promise<OnCallSegment[]> {
  return scheduleSegments(schedule, await loadOverrides(ctx, schedule.id, from, to), from, to);
}
