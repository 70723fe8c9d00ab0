import type { Selectable } from 'kysely';
import type { StatusIncidentsTable } from '../../db/schema.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { emitEvent } from '../events/index.ts';
import { findIncidentRow, recordChange } from '../incidents/index.ts';
import { loadUpdates } from './build-snapshot.ts';
import { syncComponentStatuses } from './component-status.ts';
import { createPublicIncidentInput, listPublicIncidentsQuery, postmortemInput, publicUpdateInput, type PublicIncidentAdminView } from './schemas.ts';
import { notifyComponentSubscribers, notifyIncidentSubscribers } from './subscriber-notify.ts';
import { impactOfStatus, PHASE_LABELS, STATUS_LABELS, worstImpact, type ComponentStatus, type Impact } from './vocabulary.ts';

export type StatusIncidentRow = Selectable<StatusIncidentsTable>;

/**
 * An opaque public id of lower-case letters and digits (Statuspage's ids look alike). Time-ordered
 * (a ULID), so two updates posted in the same millisecond still list in the order they were made.
 */
export function newPublicId(now?: number): string {
  return newId('x', now).slice(2).toLowerCase();
}

/** What one public update says. */
export interface UpdateSpec {
  status: string;
  body: string;
  /** Components to set (added to the incident's list); undefined leaves them as they are. */
  components?: Record<string, ComponentStatus>;
  name?: string;
  impact?: Impact;
  deliver: boolean;
  /** When it shows (default now). */
  displayAt?: number;
}

/**
 * Posts a public incident written by a responder (responder and up), optionally linked to an
 * internal incident. Components must be on the page; the internal incident stays private.
 */
export async function createPublicIncident(ctx: Ctx, input: unknown, opts: { source?: 'auto' | 'manual' } = {}): Promise<PublicIncidentAdminView> {
  requireRole(ctx, 'responder');
  const data = createPublicIncidentInput.parse(input);
  assertComponents(ctx, Object.keys(data.components));
  return withTransaction(ctx, async (tx) => {
    const internal = data.incident === undefined ? null : await findIncidentRow(tx, data.incident, { forUpdate: true });
    const row = await insertPublicIncident(tx, {
      name: data.name,
      incidentId: internal?.id ?? null,
      startedAt: internal ? Number(internal.detected_at) : tx.clock.now(),
      impactOverride: data.impact ?? null,
      source: opts.source ?? 'manual',
    });
    await applyUpdate(tx, row, { status: data.status, body: data.body, components: data.components, deliver: data.deliver_notifications }, 'created');
    return getPublicIncidentView(tx, row.id);
  });
}

/** Inserts the incident row (no update yet) and links it to its internal incident. */
export async function insertPublicIncident(tx: Ctx, spec: { name: string; incidentId: string | null; startedAt: number; impactOverride: Impact | null; source: 'auto' | 'manual'; impact?: Impact }): Promise<StatusIncidentRow> {
  const now = tx.clock.now();
  const row: StatusIncidentRow = {
    id: newPublicId(now),
    kind: 'incident',
    incident_id: spec.incidentId,
    name: spec.name,
    status: 'investigating',
    impact: spec.impactOverride ?? spec.impact ?? 'none',
    impact_override: spec.impactOverride,
    components: '{}',
    created_at: now,
    updated_at: now,
    started_at: Math.min(spec.startedAt, now),
    monitoring_at: null,
    resolved_at: null,
    scheduled_for: null,
    scheduled_until: null,
    time_zone: null,
    auto_transition: 0,
    reminded_at: null,
    maintenance_window_id: null,
    postmortem_body: null,
    postmortem_published_at: null,
    source: spec.source,
    created_by: tx.actor.name,
  };
  await q(tx).insertInto('status_incidents').values(row).execute();
  if (spec.incidentId) {
    // Callers hold the internal incident's row lock, so this check and the link cannot interleave.
    const linked = await q(tx).selectFrom('incident_publications').select('status_incident_id').where('incident_id', '=', spec.incidentId).executeTakeFirst();
    if (linked?.status_incident_id) {
      throw new DomainError('CONFLICT', `the incident already has a public incident (${linked.status_incident_id}): post an update to it instead`, { public_incident: linked.status_incident_id });
    }
    await q(tx)
      .insertInto('incident_publications')
      .values({ incident_id: spec.incidentId, opted_out_at: null, opted_out_by: null, opted_out_reason: null, status_incident_id: row.id, first_posted_at: null, detected_at: spec.startedAt, updated_at: now })
      .onConflict((oc) => oc.column('incident_id').doUpdateSet({ status_incident_id: row.id, updated_at: now }))
      .execute();
  }
  return row;
}

