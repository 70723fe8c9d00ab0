import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { localToInstant, parseLocalTime } from '../../lib/zoned-time.ts';
import { isTimeZone } from '../../config/schema.ts';
import { requireRole, type Ctx } from '../context.ts';
import { cancelMaintenanceWindow, createMaintenanceWindow } from '../maintenance/index.ts';
import { setTimer, type TimerHandler } from '../timers/index.ts';
import { applyUpdate, assertComponents, findPublicIncident, getPublicIncidentView, newPublicId, type StatusIncidentRow } from './public-incidents.ts';
import { maintenanceUpdateInput, scheduleMaintenanceInput, type PublicIncidentAdminView } from './schemas.ts';
import { notifyIncidentSubscribers } from './subscriber-notify.ts';
import type { MaintenanceStatus } from './vocabulary.ts';

/**
 * Scheduled maintenance on the status page: announced when scheduled, subscribers reminded before
 * it, in progress at its start and completed at its end by itself (timers in the database, so a
 * restart misses nothing), and, while it runs, its components' services page nobody (a
 * maintenance window). Times are local wall-clock times in an IANA zone.
 */

export const MAINTENANCE_START_TIMER = 'statuspage.maintenance_start';
export const MAINTENANCE_END_TIMER = 'statuspage.maintenance_end';
export const MAINTENANCE_REMIND_TIMER = 'statuspage.maintenance_remind';

/** The longest maintenance the page announces, as maintenance windows allow. */
const MAX_MINUTES = 7 * 24 * 60;

/** Which manual moves make sense from each state. */
const NEXT: Record<MaintenanceStatus, MaintenanceStatus[]> = {
  scheduled: ['in_progress', 'completed'],
  in_progress: ['verifying', 'completed'],
  verifying: ['in_progress', 'completed'],
  completed: [],
};

export const DEFAULT_MAINTENANCE_TEXT = {
  in_progress: 'Scheduled maintenance is currently in progress. We will provide updates as necessary.',
  completed: 'The scheduled maintenance has been completed.',
};

/** Schedules a maintenance (responder and up). */
export async function scheduleMaintenance(ctx: Ctx, input: unknown): Promise<PublicIncidentAdminView> {
  requireRole(ctx, 'responder');
  const data = scheduleMaintenanceInput.parse(input);
  assertComponents(ctx, data.components);
  const config = ctx.config.current;
  const timeZone = data.time_zone ?? config.status_page.time_zone;
  const issues: { path: string; message: string }[] = [];
  if (!isTimeZone(timeZone)) issues.push({ path: 'time_zone', message: 'unknown IANA time zone' });
  const start = parseLocalTime(data.starts_at);
  const end = parseLocalTime(data.ends_at);
  const localFormat = 'must be a local date and time "YYYY-MM-DDTHH:MM" (no offset: time_zone says where)';
  if (!start) issues.push({ path: 'starts_at', message: localFormat });
  if (!end) issues.push({ path: 'ends_at', message: localFormat });
  if (issues.length || !start || !end) throw new DomainError('VALIDATION_FAILED', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  const from = localToInstant(start, timeZone);
  const until = localToInstant(end, timeZone);
  const now = ctx.clock.now();
  if (until <= from) throw new DomainError('VALIDATION_FAILED', 'ends_at: must be after starts_at', { issues: [{ path: 'ends_at', message: 'must be after starts_at' }] });
  if (until - from > MAX_MINUTES * 60_000) throw new DomainError('VALIDATION_FAILED', 'ends_at: a maintenance must not be longer than 7 days', { issues: [{ path: 'ends_at', message: 'must be at most 7 days after starts_at' }] });
  if (until <= now) throw new DomainError('VALIDATION_FAILED', 'ends_at: the maintenance is over already', { issues: [{ path: 'ends_at', message: 'must be in the future' }] });
  const services = [...new Set(config.status_page.components.filter((c) => data.components.includes(c.id)).flatMap((c) => c.services))];
  return withTransaction(ctx, async (tx) => {
    const window = data.suppress_alerts && services.length ? await createMaintenanceWindow(tx, { title: data.name, description: data.body.slice(0, 5000), services, time_zone: timeZone, starts_at: data.starts_at, ends_at: data.ends_at }) : null;
    const row: StatusIncidentRow = {
      id: newPublicId(),
      kind: 'maintenance',
      incident_id: null,
      name: data.name,
      status: 'scheduled',
      impact: 'maintenance',
      impact_override: null,
      components: JSON.stringify(Object.fromEntries(data.components.map((id) => [id, 'under_maintenance']))),
      created_at: now,
      updated_at: now,
      started_at: from,
      monitoring_at: null,
      resolved_at: null,
      scheduled_for: from,
      scheduled_until: until,
      time_zone: timeZone,
      auto_transition: data.auto_transition ? 1 : 0,
      reminded_at: null,
      maintenance_window_id: window?.id ?? null,
      postmortem_body: null,
      postmortem_published_at: null,
      source: 'manual',
      created_by: tx.actor.name,
    };
    await q(tx).insertInto('status_incidents').values(row).execute();
    await applyUpdate(tx, row, { status: 'scheduled', body: data.body, deliver: data.deliver_notifications }, 'created');
    if (data.auto_transition) {
      await setTimer(tx, MAINTENANCE_START_TIMER, row.id, from);
      await setTimer(tx, MAINTENANCE_END_TIMER, row.id, until);
    }
    const remindAt = from - config.status_page.maintenance_reminder;
    if (data.remind && remindAt > now) await setTimer(tx, MAINTENANCE_REMIND_TIMER, row.id, remindAt);
    return getPublicIncidentView(tx, row.id);
  });
}

/** Moves a maintenance by hand (responder and up): start early, verify, complete or cancel. */
export async function updateMaintenance(ctx: Ctx, id: string, input: unknown): Promise<PublicIncidentAdminView> {
  requireRole(ctx, 'responder');
  const data = maintenanceUpdateInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const row = await findPublicIncident(tx, id, 'maintenance');
    const from = row.status as MaintenanceStatus;
    if (from !== data.status && !NEXT[from].includes(data.status)) {
      throw new DomainError('INVALID_TRANSITION', `cannot move a maintenance from ${from} to ${data.status}; allowed: ${NEXT[from].join(', ') || 'none (completed is final)'}`, { from, to: data.status, allowed: NEXT[from] });
    }
    await moveMaintenance(tx, row, data.status, data.body, data.deliver_notifications);
    return getPublicIncidentView(tx, row.id);
  });
}

