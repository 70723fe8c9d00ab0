import { sql, type Selectable } from 'kysely';
import { forUpdate, nextCounterValue } from '../../db/dialect.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import { fixedInsert } from '../../db/fixed-insert.ts';
import type { IncidentsTable } from '../../db/schema.ts';
import { DRILL_FAILED_FINGERPRINT } from '../../config/drill-schema.ts';
import { notFound } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { auditRow, writeAudit, writeAuditRows } from '../audit/index.ts';
import { isHuman, type Ctx } from '../context.ts';
import { emitEvent, emitEventRows, outboxRow } from '../events/index.ts';
import type { IncidentView, TimelineEntryView } from './schemas.ts';
import { allowedVerbs, type IncidentState } from './state-machine.ts';

export type IncidentRow = Selectable<IncidentsTable>;
type Db = Pick<Ctx, 'db' | 'trx'>;

const iso = (t: number | null) => (t === null ? null : isoTime(t));
/** Large IN lists are chunked so neither engine hits its parameter limit. */
const CHUNK = 500;

/**
 * Accepts "INC-42", "42" or an incident id. Verbs that check the row before writing pass
 * `forUpdate`, so a concurrent verb on the same incident waits and then sees the new row.
 */
export async function findIncidentRow(ctx: Db, ref: string, opts: { forUpdate?: boolean } = {}): Promise<IncidentRow> {
  const m = /^(?:INC-)?(\d{1,15})$/i.exec(ref);
  const select = q(ctx).selectFrom('incidents').selectAll();
  const query = opts.forUpdate ? forUpdate(select, ctx.db.dialect) : select;
  const row = await (m ? query.where('number', '=', Number(m[1])) : query.where('id', '=', ref)).executeTakeFirst();
  if (!row) throw notFound('incident', ref);
  return row;
}

export const nextIncidentNumber = (ctx: Db): Promise<number> => nextCounterValue(q(ctx), ctx.db.dialect, 'incident_number');

/** Loads services and roles for many incidents at once and builds their views. */
export async function toViews(ctx: Db, rows: IncidentRow[]): Promise<IncidentView[]> {
  if (rows.length === 0) return [];
  const services = new Map<string, string[]>();
  const roles = new Map<string, { role: string; handle: string }[]>();
  for (let i = 0; i < rows.length; i += CHUNK) {
    const ids = rows.slice(i, i + CHUNK).map((r) => r.id);
    const [svc, rl] = await Promise.all([
      q(ctx).selectFrom('incident_services').select(['incident_id', 'service_id']).where('incident_id', 'in', ids).orderBy('added_at').orderBy('service_id').execute(),
      q(ctx)
        .selectFrom('incident_roles')
        .innerJoin('users', 'users.id', 'incident_roles.user_id')
        .select(['incident_roles.incident_id', 'incident_roles.role', 'users.handle'])
        .where('incident_roles.incident_id', 'in', ids)
        .orderBy('incident_roles.assigned_at')
        // Same-millisecond assignments would otherwise come back in whatever order the engine likes.
        .orderBy('users.handle')
        .execute(),
    ]);
    for (const s of svc) (services.get(s.incident_id) ?? services.set(s.incident_id, []).get(s.incident_id)!).push(s.service_id);
    for (const r of rl) (roles.get(r.incident_id) ?? roles.set(r.incident_id, []).get(r.incident_id)!).push(r);
  }
  return rows.map((row) => toView(row, services.get(row.id) ?? [], roles.get(row.id) ?? []));
}

export function toView(row: IncidentRow, services: string[], roles: { role: string; handle: string }[]): IncidentView {
  const holder = (role: string) => roles.find((r) => r.role === role)?.handle ?? null;
  const impact = JSON.parse(row.impact);
  return {
    id: row.id,
    number: row.number,
    ref: `INC-${row.number}`,
    title: row.title,
    description: row.description,
    severity: row.severity as IncidentView['severity'],
    severity_source: row.severity_source as IncidentView['severity_source'],
    state: row.state as IncidentState,
    source: row.source as IncidentView['source'],
    services,
    impact: {
      customer_facing: row.customer_facing === 1,
      user_share: row.user_share,
      impacted_services: impact.impacted_services ?? [],
      highest_tier: impact.highest_tier ?? null,
    },
    war_room_url: row.war_room_url,
    roles: {
      commander: holder('commander'),
      communications_lead: holder('communications_lead'),
      scribe: holder('scribe'),
      responders: roles.filter((r) => r.role === 'responder').map((r) => r.handle),
    },
    reopen_count: row.reopen_count,
    created_by: row.created_by,
    detected_at: iso(row.detected_at)!,
    triggered_at: iso(row.triggered_at)!,
    acknowledged_at: iso(row.acknowledged_at),
    resolved_at: iso(row.resolved_at),
    closed_at: iso(row.closed_at),
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    allowed_actions: allowedVerbs(row.state as IncidentState),
  };
}

