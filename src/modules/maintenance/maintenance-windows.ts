import type { Selectable } from 'kysely';
import { q, withTransaction } from '../../db/transaction.ts';
import type { MaintenanceWindowsTable } from '../../db/schema.ts';
import { DomainError, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { formatLocalTime, parseLocalDate, parseLocalTime, wallMinutesBetween } from '../../lib/zoned-time.ts';
import { isTimeZone } from '../../config/schema.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { emitEvent } from '../events/index.ts';
import { assertKnownServices } from '../incidents/validate-refs.ts';
import { currentOrNext, lastEnd, occurrence, occurrenceAt, type Schedule } from './occurrences.ts';
import { createMaintenanceWindowInput, listMaintenanceWindowsQuery, WINDOW_MAX_MINUTES, type MaintenanceWindowView } from './schemas.ts';

type WindowRow = Selectable<MaintenanceWindowsTable>;
type Issue = { path: string; message: string };
type Db = Pick<Ctx, 'db' | 'trx'>;

/**
 * Schedules a maintenance window (responder and up) for some services: one-off or repeating daily
 * or weekly, in wall-clock time of an IANA zone. While an occurrence is in progress, new alerts on
 * those services are kept but open no incident and page nobody. Audited with who and why.
 */
export async function createMaintenanceWindow(ctx: Ctx, input: unknown): Promise<MaintenanceWindowView> {
  requireRole(ctx, 'responder');
  const data = createMaintenanceWindowInput.parse(input);
  const services = assertKnownServices(ctx, data.services);
  const timeZone = data.time_zone ?? ctx.config.current.organisation.time_zone;
  const issues: Issue[] = [];
  if (!isTimeZone(timeZone)) issues.push({ path: 'time_zone', message: `unknown IANA time zone "${timeZone}"` });
  const start = parseLocalTime(data.starts_at);
  const end = parseLocalTime(data.ends_at);
  const localFormat = 'must be a local date and time "YYYY-MM-DDTHH:MM" (no offset: time_zone says where)';
  if (!start) issues.push({ path: 'starts_at', message: localFormat });
  if (!end) issues.push({ path: 'ends_at', message: localFormat });
  const until = data.until === undefined ? null : parseLocalDate(data.until);
  if (data.until !== undefined && !until) issues.push({ path: 'until', message: 'must be a date "YYYY-MM-DD"' });
  if (data.until !== undefined && !data.recurrence) issues.push({ path: 'until', message: 'only a recurring window has an until date' });
  const minutes = start && end ? wallMinutesBetween(start, end) : 0;
  if (start && end) {
    const period = data.recurrence === 'daily' ? 1440 : data.recurrence === 'weekly' ? 7 * 1440 : WINDOW_MAX_MINUTES;
    if (minutes <= 0) issues.push({ path: 'ends_at', message: 'must be after starts_at' });
    else if (minutes > Math.min(period, WINDOW_MAX_MINUTES)) issues.push({ path: 'ends_at', message: data.recurrence ? `an occurrence must not be longer than its ${data.recurrence} period` : 'a window must not be longer than 7 days' });
    if (until && start && Date.UTC(until.year, until.month - 1, until.day) < Date.UTC(start.year, start.month - 1, start.day)) issues.push({ path: 'until', message: 'must not be before starts_at' });
  }
  if (issues.length || !start || !end) throw new DomainError('VALIDATION_FAILED', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });

  const schedule: Schedule = { timeZone, start, minutes, recurrence: data.recurrence ?? null, until };
  const now = ctx.clock.now();
  const last = lastEnd(schedule);
  if (last !== null && last <= now) throw new DomainError('VALIDATION_FAILED', 'ends_at: the window is over already', { issues: [{ path: 'ends_at', message: 'must be in the future' }] });
  const row: WindowRow = {
    id: newId('mw', now),
    title: data.title.trim(),
    description: data.description,
    services: JSON.stringify(services),
    time_zone: timeZone,
    starts_local: formatLocalTime(start),
    ends_local: formatLocalTime(end),
    recurrence: data.recurrence ?? null,
    until_local: data.until ?? null,
    first_start_at: occurrence(schedule, 0)!.start,
    last_end_at: last,
    created_by: ctx.actor.name,
    created_at: now,
    cancelled_at: null,
  };
  return withTransaction(ctx, async (tx) => {
    await q(tx).insertInto('maintenance_windows').values(row).execute();
    const view = toView(row, now);
    await writeAudit(tx, { action: 'maintenance_window.created', entityType: 'maintenance_window', entityId: row.id, data: { title: view.title, services, starts_at: view.starts_at, ends_at: view.ends_at, time_zone: timeZone, recurrence: view.recurrence } });
    await emitEvent(tx, { topic: 'maintenance_window.created', aggregateType: 'maintenance_window', aggregateId: row.id, payload: { window: view } });
    return view;
  });
}

