import type { ScheduleConfig } from '../../config/oncall-schema.ts';
import { withTransaction } from '../../db/transaction.ts';
import { DomainError, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { emitEvent } from '../events/index.ts';
import { scheduleSegments } from './rotation.ts';
import { assertActiveUser, Directory, EMPTY_SET, findSchedule, loadOverrideSets, overrideView } from './schedule-common.ts';
import { findOverride, insertOverride, listOverrideRows, markOverrideCancelled, type OverrideRow } from './schedule-repository.ts';
import {
  createOverrideInput,
  OVERRIDE_LEAD_MAX_MS,
  OVERRIDE_MAX_MS,
  OVERRIDE_PAST_GRACE_MS,
  OVERRIDES_LIST_MAX,
  overridesQuery,
  RANGE_MAX_MS,
  resolveRange,
  swapInput,
  toInstant,
  validation,
  type OverrideView,
} from './schedule-schemas.ts';

/**
 * Run-time changes to a schedule (responder and up): overrides, shift swaps, cancelling. Each is
 * audited with who, when and why, and emitted as a `schedule.*` event, in one transaction.
 */

type Issue = { path: string; message: string };
type Span = { start: number; end: number };

/** Checks an override's window against now; every problem at once, paths prefixed (`a_shift.`). */
function checkSpan(text: { start: string; end: string }, now: number, prefix: string, issues: Issue[]): Span {
  const span = { start: toInstant(text.start), end: toInstant(text.end) };
  const add = (field: 'start' | 'end', message: string) => issues.push({ path: `${prefix}${field}`, message });
  if (span.end <= span.start) add('end', 'must be after start');
  else if (span.end - span.start > OVERRIDE_MAX_MS) add('end', `an override lasts at most ${OVERRIDE_MAX_MS / 86_400_000} days`);
  if (span.end <= now) add('end', 'must be in the future');
  if (span.start < now - OVERRIDE_PAST_GRACE_MS) add('start', 'may be at most 1 hour in the past (the past is not rewritten)');
  if (span.start > now + OVERRIDE_LEAD_MAX_MS) add('start', `must be within ${OVERRIDE_LEAD_MAX_MS / 86_400_000} days from now`);
  return span;
}

function throwIssues(issues: Issue[]): void {
  if (issues.length) throw new DomainError('VALIDATION_FAILED', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}

/** VALIDATION_FAILED unless `handle` is on call somewhere in the span (else an override replacing them would do nothing). */
async function assertOnCallIn(tx: Ctx, schedule: ScheduleConfig, handle: string, span: Span, field: string): Promise<void> {
  const overrides = (await loadOverrideSets(tx, schedule.id, span.start, span.end)).get(schedule.id) ?? EMPTY_SET;
  if (scheduleSegments(schedule, overrides.rotation, span.start, span.end).some((s) => s.user === handle)) return;
  throw validation(field, `${handle} is not on call on ${schedule.name} at any time from ${isoTime(span.start)} to ${isoTime(span.end)}`);
}

interface NewOverride {
  user: string;
  replaces: string | null;
  span: Span;
  reason: string;
  swap?: string;
}

async function writeOverride(tx: Ctx, schedule: ScheduleConfig, o: NewOverride): Promise<OverrideView> {
  const now = tx.clock.now();
  const row: OverrideRow = {
    id: newId('ovr', now),
    schedule_id: schedule.id,
    user_handle: o.user,
    replaces: o.replaces,
    starts_at: o.span.start,
    ends_at: o.span.end,
    reason: o.reason,
    created_by: tx.actor.name,
    created_at: now,
    cancelled_at: null,
    cancelled_by: null,
  };
  await insertOverride(tx, row);
  const view = overrideView(row);
  const data = { schedule: schedule.id, user: o.user, replaces: o.replaces, start: view.start, end: view.end, reason: o.reason, ...(o.swap && { swap_with: o.swap }) };
  await writeAudit(tx, { action: 'schedule.override_created', entityType: 'schedule_override', entityId: row.id, data });
  await emitEvent(tx, { topic: 'schedule.override_created', aggregateType: 'schedule', aggregateId: schedule.id, payload: { override: view } });
  return view;
}

/**
 * Puts `user` (an active user) on call for [start, end) on a schedule, over the rotation; with
 * `replaces`, only where that person would have been on call. The reason is required; the window
 * ends in the future, lasts at most 90 days and starts at most an hour ago.
 */
export async function createOverride(ctx: Ctx, scheduleId: string, input: unknown): Promise<OverrideView> {
  requireRole(ctx, 'responder');
  const data = createOverrideInput.parse(input);
  const schedule = findSchedule(ctx, scheduleId);
  const issues: Issue[] = [];
  const span = checkSpan(data, ctx.clock.now(), '', issues);
  const replaces = data.replaces ?? null;
  if (replaces === data.user) issues.push({ path: 'replaces', message: 'must be someone other than user' });
  throwIssues(issues);
  return withTransaction(ctx, async (tx) => {
    const people = await Directory.load(tx, replaces ? [data.user, replaces] : [data.user]);
    assertActiveUser(people, data.user, 'user');
    if (replaces) {
      if (!people.find(replaces)) throw new DomainError('UNKNOWN_USER', `replaces: no user with handle "${replaces}"`, { user: replaces, field: 'replaces' });
      await assertOnCallIn(tx, schedule, replaces, span, 'replaces');
    }
    return writeOverride(tx, schedule, { user: data.user, replaces, span, reason: data.reason });
  });
}

/**
 * A shift swap in one transaction: B covers A's shift (an override replacing A over `a_shift`)
 * and, when `b_shift` is given, A covers B's. Both must be active users, on call in the shift
 * they hand over; the two shifts must not overlap.
 */
export async function swapShifts(ctx: Ctx, scheduleId: string, input: unknown): Promise<{ overrides: OverrideView[] }> {
  requireRole(ctx, 'responder');
  const data = swapInput.parse(input);
  const schedule = findSchedule(ctx, scheduleId);
  const now = ctx.clock.now();
  const issues: Issue[] = [];
  if (data.user_a === data.user_b) issues.push({ path: 'user_b', message: 'must be someone other than user_a' });
  const a = checkSpan(data.a_shift, now, 'a_shift.', issues);
  const b = data.b_shift && checkSpan(data.b_shift, now, 'b_shift.', issues);
  if (b && a.start < b.end && b.start < a.end) issues.push({ path: 'b_shift', message: 'must not overlap a_shift' });
  throwIssues(issues);
  return withTransaction(ctx, async (tx) => {
    const people = await Directory.load(tx, [data.user_a, data.user_b]);
    assertActiveUser(people, data.user_a, 'user_a');
    assertActiveUser(people, data.user_b, 'user_b');
    await assertOnCallIn(tx, schedule, data.user_a, a, 'a_shift');
    if (b) await assertOnCallIn(tx, schedule, data.user_b, b, 'b_shift');
    const overrides = [await writeOverride(tx, schedule, { user: data.user_b, replaces: data.user_a, span: a, reason: data.reason, swap: data.user_a })];
    if (b) overrides.push(await writeOverride(tx, schedule, { user: data.user_a, replaces: data.user_b, span: b, reason: data.reason, swap: data.user_b }));
    return { overrides };
  });
}

/**
 * Cancels an override (responder and up): it stops applying, and stays in the history with who
 * cancelled it and when. Idempotent; NOT_FOUND for an id that is not this schedule's; an
 * override that has already ended is history and is not cancelled (CONFLICT).
 */
export async function cancelOverride(ctx: Ctx, scheduleId: string, overrideId: string): Promise<OverrideView> {
  requireRole(ctx, 'responder');
  const schedule = findSchedule(ctx, scheduleId);
  return withTransaction(ctx, async (tx) => {
    const row = await findOverride(tx, schedule.id, overrideId);
    if (!row) throw notFound('override', overrideId);
    if (row.cancelled_at !== null) return overrideView(row);
    const now = tx.clock.now();
    if (Number(row.ends_at) <= now) throw new DomainError('CONFLICT', `override ${row.id} ended at ${isoTime(Number(row.ends_at))}; it stays as history`, { ends_at: isoTime(Number(row.ends_at)) });
    await markOverrideCancelled(tx, row.id, now, tx.actor.name);
    const view = overrideView({ ...row, cancelled_at: now, cancelled_by: tx.actor.name });
    await writeAudit(tx, { action: 'schedule.override_cancelled', entityType: 'schedule_override', entityId: row.id, data: { schedule: schedule.id, user: row.user_handle, replaces: row.replaces, start: view.start, end: view.end, reason: row.reason } });
    await emitEvent(tx, { topic: 'schedule.override_cancelled', aggregateType: 'schedule', aggregateId: schedule.id, payload: { override: view } });
    return view;
  });
}

/** A schedule's overrides touching [from, to) (default: the next 92 days), by start; cancelled ones with `include_cancelled=true`. */
export async function listOverrides(ctx: Ctx, scheduleId: string, input: unknown): Promise<{ data: OverrideView[] }> {
  requireRole(ctx, 'viewer');
  const query = overridesQuery.parse(input ?? {});
  const schedule = findSchedule(ctx, scheduleId);
  const { from, to } = resolveRange(query, ctx.clock.now(), RANGE_MAX_MS);
  const rows = await listOverrideRows(ctx, schedule.id, from, to, query.include_cancelled === 'true', OVERRIDES_LIST_MAX);
  return { data: rows.map(overrideView) };
}