export async function loadIncidentView(ctx: Db, id: string): Promise<IncidentView> {
  const row = await findIncidentRow(ctx, id);
  return (await toViews(ctx, [row]))[0];
}

export async function loadTimeline(ctx: Db, incidentId: string): Promise<TimelineEntryView[]> {
  const rows = await q(ctx).selectFrom('incident_timeline').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: iso(r.at)!,
    kind: r.kind,
    actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name },
    body: r.body,
    data: JSON.parse(r.data),
  }));
}

export interface Change {
  /** Timeline kind; the domain event is `incident.<kind>` and the audit action the same. */
  kind: string;
  body: string;
  data?: Record<string, unknown>;
}

/** Every change to every incident writes one (a hot path: see fixedInsert). */
const insertTimelineRow = fixedInsert('incident_timeline', ['incident_id', 'at', 'kind', 'actor_type', 'actor_id', 'actor_name', 'body', 'data']);

/**
 * Records one change to an incident: timeline entry, audit row and domain event, in the caller's
 * transaction, and bumps updated_at. Every incident verb goes through here.
 */
export async function recordChange(ctx: Ctx, incident: Pick<IncidentRow, 'id' | 'number'>, change: Change, opts: { touch?: boolean } = {}): Promise<void> {
  if (ctx.deferred) {
    ctx.deferred.changes.push({ ctx, incident: { id: incident.id, number: incident.number }, change, touch: opts.touch !== false });
    return;
  }
  const now = ctx.clock.now();
  const rows = changeRows(ctx, incident, change);
  await insertTimelineRow(ctx, rows.timeline);
  await writeAudit(ctx, rows.audit);
  await emitEvent(ctx, rows.event);
  if (isResponse(ctx, change.kind)) {
    // Resolving counts as responding; anything else only while the incident is still open (a
    // postmortem edit or an action item next week is follow-up, not the response).
    const respondedAt = change.kind === 'resolved' ? sql<number>`coalesce(responded_at, ${now})` : sql<number>`case when responded_at is null and state not in ('resolved', 'closed') then ${now} else responded_at end`;
    await q(ctx).updateTable('incidents').set({ updated_at: now, responded_at: respondedAt }).where('id', '=', incident.id).execute();
  } else if (opts.touch !== false) {
    await q(ctx).updateTable('incidents').set({ updated_at: now }).where('id', '=', incident.id).execute();
  }
}

/** Changes that do not count as responding: declaring, acknowledging (MTTA measures that), being paged. */
const NOT_A_RESPONSE = new Set(['created', 'acknowledged', 'resolution_validation']);

/**
 * Whether a change is a person's response to the incident (time to respond): anything a person
 * does on it past declaring and acknowledging.
 */
const isResponse = (ctx: Ctx, kind: string) => isHuman(ctx.actor) && !NOT_A_RESPONSE.has(kind) && !kind.startsWith('escalation');

/**
 * Records many changes, each as its own actor, as recordChange would one after another, in four
 * statements: the timeline, audit and outbox rows in one multi-row insert each, and one touch of
 * the incidents. For the signal processor, which ends a round with an entry per incident.
 */
export async function recordChanges(tx: Pick<Ctx, 'db' | 'trx'>, changes: { ctx: Ctx; incident: Pick<IncidentRow, 'id' | 'number'>; change: Change }[], opts: { touch?: boolean } = {}): Promise<void> {
  if (!changes.length) return;
  const rows = changes.map(({ ctx, incident, change }) => changeRows(ctx, incident, change));
  await q(tx).insertInto('incident_timeline').values(rows.map((r) => r.timeline)).execute();
  await writeAuditRows(tx, rows.map((r, i) => auditRow(changes[i].ctx, r.audit)));
  await emitEventRows(tx, rows.map((r, i) => outboxRow(changes[i].ctx, r.event)));
  if (opts.touch === false) return;
  const now = changes[0].ctx.clock.now();
  await q(tx).updateTable('incidents').set({ updated_at: now }).where('id', 'in', [...new Set(changes.map((c) => c.incident.id))]).execute();
}

