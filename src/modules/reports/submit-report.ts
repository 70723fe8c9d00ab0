import { lockName } from '../../db/dialect.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import type { Severity } from '../../config/defaults.ts';
import type { ServiceConfig } from '../../config/schema.ts';
import { DomainError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Actor, type Ctx } from '../context.ts';
import { createIncident, findIncidentState, findOpenIncidentOnService, findRecentlyResolvedOnService, recordChange, transitionIncident } from '../incidents/index.ts';
import { formatDuration } from '../../lib/duration.ts';
import {
  findOpenGroup,
  groupReports,
  insertGroup,
  insertReport,
  linkGroupReports,
  updateGroup,
  type ReportGroupRow,
} from './repository.ts';
import { submitReportInput, type SubmitReportInput, type SubmitReportResult } from './schemas.ts';

/** Who opens and updates incidents on behalf of reporters: automation, not the reporter. */
export const REPORTS_ACTOR: Actor = { type: 'integration', userId: null, name: 'user reports', role: 'responder' };
/** How many descriptions an incident's description and timeline entry quote. */
const QUOTED = 5;

export interface SubmitOptions {
  /** Through the public form: nobody signed in, whatever credentials came along. */
  anonymous?: boolean;
  /** The client address, kept for rate limiting and audit; never shown. */
  address?: string | null;
}

/**
 * Validates a report: VALIDATION_FAILED for bad fields, UNKNOWN_SERVICE for a service that is not
 * configured. Cheap and store-free, so the HTTP layer can run it before counting a rate limit hit.
 */
export function parseReport(ctx: Pick<Ctx, 'config'>, input: unknown): { data: SubmitReportInput; service: ServiceConfig } {
  const data = submitReportInput.parse(input);
  const services = ctx.config.current.services;
  const service = services.find((s) => s.id === data.service);
  if (!service) throw new DomainError('UNKNOWN_SERVICE', `unknown service: ${data.service}`, { unknown: [data.service], known: services.map((s) => s.id) });
  return { data, service };
}

/**
 * Stores a user report and groups it with recent reports about the same service, in one
 * transaction. When a group reaches the threshold it joins the incident open on the service or
 * opens one (source user_report); later reports in the group are noted on that incident.
 */
export async function submitReport(ctx: Ctx, input: unknown, opts: SubmitOptions = {}): Promise<SubmitReportResult> {
  const settings = ctx.config.current.reports;
  if (opts.anonymous) {
    if (!settings.anonymous.enabled) throw new DomainError('NOT_FOUND', 'anonymous reports are not enabled');
  } else {
    requireRole(ctx, 'viewer');
  }
  const { data, service } = parseReport(ctx, input);
  const now = ctx.clock.now();
  const reporterUserId = opts.anonymous ? null : ctx.actor.userId;

  return withTransaction(ctx, async (tx) => {
    // One report at a time per service, and the same lock as alerts on the service, so neither two
    // reports nor a report and an alert can open two incidents.
    await lockName(q(tx), tx.db.dialect, `signals:service:${service.id}`);
    let group = await findOpenGroup(tx, service.id);
    if (group && !(await stillOpen(tx, group, now, settings.window))) {
      await updateGroup(tx, group.id, { closed_at: now });
      group = undefined;
    }
    if (!group) {
      group = { id: newId('rgp', now), service_id: service.id, opened_at: now, last_report_at: now, report_count: 0, incident_id: null, closed_at: null };
      await insertGroup(tx, group);
    }
    group = { ...group, report_count: group.report_count + 1, last_report_at: now };
    await updateGroup(tx, group.id, { report_count: group.report_count, last_report_at: now });

    const id = newId('rep', now);
    await insertReport(tx, {
      id,
      service_id: service.id,
      description: data.description,
      contact: data.contact ?? null,
      reporter_user_id: reporterUserId,
      reporter_address: opts.address ?? null,
      received_at: now,
      group_id: group.id,
      incident_id: group.incident_id,
    });
    await writeAudit(tx, { action: 'report.submitted', entityType: 'user_report', entityId: id, data: { service: service.id, group_id: group.id, anonymous: opts.anonymous === true } });

    const automation: Ctx = { ...tx, actor: REPORTS_ACTOR };
    let incident: { id: string; number: number } | undefined;
    if (group.incident_id) {
      incident = await findIncidentState(tx, group.incident_id);
      if (incident) {
        await recordChange(automation, incident, {
          kind: 'user_report',
          body: `User report about ${service.name}: ${cut(data.description, 500)}`,
          data: { report_id: id, group_id: group.id, report_count: group.report_count },
        });
      }
    } else if (group.report_count >= settings.threshold) {
      incident = await escalateGroup(automation, group, service, settings.severity);
    }
    return { id, group: { report_count: group.report_count, threshold: settings.threshold }, incident: incident ? `INC-${incident.number}` : null };
  });
}

