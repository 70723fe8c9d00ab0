import { isoTime } from '../../lib/iso-time.ts';
import type { PageSnapshot, PublicIncident, PublicUpdate, SnapshotComponent } from './snapshot-types.ts';

/**
 * The Statuspage public API v2 bodies (reference: docs/status-page.md), field for field, so that
 * widgets, bots and aggregators written for Atlassian Statuspage read Firebreak unchanged.
 */

const iso = (ms: number | null) => (ms === null ? null : isoTime(ms));

export function v2Page(s: PageSnapshot) {
  return { id: s.page.id, name: s.page.name, url: s.page.url, time_zone: s.page.time_zone, updated_at: iso(s.page.updated_at) };
}

export function v2Component(s: PageSnapshot, c: SnapshotComponent) {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    created_at: iso(c.created_at),
    updated_at: iso(c.updated_at),
    position: c.position,
    description: c.description,
    showcase: c.showcase,
    start_date: c.start_date,
    group_id: c.group_id,
    page_id: s.page.id,
    group: c.group,
    only_show_if_degraded: c.only_show_if_degraded,
    ...(c.group ? { components: c.components ?? [] } : {}),
  };
}

export function v2Update(u: PublicUpdate, incidentId: string) {
  return {
    id: u.id,
    incident_id: incidentId,
    status: u.status,
    body: u.body,
    created_at: iso(u.created_at),
    updated_at: iso(u.created_at),
    display_at: iso(u.display_at),
    affected_components: u.affected_components,
    deliver_notifications: u.deliver_notifications,
    custom_tweet: null,
    tweet_id: null,
  };
}

/** A public incident (or, with scheduled_for/until, a maintenance). */
export function v2Incident(s: PageSnapshot, i: PublicIncident) {
  const byId = new Map(s.components.map((c) => [c.id, c]));
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    impact: i.impact,
    created_at: iso(i.created_at),
    updated_at: iso(i.updated_at),
    started_at: iso(i.started_at),
    monitoring_at: iso(i.monitoring_at),
    resolved_at: iso(i.resolved_at),
    shortlink: `${s.page.url}/incidents/${i.id}`,
    page_id: s.page.id,
    ...(i.kind === 'maintenance' ? { scheduled_for: iso(i.scheduled_for), scheduled_until: iso(i.scheduled_until) } : {}),
    incident_updates: i.updates.map((u) => v2Update(u, i.id)),
    components: i.components.flatMap((id) => {
      const c = byId.get(id);
      return c ? [v2Component(s, c)] : [];
    }),
  };
}

export const v2Status = (s: PageSnapshot) => ({ page: v2Page(s), status: { ...s.status } });
export const v2Components = (s: PageSnapshot) => ({ page: v2Page(s), components: s.components.map((c) => v2Component(s, c)) });
export const v2Incidents = (s: PageSnapshot, list: PublicIncident[]) => ({ page: v2Page(s), incidents: list.map((i) => v2Incident(s, i)) });
export const v2Maintenances = (s: PageSnapshot, list: PublicIncident[]) => ({ page: v2Page(s), scheduled_maintenances: list.map((i) => v2Incident(s, i)) });

/** Everything the page shows now: all components, unresolved incidents, upcoming and active maintenances. */
export function v2Summary(s: PageSnapshot) {
  return {
    page: v2Page(s),
    components: s.components.map((c) => v2Component(s, c)),
    incidents: s.unresolved.map((i) => v2Incident(s, i)),
    scheduled_maintenances: [...s.active, ...s.upcoming].map((i) => v2Incident(s, i)),
    status: { ...s.status },
  };
}

/** Every v2 endpoint, by its path under /api/v2. */
export const V2_ENDPOINTS: Record<string, (s: PageSnapshot) => unknown> = {
  'summary.json': v2Summary,
  'status.json': v2Status,
  'components.json': v2Components,
  'incidents.json': (s) => v2Incidents(s, s.incidents),
  'incidents/unresolved.json': (s) => v2Incidents(s, s.unresolved),
  'scheduled-maintenances.json': (s) => v2Maintenances(s, s.maintenances),
  'scheduled-maintenances/upcoming.json': (s) => v2Maintenances(s, s.upcoming),
  'scheduled-maintenances/active.json': (s) => v2Maintenances(s, s.active),
};