/** Posts an update to a public incident (responder and up): a new phase, text, components. */
export async function postPublicUpdate(ctx: Ctx, id: string, input: unknown): Promise<PublicIncidentAdminView> {
  requireRole(ctx, 'responder');
  const data = publicUpdateInput.parse(input);
  if (data.components) assertComponents(ctx, Object.keys(data.components));
  return withTransaction(ctx, async (tx) => {
    const row = await findPublicIncident(tx, id, 'incident');
    if (row.status === 'postmortem') throw new DomainError('INVALID_TRANSITION', 'the incident has its postmortem: it is closed for updates', { status: row.status });
    await applyUpdate(tx, row, { status: data.status, body: data.body, components: data.components, name: data.name, impact: data.impact, deliver: data.deliver_notifications }, 'updated');
    return getPublicIncidentView(tx, row.id);
  });
}

/** Attaches a published postmortem to a resolved public incident (status `postmortem`). */
export async function publishPostmortem(ctx: Ctx, id: string, input: unknown): Promise<PublicIncidentAdminView> {
  requireRole(ctx, 'responder');
  const data = postmortemInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const row = await findPublicIncident(tx, id, 'incident');
    if (row.status !== 'resolved' && row.status !== 'postmortem') throw new DomainError('INVALID_TRANSITION', `a postmortem is attached to a resolved incident; this one is ${row.status}`, { status: row.status });
    const now = tx.clock.now();
    await q(tx).updateTable('status_incidents').set({ postmortem_body: data.body, postmortem_published_at: now }).where('id', '=', row.id).execute();
    await applyUpdate(tx, { ...row, postmortem_body: data.body, postmortem_published_at: now }, { status: 'postmortem', body: 'A postmortem of this incident has been published.', deliver: data.deliver_notifications }, 'updated');
    return getPublicIncidentView(tx, row.id);
  });
}

/**
 * Writes one update in the caller's transaction: the update row with the components it changes,
 * the incident's new phase, times and impact, component statuses re-derived (webhook subscribers
 * told what changed), subscribers told about the update, the internal incident's timeline, audit
 * and an event (which also tells every node's page cache).
 */
