import type { Selectable } from 'kysely';
import type { StatusIncidentsTable, StatusIncidentUpdatesTable } from '../../db/schema.ts';
import { q } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';
import type { PageSnapshot, PublicIncident, PublicUpdate, SnapshotComponent, UptimeDay } from './snapshot-types.ts';
import { ACTIVE_MAINTENANCE, pageIndicator, UNRESOLVED_STATUSES, worstStatus, type ComponentStatus, type Impact } from './vocabulary.ts';

/** Statuspage's "50 most recent". */
export const RECENT_LIMIT = 50;

type IncidentRow = Selectable<StatusIncidentsTable>;
type UpdateRow = Selectable<StatusIncidentUpdatesTable>;

/**
 * Reads everything the public sees (see PageSnapshot) in a few indexed queries. Component rows
 * come from the stored statuses (syncComponentStatuses keeps them current); components declared
 * in the config but not synced yet read as operational. `uptime` is passed in: it changes slowly
 * and is cached on its own.
 */
export async function buildSnapshot(ctx: Ctx, uptime: Record<string, UptimeDay[]>): Promise<PageSnapshot> {
  const config = ctx.config.current;
  const page = config.status_page;
  const now = ctx.clock.now();
  const stored = new Map((await q(ctx).selectFrom('status_components').select(['id', 'status', 'created_at', 'updated_at']).execute()).map((r) => [r.id, r]));
  const components = snapshotComponents(page, stored, now);

  const incidents = await q(ctx).selectFrom('status_incidents').selectAll().where('kind', '=', 'incident').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(RECENT_LIMIT).execute();
  // An unresolved incident older than the 50 most recent still shows (rare: 50 newer ones all resolved).
  const unresolvedOld = await q(ctx)
    .selectFrom('status_incidents')
    .selectAll()
    .where('kind', '=', 'incident')
    .where('status', 'in', UNRESOLVED_STATUSES)
    .where('id', 'not in', incidents.length ? incidents.map((i) => i.id) : [''])
    .execute();
  const maintenances = await q(ctx).selectFrom('status_incidents').selectAll().where('kind', '=', 'maintenance').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(RECENT_LIMIT).execute();
  const openMaintenances = await q(ctx)
    .selectFrom('status_incidents')
    .selectAll()
    .where('kind', '=', 'maintenance')
    .where('status', 'in', ['scheduled', ...ACTIVE_MAINTENANCE])
    .where('id', 'not in', maintenances.length ? maintenances.map((i) => i.id) : [''])
    .execute();
  const rows = [...incidents, ...unresolvedOld, ...maintenances, ...openMaintenances];
  const updates = await loadUpdates(ctx, rows.map((r) => r.id));
  const toPublic = (r: IncidentRow) => publicIncident(r, updates.get(r.id) ?? []);
  const recent = incidents.map(toPublic);
  const unresolved = [...recent, ...unresolvedOld.map(toPublic)].filter((i) => (UNRESOLVED_STATUSES as string[]).includes(i.status)).sort(newestFirst);
  const allMaintenances = [...maintenances, ...openMaintenances].map(toPublic);
  const upcoming = allMaintenances.filter((m) => m.status === 'scheduled').sort((a, b) => (a.scheduled_for ?? 0) - (b.scheduled_for ?? 0));
  const active = allMaintenances.filter((m) => (ACTIVE_MAINTENANCE as string[]).includes(m.status)).sort((a, b) => (a.scheduled_for ?? 0) - (b.scheduled_for ?? 0));

  const leaves = components.filter((c) => !c.group).map((c) => c.status);
  const updatedAt = Math.max(0, ...components.map((c) => c.updated_at), ...rows.map((r) => Number(r.updated_at)));
  return {
    builtAt: now,
    page: {
      id: page.id,
      name: page.name,
      url: page.url,
      time_zone: page.time_zone,
      updated_at: updatedAt || now,
      logo_url: page.logo_url ?? null,
      links: page.links,
      about: page.about ?? null,
      subscribe: { email: page.subscribers.email, webhook: page.subscribers.webhook },
      history_days: page.history_days,
    },
    status: pageIndicator(leaves, unresolved.map((i) => i.impact as Impact), active.length > 0),
    components,
    unresolved,
    incidents: recent,
    upcoming,
    active,
    maintenances: maintenances.map(toPublic),
    uptime,
  };
}