/** One move, by hand or by timer: the update, and on completion early the end of alert suppression. */
async function moveMaintenance(tx: Ctx, row: StatusIncidentRow, to: MaintenanceStatus, body: string, deliver: boolean): Promise<void> {
  await applyUpdate(tx, row, { status: to, body, deliver }, 'updated');
  // Its timers stay: each finds the new state and does nothing. Deleting them here would lock
  // their rows after this maintenance's, the opposite order to the timer loop's.
  if (to !== 'completed') return;
  // Finished early (or cancelled before it began): the services page again from now on.
  if (row.maintenance_window_id && tx.clock.now() < Number(row.scheduled_until)) await cancelMaintenanceWindow(tx, row.maintenance_window_id);
}

/** The timers: start, end and remind, each re-checking the maintenance's state first. */
export const maintenanceTimerHandlers: Record<string, TimerHandler> = {
  [MAINTENANCE_START_TIMER]: async (tx, timer) => {
    const row = await findPublicIncident(tx, timer.subject_id, 'maintenance').catch(notFoundAsNull);
    if (row?.status === 'scheduled' && row.auto_transition === 1) await moveMaintenance(automation(tx), row, 'in_progress', DEFAULT_MAINTENANCE_TEXT.in_progress, true);
  },
  [MAINTENANCE_END_TIMER]: async (tx, timer) => {
    const row = await findPublicIncident(tx, timer.subject_id, 'maintenance').catch(notFoundAsNull);
    if (row && row.status !== 'completed' && row.auto_transition === 1) await moveMaintenance(automation(tx), row, 'completed', DEFAULT_MAINTENANCE_TEXT.completed, true);
  },
  [MAINTENANCE_REMIND_TIMER]: async (tx, timer) => {
    const row = await findPublicIncident(tx, timer.subject_id, 'maintenance').catch(notFoundAsNull);
    if (row?.status !== 'scheduled' || row.reminded_at !== null) return;
    await q(tx).updateTable('status_incidents').set({ reminded_at: tx.clock.now() }).where('id', '=', row.id).execute();
    await notifyIncidentSubscribers(tx, row.id, 'reminder');
  },
};

/** A maintenance deleted since its timer was set is nothing to do; any other error is retried. */
function notFoundAsNull(e: unknown): null {
  if (e instanceof DomainError && e.code === 'NOT_FOUND') return null;
  throw e;
}

const automation = (tx: Ctx): Ctx => ({ ...tx, actor: { ...tx.actor, name: 'status page automation' } });