export async function applyUpdate(tx: Ctx, row: StatusIncidentRow, spec: UpdateSpec, event: 'created' | 'updated' | 'reminder'): Promise<void> {
  const now = tx.clock.now();
  const config = tx.config.current.status_page;
  const declared = JSON.parse(row.components) as Record<string, ComponentStatus>;
  const readStatuses = async () => new Map((await q(tx).selectFrom('status_components').select(['id', 'status']).execute()).map((r) => [r.id, r.status as ComponentStatus]));
  const before = await readStatuses();
  const closing = spec.status === 'resolved' || spec.status === 'postmortem' || spec.status === 'completed';
  const merged: Record<string, ComponentStatus> = { ...declared, ...(spec.components ?? {}) };
  // A resolved incident declares nothing any more (its components go back to what the rest says),
  // and reopening it later brings nothing back silently: it keeps the ids, at operational.
  const next = closing && row.kind === 'incident' ? Object.fromEntries(Object.keys(merged).map((id) => [id, 'operational' as ComponentStatus])) : merged;
  const impact: string =
    row.kind === 'maintenance' ? 'maintenance' : (spec.impact ?? row.impact_override ?? worstImpact([row.impact as Impact, ...Object.values(spec.components ?? {}).map(impactOfStatus)]));
  await q(tx)
    .updateTable('status_incidents')
    .set({
      status: spec.status,
      name: spec.name ?? row.name,
      impact,
      impact_override: spec.impact ?? row.impact_override,
      components: JSON.stringify(next),
      updated_at: now,
      monitoring_at: spec.status === 'monitoring' ? (row.monitoring_at ?? now) : row.monitoring_at,
      resolved_at: closing ? (row.resolved_at ?? now) : null,
    })
    .where('id', '=', row.id)
    .execute();
  const changes = await syncComponentStatuses(tx);
  if (changes.length) await notifyComponentSubscribers(tx, changes);
  // What the update says about its components is what they show now that it is written (another
  // incident or an override may keep one down after this one resolves).
  const after = await readStatuses();
  const touched = closing ? Object.keys(next) : Object.keys(spec.components ?? {});
  const names = new Map(config.components.map((c) => [c.id, c.group ? `${config.groups.find((g) => g.id === c.group)?.name ?? c.group} - ${c.name}` : c.name]));
  const affected = touched.map((code) => ({ code, name: names.get(code) ?? code, old_status: before.get(code) ?? 'operational', new_status: after.get(code) ?? 'operational' }));
  await q(tx)
    .insertInto('status_incident_updates')
    .values({
      id: newPublicId(now),
      status_incident_id: row.id,
      status: spec.status,
      body: spec.body,
      created_at: now,
      display_at: spec.displayAt ?? now,
      affected_components: affected.length ? JSON.stringify(affected) : null,
      deliver_notifications: spec.deliver ? 1 : 0,
      created_by: tx.actor.name,
    })
    .execute();
  if (spec.deliver) await notifyIncidentSubscribers(tx, row.id, event);
  const what = row.kind === 'maintenance' ? 'maintenance' : 'incident';
  await writeAudit(tx, { action: `status_page.${what}_${event === 'created' ? 'created' : 'updated'}`, entityType: 'status_incident', entityId: row.id, data: { status: spec.status, name: spec.name ?? row.name } });
  await emitEvent(tx, { topic: `status_${what}.${event === 'created' ? 'created' : 'updated'}`, aggregateType: 'status_incident', aggregateId: row.id, payload: { id: row.id, status: spec.status } });
  if (row.incident_id) {
    const internal = await q(tx).selectFrom('incidents').select(['id', 'number', 'detected_at']).where('id', '=', row.incident_id).executeTakeFirst();
    if (internal) {
      const first = await q(tx).updateTable('incident_publications').set({ first_posted_at: now, updated_at: now }).where('incident_id', '=', internal.id).where('first_posted_at', 'is', null).executeTakeFirst();
      const isFirst = first.numUpdatedRows > 0n;
      // Kept on the incident too, where the KPI queries read it.
      if (isFirst) await q(tx).updateTable('incidents').set({ status_posted_at: now }).where('id', '=', internal.id).where('status_posted_at', 'is', null).execute();
      const label = PHASE_LABELS[spec.status as keyof typeof PHASE_LABELS] ?? spec.status;
      const statuses = affected.map((a) => `${a.name}: ${STATUS_LABELS[a.new_status]}`).join(', ');
      await recordChange(
        tx,
        { id: internal.id, number: Number(internal.number) },
        {
          kind: 'status_page',
          body: `Status page: ${label} — ${spec.body}${statuses ? ` (${statuses})` : ''}${isFirst ? ` [first public post ${Math.round((now - Number(internal.detected_at)) / 1000)} s after detection]` : ''}`,
          data: { public_incident: row.id, status: spec.status, first_post: isFirst, ...(isFirst ? { seconds_since_detection: Math.round((now - Number(internal.detected_at)) / 1000) } : {}) },
        },
        { touch: false },
      );
    }
  }
}