const newestFirst = (a: PublicIncident, b: PublicIncident) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1);

/** Groups and members, flat, in config order; a group carries the worst status of its members. */
function snapshotComponents(page: Ctx['config']['current']['status_page'], stored: Map<string, { status: string; created_at: number; updated_at: number }>, now: number): SnapshotComponent[] {
  const leaf = (c: (typeof page.components)[number], position: number): SnapshotComponent => {
    const row = stored.get(c.id);
    return {
      id: c.id,
      name: c.name,
      description: c.description ?? null,
      status: (row?.status as ComponentStatus | undefined) ?? 'operational',
      created_at: row ? Number(row.created_at) : now,
      updated_at: row ? Number(row.updated_at) : now,
      position,
      showcase: c.showcase,
      start_date: c.start_date ?? null,
      group_id: c.group ?? null,
      group: false,
      only_show_if_degraded: c.only_show_if_degraded,
    };
  };
  const out: SnapshotComponent[] = [];
  let top = 0;
  const placedGroups = new Set<string>();
  for (const c of page.components) {
    if (!c.group) {
      out.push(leaf(c, ++top));
      continue;
    }
    if (placedGroups.has(c.group)) continue;
    placedGroups.add(c.group);
    const group = page.groups.find((g) => g.id === c.group)!;
    const members = page.components.filter((m) => m.group === c.group).map((m, i) => leaf(m, i + 1));
    const worst = worstStatus(members.map((m) => m.status));
    out.push({
      id: group.id,
      name: group.name,
      description: group.description ?? null,
      status: worst,
      created_at: Math.min(...members.map((m) => m.created_at)),
      updated_at: Math.max(...members.map((m) => m.updated_at)),
      position: ++top,
      showcase: false,
      start_date: null,
      group_id: null,
      group: true,
      only_show_if_degraded: false,
      components: members.map((m) => m.id),
    });
    out.push(...members);
  }
  return out;
}

/** The updates of some public incidents, newest first, by incident id. */
export async function loadUpdates(ctx: Ctx, ids: string[]): Promise<Map<string, UpdateRow[]>> {
  const out = new Map<string, UpdateRow[]>();
  for (let i = 0; i < ids.length; i += 200) {
    const part = ids.slice(i, i + 200);
    const rows = await q(ctx).selectFrom('status_incident_updates').selectAll().where('status_incident_id', 'in', part).orderBy('display_at', 'desc').orderBy('id', 'desc').execute();
    for (const r of rows) out.set(r.status_incident_id, [...(out.get(r.status_incident_id) ?? []), r]);
  }
  return out;
}

/** A stored public incident or maintenance as the public sees it. */
export function publicIncident(r: IncidentRow, updates: UpdateRow[]): PublicIncident {
  const n = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: r.id,
    kind: r.kind as PublicIncident['kind'],
    name: r.name,
    status: r.status as PublicIncident['status'],
    impact: r.impact as PublicIncident['impact'],
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
    started_at: Number(r.started_at),
    monitoring_at: n(r.monitoring_at),
    resolved_at: n(r.resolved_at),
    scheduled_for: n(r.scheduled_for),
    scheduled_until: n(r.scheduled_until),
    components: Object.keys(JSON.parse(r.components) as Record<string, string>),
    updates: updates.map(publicUpdate),
    postmortem_body: r.postmortem_published_at === null ? null : r.postmortem_body,
    postmortem_published_at: n(r.postmortem_published_at),
  };
}

function publicUpdate(u: UpdateRow): PublicUpdate {
  return {
    id: u.id,
    status: u.status as PublicUpdate['status'],
    body: u.body,
    created_at: Number(u.created_at),
    display_at: Number(u.display_at),
    affected_components: u.affected_components === null ? null : (JSON.parse(u.affected_components) as PublicUpdate['affected_components']),
    deliver_notifications: u.deliver_notifications === 1,
  };
}
