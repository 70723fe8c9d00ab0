import type { ScheduleConfig } from '../../config/oncall-schema.ts';
import { DomainError, notFound } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import type { Ctx } from '../context.ts';
import type { OnCallSegment, ScheduleOverride } from './rotation.ts';
import { findLiveOverrides, findUsersByHandle, type OverrideRow, type UserFacts } from './schedule-repository.ts';
import type { OnCallView, OverrideView, ScheduleRef, ShiftView, SourceView } from './schedule-schemas.ts';

/** What the schedule verbs and views share: finding schedules and people, loading overrides, shaping segments. */

type Db = Pick<Ctx, 'db' | 'trx'>;

/** The schedule declared with this id; NOT_FOUND otherwise. */
export function findSchedule(ctx: Pick<Ctx, 'config'>, id: string): ScheduleConfig {
  const schedule = ctx.config.current.schedules.find((s) => s.id === id);
  if (!schedule) throw notFound('schedule', id);
  return schedule;
}

export const scheduleRef = (s: ScheduleConfig): ScheduleRef => ({ id: s.id, name: s.name, time_zone: s.time_zone });

/** Display names (and zones) of people: the users table first, then firebreak.yaml, then the handle itself. */
export class Directory {
  private constructor(
    private readonly db: Map<string, UserFacts>,
    private readonly ctx: Pick<Ctx, 'config'>,
  ) {}

  static async load(ctx: Db & Pick<Ctx, 'config'>, handles: Iterable<string>): Promise<Directory> {
    return new Directory(await findUsersByHandle(ctx, [...handles]), ctx);
  }

  /** Known in the database or declared in config. */
  find(handle: string): { handle: string; name: string; time_zone: string; active: boolean } | null {
    const row = this.db.get(handle);
    if (row) return row;
    const declared = this.ctx.config.current.users.find((u) => u.handle === handle);
    return declared ? { handle, name: declared.name, time_zone: declared.time_zone, active: true } : null;
  }

  name(handle: string): string {
    return this.find(handle)?.name ?? handle;
  }

  /** An active user in the database: someone who can be paged and can sign in. */
  isActiveUser(handle: string): boolean {
    return this.db.get(handle)?.active === true;
  }
}

/** Every handle a schedule can put on call from its layers (overrides add their own). */
export const layerMembers = (schedules: readonly ScheduleConfig[]): string[] => [...new Set(schedules.flatMap((s) => s.layers.flatMap((l) => l.members)))];

/** A schedule's live overrides as the rotation computes with them, and their rows for reasons. */
export interface OverrideSet {
  rotation: ScheduleOverride[];
  rows: Map<string, OverrideRow>;
}

export const toRotationOverride = (r: OverrideRow): ScheduleOverride => ({ id: r.id, user: r.user_handle, start: Number(r.starts_at), end: Number(r.ends_at), replaces: r.replaces });

/** Live overrides touching [from, to), grouped by schedule (every schedule when `scheduleId` is null). */
export async function loadOverrideSets(ctx: Db, scheduleId: string | null, from: number, to: number): Promise<Map<string, OverrideSet>> {
  const out = new Map<string, OverrideSet>();
  for (const row of await findLiveOverrides(ctx, scheduleId, from, to)) {
    let set = out.get(row.schedule_id);
    if (!set) out.set(row.schedule_id, (set = { rotation: [], rows: new Map() }));
    set.rotation.push(toRotationOverride(row));
    set.rows.set(row.id, row);
  }
  return out;
}

export const EMPTY_SET: OverrideSet = { rotation: [], rows: new Map() };

export function sourceView(seg: OnCallSegment, overrides: OverrideSet): SourceView {
  if (seg.source.type === 'layer') return { type: 'layer', layer: seg.source.layer, name: seg.source.name };
  const row = overrides.rows.get(seg.source.id);
  return { type: 'override', id: seg.source.id, reason: row?.reason ?? '', created_by: row?.created_by ?? '' };
}

export const onCallView = (seg: OnCallSegment, overrides: OverrideSet, people: Directory): OnCallView => ({
  handle: seg.user,
  name: people.name(seg.user),
  since: isoTime(seg.start),
  until: isoTime(seg.end),
  source: sourceView(seg, overrides),
});

export const shiftView = (seg: OnCallSegment, overrides: OverrideSet, people: Directory): ShiftView => ({
  handle: seg.user,
  name: people.name(seg.user),
  start: isoTime(seg.start),
  end: isoTime(seg.end),
  source: sourceView(seg, overrides),
});

export const overrideView = (r: OverrideRow): OverrideView => ({
  id: r.id,
  schedule: r.schedule_id,
  user: r.user_handle,
  replaces: r.replaces,
  start: isoTime(Number(r.starts_at)),
  end: isoTime(Number(r.ends_at)),
  reason: r.reason,
  created_by: r.created_by,
  created_at: isoTime(Number(r.created_at)),
  cancelled_at: r.cancelled_at === null ? null : isoTime(Number(r.cancelled_at)),
  cancelled_by: r.cancelled_by,
});

/** UNKNOWN_USER unless the handle is an active user in the database. */
export function assertActiveUser(people: Directory, handle: string, field: string): void {
  if (!people.isActiveUser(handle)) throw new DomainError('UNKNOWN_USER', `${field}: no active user with handle "${handle}"`, { user: handle, field });
}