export async function listPublicIncidents(ctx: Ctx, input: unknown): Promise<{ data: PublicIncidentAdminView[] }> {
  requireRole(ctx, 'viewer');
  const { kind, status, limit } = listPublicIncidentsQuery.parse(input ?? {});
  let query = q(ctx).selectFrom('status_incidents').selectAll().where('kind', '=', kind);
  if (status) query = query.where('status', '=', status);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return { data: await adminViews(ctx, rows) };
}

export async function getPublicIncident(ctx: Ctx, id: string): Promise<PublicIncidentAdminView> {
  requireRole(ctx, 'viewer');
  return getPublicIncidentView(ctx, id);
}

export async function getPublicIncidentView(ctx: Ctx, id: string): Promise<PublicIncidentAdminView> {
  const row = await q(ctx).selectFrom('status_incidents').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('status page incident', id);
  return (await adminViews(ctx, [row]))[0];
}

export async function findPublicIncident(ctx: Ctx, id: string, kind: 'incident' | 'maintenance'): Promise<StatusIncidentRow> {
  let select = q(ctx).selectFrom('status_incidents').selectAll().where('id', '=', id).where('kind', '=', kind);
  if (ctx.db.dialect.name === 'postgres') select = select.forUpdate();
  const row = await select.executeTakeFirst();
  if (!row) throw notFound(kind === 'incident' ? 'status page incident' : 'maintenance', id);
  return row;
}

/** Refuses component ids that are not on the page (naming them: they are ids the caller sent). */
export function assertComponents(ctx: Ctx, ids: string[]): void {
  const known = new Set(ctx.config.current.status_page.components.map((c) => c.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length) throw new DomainError('VALIDATION_FAILED', `unknown status page components: ${unknown.map((u) => JSON.stringify(u.slice(0, 63))).join(', ')}`, { issues: unknown.map((u) => ({ path: `components.${u.slice(0, 63)}`, message: 'not a component of the status page' })) });
}

async function adminViews(ctx: Ctx, rows: StatusIncidentRow[]): Promise<PublicIncidentAdminView[]> {
  const updates = await loadUpdates(ctx, rows.map((r) => r.id));
  const internalIds = [...new Set(rows.map((r) => r.incident_id).filter((id): id is string => id !== null))];
  const numbers = new Map(internalIds.length ? (await q(ctx).selectFrom('incidents').select(['id', 'number']).where('id', 'in', internalIds).execute()).map((r) => [r.id, Number(r.number)]) : []);
  const url = ctx.config.current.status_page.url;
  const n = (v: number | null) => (v === null ? null : isoTime(Number(v)));
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind as 'incident' | 'maintenance',
    name: r.name,
    status: r.status,
    impact: r.impact,
    impact_override: r.impact_override,
    components: JSON.parse(r.components) as Record<string, string>,
    incident: r.incident_id ? { id: r.incident_id, ref: `INC-${numbers.get(r.incident_id) ?? '?'}` } : null,
    source: r.source as 'auto' | 'manual',
    created_by: r.created_by,
    created_at: isoTime(Number(r.created_at)),
    updated_at: isoTime(Number(r.updated_at)),
    started_at: isoTime(Number(r.started_at)),
    monitoring_at: n(r.monitoring_at),
    resolved_at: n(r.resolved_at),
    scheduled_for: n(r.scheduled_for),
    scheduled_until: n(r.scheduled_until),
    time_zone: r.time_zone,
    auto_transition: r.auto_transition === 1,
    maintenance_window_id: r.maintenance_window_id,
    postmortem: r.postmortem_body !== null && r.postmortem_published_at !== null ? { body: r.postmortem_body, published_at: isoTime(Number(r.postmortem_published_at)) } : null,
    url: `${url}/incidents/${r.id}`,
    updates: (updates.get(r.id) ?? []).map((u) => ({
      id: u.id,
      status: u.status,
      body: u.body,
      created_at: isoTime(Number(u.created_at)),
      display_at: isoTime(Number(u.display_at)),
      affected_components: u.affected_components === null ? null : JSON.parse(u.affected_components),
      deliver_notifications: u.deliver_notifications === 1,
      created_by: u.created_by,
    })),
  }));
}
