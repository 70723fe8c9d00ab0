import type { Selectable } from 'kysely';
import { q } from '../../db/transaction.ts';
import type { ScheduleOverridesTable } from '../../db/schema.ts';
import type { Ctx } from '../context.ts';

/** Schedule overrides and the user facts their views need; the only Kysely of the schedules API. */

export type OverrideRow = Selectable<ScheduleOverridesTable>;
type Db = Pick<Ctx, 'db' | 'trx'>;

/** Handles are few per request, but a list of every member of a thousand schedules is not. */
const CHUNK = 500;

export async function insertOverride(ctx: Db, row: OverrideRow): Promise<void> {
  await q(ctx).insertInto('schedule_overrides').values(row).execute();
}

export async function findOverride(ctx: Db, scheduleId: string, id: string): Promise<OverrideRow | undefined> {
  return q(ctx).selectFrom('schedule_overrides').selectAll().where('id', '=', id).where('schedule_id', '=', scheduleId).executeTakeFirst();
}

export async function markOverrideCancelled(ctx: Db, id: string, at: number, by: string): Promise<void> {
  await q(ctx).updateTable('schedule_overrides').set({ cancelled_at: at, cancelled_by: by }).where('id', '=', id).where('cancelled_at', 'is', null).execute();
}

/**
 * Live overrides touching [from, to), of one schedule or (null) of every schedule, oldest first:
 * the order loadOverrides uses, so a later override wins where they overlap.
 */
export async function findLiveOverrides(ctx: Db, scheduleId: string | null, from: number, to: number): Promise<OverrideRow[]> {
  let query = q(ctx).selectFrom('schedule_overrides').selectAll().where('cancelled_at', 'is', null).where('ends_at', '>', from).where('starts_at', '<', to);
  if (scheduleId !== null) query = query.where('schedule_id', '=', scheduleId);
  return query.orderBy('created_at').orderBy('id').execute();
}

/** A schedule's overrides touching [from, to) for a listing, by start; cancelled ones only when asked. */
export async function listOverrideRows(ctx: Db, scheduleId: string, from: number, to: number, includeCancelled: boolean, limit: number): Promise<OverrideRow[]> {
  let query = q(ctx).selectFrom('schedule_overrides').selectAll().where('schedule_id', '=', scheduleId).where('ends_at', '>', from).where('starts_at', '<', to);
  if (!includeCancelled) query = query.where('cancelled_at', 'is', null);
  return query.orderBy('starts_at').orderBy('id').limit(limit).execute();
}

export interface UserFacts {
  handle: string;
  name: string;
  time_zone: string;
  active: boolean;
}

/** Users by handle (those that exist). */
export async function findUsersByHandle(ctx: Db, handles: readonly string[]): Promise<Map<string, UserFacts>> {
  const out = new Map<string, UserFacts>();
  const unique = [...new Set(handles)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = await q(ctx)
      .selectFrom('users')
      .select(['handle', 'name', 'time_zone', 'disabled_at'])
      .where('handle', 'in', unique.slice(i, i + CHUNK))
      .execute();
    for (const r of rows) out.set(r.handle, { handle: r.handle, name: r.name, time_zone: r.time_zone, active: r.disabled_at === null });
  }
  return out;
}