/** What one change writes: its timeline row, audit entry and domain event. */
function changeRows(ctx: Ctx, incident: Pick<IncidentRow, 'id' | 'number'>, change: Change) {
  const data = change.data ?? {};
  const ref = { ref: `INC-${incident.number}`, ...data };
  return {
    timeline: {
      incident_id: incident.id,
      at: ctx.clock.now(),
      kind: change.kind,
      actor_type: ctx.actor.type,
      actor_id: ctx.actor.userId,
      actor_name: ctx.actor.name,
      body: change.body,
      data: JSON.stringify(data),
    },
    audit: { action: `incident.${change.kind}`, entityType: 'incident', entityId: incident.id, data: ref },
    event: { topic: `incident.${change.kind}`, aggregateType: 'incident', aggregateId: incident.id, payload: ref },
  };
}

/** An incident's id, number and state, or undefined: what automation needs to decide. */
export async function findIncidentState(ctx: Db, id: string): Promise<{ id: string; number: number; state: string } | undefined> {
  return q(ctx).selectFrom('incidents').select(['id', 'number', 'state']).where('id', '=', id).executeTakeFirst();
}

/** The newest incident on a service that is not resolved or closed, if any: where new signals join. */
export async function findOpenIncidentOnService(ctx: Db, serviceId: string): Promise<{ id: string; number: number; state: string } | undefined> {
  return q(ctx)
    .selectFrom('incident_services')
    .innerJoin('incidents', 'incidents.id', 'incident_services.incident_id')
    .select(['incidents.id', 'incidents.number', 'incidents.state'])
    .where('incident_services.service_id', '=', serviceId)
    .where('incidents.state', 'not in', ['resolved', 'closed'])
    .orderBy('incident_services.incident_number', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * The newest incident on a service resolved at or after `since` (not closed, not merged away), if
 * any: a new problem this soon after the fix means the fix did not hold, and that incident reopens.
 */
export async function findRecentlyResolvedOnService(
  ctx: Db,
  serviceId: string,
  since: number,
): Promise<{ id: string; number: number; state: string; severity: string; updated_at: number; resolved_at: number } | undefined> {
  const row = await q(ctx)
    .selectFrom('incident_services')
    .innerJoin('incidents', 'incidents.id', 'incident_services.incident_id')
    .select(['incidents.id', 'incidents.number', 'incidents.state', 'incidents.severity', 'incidents.updated_at', 'incidents.resolved_at'])
    .where('incident_services.service_id', '=', serviceId)
    .where('incidents.state', '=', 'resolved')
    .where('incidents.resolved_at', '>=', since)
    .where('incidents.merged_into', 'is', null)
    .orderBy('incidents.resolved_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && { ...row, number: Number(row.number), updated_at: Number(row.updated_at), resolved_at: Number(row.resolved_at) };
}

/** Views of many incidents by id (missing ids are left out): what automation renders messages from. */
export async function loadIncidentViewsById(ctx: Db, ids: string[]): Promise<IncidentView[]> {
  const rows: IncidentRow[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) rows.push(...(await q(ctx).selectFrom('incidents').selectAll().where('id', 'in', ids.slice(i, i + CHUNK)).execute()));
  return toViews(ctx, rows);
}

/**
 * Marks an incident as a drill's (the runbook run of the drill that joined it), with a note saying
 * so; the first drill to claim it keeps it. The KPI reports leave drill incidents out.
 */
export async function markDrillIncident(ctx: Ctx, incident: Pick<IncidentRow, 'id' | 'number'>, runId: string, note: string): Promise<void> {
  await withTransaction(ctx, async (tx) => {
    const marked = await q(tx).updateTable('incidents').set({ drill_run_id: runId }).where('id', '=', incident.id).where('drill_run_id', 'is', null).executeTakeFirst();
    if (Number(marked.numUpdatedRows) > 0) await recordChange(tx, incident, { kind: 'note', body: note, data: { drill_run: runId } });
  });
}

/**
 * Whether an incident is an exercise rather than an outage: a drill's own (`drill_run_id`), or the
 * one Firebreak's alert opened because a drill failed (its fingerprint names the drill). Rules do
 * not start runs on it, and the public page neither shows nor posts it.
 */
export async function incidentExercise(ctx: Pick<Ctx, 'db' | 'trx'>, incidentId: string): Promise<{ drillRunId: string } | { failedDrill: string } | null> {
  const row = await q(ctx).selectFrom('incidents').select(['drill_run_id', 'fingerprint']).where('id', '=', incidentId).executeTakeFirst();
  if (row?.drill_run_id) return { drillRunId: row.drill_run_id };
  if (row?.fingerprint?.startsWith(DRILL_FAILED_FINGERPRINT)) return { failedDrill: row.fingerprint.slice(DRILL_FAILED_FINGERPRINT.length) };
  return null;
}