/** A group takes more reports while its last one is inside the window and its incident (if any) is open. */
async function stillOpen(tx: Ctx, group: ReportGroupRow, now: number, window: number): Promise<boolean> {
  if (now - group.last_report_at > window) return false;
  if (!group.incident_id) return true;
  const incident = await findIncidentState(tx, group.incident_id);
  return incident !== undefined && incident.state !== 'resolved' && incident.state !== 'closed';
}

/** The group reached the threshold: it joins the incident open on the service, or opens one. */
async function escalateGroup(tx: Ctx, group: ReportGroupRow, service: ServiceConfig, severity: Severity) {
  const reports = await groupReports(tx, group.id);
  let joined: { id: string; number: number } | undefined = await findOpenIncidentOnService(tx, service.id);
  const window = tx.config.current.resolution.reopen_window;
  const recent = !joined && window > 0 ? await findRecentlyResolvedOnService(tx, service.id, tx.clock.now() - window) : undefined;
  if (recent) {
    // Users still see the problem right after the fix: the incident reopens instead of a new one.
    await transitionIncident(tx, recent.id, 'reopen', { note: `user reports about ${service.name} arrived ${formatDuration(tx.clock.now() - recent.resolved_at)} after it was resolved: the fix did not hold` });
    await recordChange(tx, recent, { kind: 'renotify', body: 'Reopened by user reports: responders are notified again', data: { group_id: group.id, reopened: true } });
    joined = recent;
  }
  const incident =
    joined ??
    (await createIncident(tx, {
      title: cut(`${reports.length} user reports about ${service.name}`, 200),
      description: describe(reports, service),
      severity,
      services: [service.id],
      source: 'user_report',
      detected_at: isoTime(group.opened_at),
    }, { fingerprint: `user_reports/${service.id}` }));
  await updateGroup(tx, group.id, { incident_id: incident.id });
  await linkGroupReports(tx, group.id, incident.id);
  const quoted = reports.slice(0, QUOTED).map((r) => cut(r.description, 200));
  await recordChange(tx, incident, {
    kind: 'user_reports',
    body: `${reports.length} user reports about ${service.name}${joined ? ' joined this incident' : ''}:\n${quoted.map((d) => `- ${d}`).join('\n')}${reports.length > QUOTED ? `\n(and ${reports.length - QUOTED} more)` : ''}`,
    data: { group_id: group.id, report_count: reports.length, report_ids: reports.map((r) => r.id), descriptions: quoted },
  });
  return incident;
}

function describe(reports: { id: string; description: string; received_at: number }[], service: ServiceConfig): string {
  const lines = reports.slice(0, 20).map((r) => `- ${isoTime(r.received_at)} (${r.id}): ${cut(r.description, 500)}`);
  const more = reports.length > 20 ? `\n(and ${reports.length - 20} more)` : '';
  return `Opened by ${reports.length} user reports about ${service.name}:\n${lines.join('\n')}${more}`;
}

/** At most `max` UTF-16 units, ending in "…" when shortened, never splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (/[\ud800-\udbff]/.test(text[end - 1])) end--;
  return `${text.slice(0, end)}…`;
}