/** Maintenance windows, newest first (viewer and up), optionally by state now or service. */
export async function listMaintenanceWindows(ctx: Ctx, input: unknown): Promise<{ data: MaintenanceWindowView[] }> {
  requireRole(ctx, 'viewer');
  const { state, service, limit } = listMaintenanceWindowsQuery.parse(input ?? {});
  const now = ctx.clock.now();
  let query = q(ctx).selectFrom('maintenance_windows').selectAll();
  // Narrow in SQL where the state allows it; the exact state is computed below.
  if (state === 'cancelled') query = query.where('cancelled_at', 'is not', null);
  if (state === 'completed') query = query.where('cancelled_at', 'is', null).where('last_end_at', '<=', now);
  if (state === 'scheduled' || state === 'in_progress') query = query.where('cancelled_at', 'is', null).where((eb) => eb.or([eb('last_end_at', 'is', null), eb('last_end_at', '>', now)]));
  const rows = await query.orderBy('id', 'desc').execute();
  const views = rows.map((r) => toView(r, now)).filter((v) => (!state || v.state === state) && (!service || v.services.includes(service)));
  return { data: views.slice(0, limit) };
}

export async function getMaintenanceWindow(ctx: Ctx, id: string): Promise<MaintenanceWindowView> {
  requireRole(ctx, 'viewer');
  const row = await findWindow(ctx, id);
  if (!row) throw notFound('maintenance window', id);
  return toView(row, ctx.clock.now());
}

/**
 * Cancels a window now (responder and up): an occurrence in progress ends, none follow.
 * Idempotent: a cancelled or completed window is left as it is, with no second audit row.
 */
export async function cancelMaintenanceWindow(ctx: Ctx, id: string): Promise<MaintenanceWindowView> {
  requireRole(ctx, 'responder');
  return withTransaction(ctx, async (tx) => {
    const row = await findWindow(tx, id);
    if (!row) throw notFound('maintenance window', id);
    const now = tx.clock.now();
    const state = stateOf(row, now);
    if (state === 'cancelled' || state === 'completed') return toView(row, now);
    await q(tx).updateTable('maintenance_windows').set({ cancelled_at: now }).where('id', '=', id).execute();
    const view = toView({ ...row, cancelled_at: now }, now);
    await writeAudit(tx, { action: 'maintenance_window.cancelled', entityType: 'maintenance_window', entityId: id, data: { title: row.title } });
    await emitEvent(tx, { topic: 'maintenance_window.cancelled', aggregateType: 'maintenance_window', aggregateId: id, payload: { window: view } });
    return view;
  });
}

/** A window in progress now, as the suppression step sees it. */
export interface ActiveWindow {
  id: string;
  services: Set<string>;
  ends_at: number;
}

/** Windows with an occurrence in progress at `now` (few rows: the SQL keeps only those not over). */
export async function loadActiveWindows(ctx: Db, now: number): Promise<ActiveWindow[]> {
  const rows = await q(ctx)
    .selectFrom('maintenance_windows')
    .selectAll()
    .where('cancelled_at', 'is', null)
    .where('first_start_at', '<=', now)
    .where((eb) => eb.or([eb('last_end_at', 'is', null), eb('last_end_at', '>', now)]))
    .orderBy('id')
    .execute();
  const active: ActiveWindow[] = [];
  for (const row of rows) {
    const o = occurrenceAt(scheduleOf(row), now);
    if (o) active.push({ id: row.id, services: new Set(JSON.parse(row.services) as string[]), ends_at: o.end });
  }
  return active;
}

const findWindow = (ctx: Db, id: string) => q(ctx).selectFrom('maintenance_windows').selectAll().where('id', '=', id).executeTakeFirst();

function scheduleOf(row: WindowRow): Schedule {
  const start = parseLocalTime(row.starts_local)!;
  return {
    timeZone: row.time_zone,
    start,
    minutes: wallMinutesBetween(start, parseLocalTime(row.ends_local)!),
    recurrence: row.recurrence as Schedule['recurrence'],
    until: row.until_local === null ? null : parseLocalDate(row.until_local),
  };
}

function stateOf(row: WindowRow, now: number): MaintenanceWindowView['state'] {
  if (row.cancelled_at !== null) return 'cancelled';
  if (row.last_end_at !== null && Number(row.last_end_at) <= now) return 'completed';
  return occurrenceAt(scheduleOf(row), now) ? 'in_progress' : 'scheduled';
}

function toView(row: WindowRow, now: number): MaintenanceWindowView {
  const state = stateOf(row, now);
  const next = state === 'scheduled' || state === 'in_progress' ? currentOrNext(scheduleOf(row), now) : null;
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    services: JSON.parse(row.services) as string[],
    time_zone: row.time_zone,
    starts_at: row.starts_local,
    ends_at: row.ends_local,
    recurrence: row.recurrence as MaintenanceWindowView['recurrence'],
    until: row.until_local,
    state,
    current_or_next: next && { starts_at: isoTime(next.start), ends_at: isoTime(next.end) },
    created_by: row.created_by,
    created_at: isoTime(Number(row.created_at)),
    cancelled_at: row.cancelled_at === null ? null : isoTime(Number(row.cancelled_at)),
  };
}
