import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { z } from 'zod';
import { q } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow, loadTimeline, toViews, type IncidentRow } from './repository.ts';
import { listIncidentsQuery, type ChangeEventView, type IncidentPostmortemSummary, type IncidentView, type TimelineEntryView } from './schemas.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { serviceGraph } from '../services/service-graph.ts';
import { OPEN_STATES, type IncidentState } from './state-machine.ts';

export interface IncidentPage {
  data: IncidentView[];
  /** Opaque; pass as `cursor` for the next page. Null on the last page. */
  next_cursor: string | null;
}

const encodeCursor = (number: number) => Buffer.from(JSON.stringify({ n: number })).toString('base64url');
function decodeCursor(cursor: string): number {
  try {
    const n = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')).n;
    if (Number.isSafeInteger(n) && n > 0) return n;
  } catch {
    // fall through to the error below
  }
  throw new DomainError('VALIDATION_FAILED', 'cursor is not one this server issued', { issues: [{ path: 'cursor', message: 'invalid cursor' }] });
}

/** Newest first, keyset-paginated on the incident number so every page is an index range scan. */
export async function listIncidents(ctx: Ctx, query: z.input<typeof listIncidentsQuery>): Promise<IncidentPage> {
  requireRole(ctx, 'viewer');
  const f = listIncidentsQuery.parse(query);
  const before = f.cursor ? decodeCursor(f.cursor) : null;
  let states = f.state;
  if (f.open !== undefined) {
    const wanted: readonly IncidentState[] = f.open ? OPEN_STATES : ['resolved', 'closed'];
    states = states ? states.filter((s) => wanted.includes(s)) : [...wanted];
    if (states.length === 0) return { data: [], next_cursor: null };
  }
  // The same filters on the incident (aliased i) whichever index the page starts from.
  const filters: RawBuilder<SqlBool>[] = [];
  if (states) filters.push(sql<SqlBool>`i.state in (${sql.join(states)})`);
  if (f.severity) filters.push(sql<SqlBool>`i.severity in (${sql.join(f.severity)})`);
  if (f.since) filters.push(sql<SqlBool>`i.triggered_at >= ${Date.parse(f.since)}`);
  if (f.until) filters.push(sql<SqlBool>`i.triggered_at < ${Date.parse(f.until)}`);
  let rows: IncidentRow[];
  if (f.service) {
    // Start from the service's index so a rare service does not scan every incident.
    let sq = q(ctx)
      .selectFrom('incident_services as s')
      .innerJoin('incidents as i', 'i.id', 's.incident_id')
      .selectAll('i')
      .where('s.service_id', '=', f.service)
      .where((eb) => eb.and(filters));
    if (before !== null) sq = sq.where('s.incident_number', '<', before);
    rows = await sq.orderBy('s.incident_number', 'desc').limit(f.limit + 1).execute();
  } else {
    let iq = q(ctx).selectFrom('incidents as i').selectAll('i').where((eb) => eb.and(filters));
    if (before !== null) iq = iq.where('i.number', '<', before);
    rows = await iq.orderBy('i.number', 'desc').limit(f.limit + 1).execute();
  }
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  return { data: await toViews(ctx, page), next_cursor: more ? encodeCursor(page.at(-1)!.number) : null };
}

/** Just the timeline, oldest first: for readers that do not need the rest of the incident. */
export async function getIncidentTimeline(ctx: Ctx, ref: string): Promise<TimelineEntryView[]> {
  requireRole(ctx, 'viewer');
  const row = await findIncidentRow(ctx, ref);
  return loadTimeline(ctx, row.id);
}

/** How far before an incident's trigger its "what changed just before" list reaches. */
export const CHANGE_LOOKBACK_MS = 2 * 3_600_000;

export async function getIncident(ctx: Ctx, ref: string): Promise<IncidentView & { timeline: TimelineEntryView[]; recent_changes: ChangeEventView[]; postmortem: IncidentPostmortemSummary | null }> {
  requireRole(ctx, 'viewer');
  const row = await findIncidentRow(ctx, ref);
  const [view] = await toViews(ctx, [row]);
  return { ...view, timeline: await loadTimeline(ctx, row.id), recent_changes: await recentChanges(ctx, row, view.services), postmortem: await postmortemSummary(ctx, row.id) };
}

/** Whether the incident has a postmortem, and where it stands (the detail links to it; none is null, not an error). */
async function postmortemSummary(ctx: Ctx, incidentId: string): Promise<IncidentPostmortemSummary | null> {
  const pm = await q(ctx).selectFrom('postmortems').select(['id', 'status', 'due_at']).where('incident_id', '=', incidentId).executeTakeFirst();
  return pm ? { id: pm.id, status: pm.status, due_at: isoTime(Number(pm.due_at)) } : null;
}

/**
 * Changes on the incident's services and everything they depend on, from two hours before it was
 * triggered until it was resolved (or now): the first question in any incident is "what changed?".
 */
async function recentChanges(ctx: Ctx, row: IncidentRow, services: string[]): Promise<ChangeEventView[]> {
  const graph = serviceGraph(ctx.config.current);
  const scope = new Set(services);
  for (const s of services) for (const d of graph.dependencies.get(s) ?? []) scope.add(d);
  if (scope.size === 0) return [];
  const rows = await q(ctx)
    .selectFrom('change_events')
    .select(['id', 'service_id', 'happened_at', 'summary', 'source', 'integration_id'])
    .where('service_id', 'in', [...scope])
    .where('happened_at', '>=', row.triggered_at - CHANGE_LOOKBACK_MS)
    .where('happened_at', '<=', row.resolved_at ?? ctx.clock.now())
    .orderBy('happened_at', 'desc')
    .limit(50)
    .execute();
  return rows.map((r) => ({ id: Number(r.id), service: r.service_id, happened_at: isoTime(r.happened_at), summary: r.summary, source: r.source, integration: r.integration_id }));
}
