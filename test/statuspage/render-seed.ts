import type { TestEnv } from '../helpers/env.ts';

/**
 * Public status data for the browser test, written straight into the tables the status page
 * reads: every example component with 120 days of history, a database outage 20 days ago (with
 * its resolved incident and postmortem), an unresolved API incident that declares a partial
 * outage, a scheduled maintenance, and a resolved incident whose name and body are hostile.
 */

const MIN = 60_000;
const DAY = 86_400_000;

export const API_INCIDENT = { id: 'inc0api00001', name: 'Elevated error rates on the API', investigating: 'We are investigating elevated error rates for API requests.', identified: 'A faulty deploy was identified and is being rolled back.' };
export const DB_INCIDENT = { id: 'inc0db000002', name: 'Database failover', postmortem: 'A full disk stopped the primary database.\n\nWe now alert at 80% disk use.' };
export const MAINTENANCE = { id: 'mnt0up000003', name: 'Checkout database upgrade', body: 'Payments may be delayed for up to five minutes.' };
export const HOSTILE_INCIDENT = {
  id: 'inc0evil0004',
  name: `<script>window.pwned=1</script><img src=x onerror="window.pwned=2">Sign-in & "quotes"`,
  body: `Fixed ]]> <script>window.pwned=3</script> javascript:alert(1)`,
};

export async function seedStatusData(env: TestEnv): Promise<void> {
  const k = env.db.kysely;
  const now = env.clock.now();
  const components = env.config.current.status_page.components.map((c) => c.id);
  await k.insertInto('status_components').values(components.map((id) => ({ id, status: 'operational', override_status: null, override_by: null, override_at: null, override_reason: null, created_at: now - 120 * DAY, updated_at: now - 20 * DAY }))).execute();
  // The status history the uptime bars are drawn from: each stretch is a change and a change back.
  const outage = (component: string, from: string, at: number, minutes: number) => [
    { component_id: component, at, from_status: 'operational', to_status: from },
    { component_id: component, at: at + minutes * MIN, from_status: from, to_status: 'operational' },
  ];
  await k
    .insertInto('status_component_changes')
    .values([...outage('api', 'degraded_performance', now - 50 * DAY, 180), ...outage('database', 'major_outage', now - 20 * DAY, 45), ...outage('checkout', 'partial_outage', now - 8 * DAY, 120)].sort((a, b) => a.at - b.at))
    .execute();

  const incident = (o: { id: string; kind?: string; name: string; status: string; impact: string; components: Record<string, string>; created: number; resolved?: number; scheduled?: [number, number]; postmortem?: string }) => ({
    id: o.id,
    kind: o.kind ?? 'incident',
    incident_id: null,
    name: o.name,
    status: o.status,
    impact: o.impact,
    impact_override: null,
    components: JSON.stringify(o.components),
    created_at: o.created,
    updated_at: o.resolved ?? o.created,
    started_at: o.created,
    monitoring_at: null,
    resolved_at: o.resolved ?? null,
    scheduled_for: o.scheduled?.[0] ?? null,
    scheduled_until: o.scheduled?.[1] ?? null,
    time_zone: null,
    auto_transition: 0,
    reminded_at: null,
    maintenance_window_id: null,
    postmortem_body: o.postmortem ?? null,
    postmortem_published_at: o.postmortem ? (o.resolved ?? o.created) + DAY : null,
    source: 'manual',
    created_by: 'test',
  });
  await k
    .insertInto('status_incidents')
    .values([
      incident({ id: API_INCIDENT.id, name: API_INCIDENT.name, status: 'identified', impact: 'major', components: { api: 'partial_outage' }, created: now - 40 * MIN }),
      incident({ id: DB_INCIDENT.id, name: DB_INCIDENT.name, status: 'resolved', impact: 'critical', components: { database: 'major_outage' }, created: now - 20 * DAY, resolved: now - 20 * DAY + 45 * MIN, postmortem: DB_INCIDENT.postmortem }),
      incident({ id: MAINTENANCE.id, kind: 'maintenance', name: MAINTENANCE.name, status: 'scheduled', impact: 'maintenance', components: { checkout: 'under_maintenance' }, created: now - DAY, scheduled: [now + 3 * DAY, now + 3 * DAY + 120 * MIN] }),
      incident({ id: HOSTILE_INCIDENT.id, name: HOSTILE_INCIDENT.name, status: 'resolved', impact: 'minor', components: {}, created: now - 3 * DAY, resolved: now - 3 * DAY + 30 * MIN }),
    ])
    .execute();

  const update = (id: string, incidentId: string, status: string, body: string, at: number) => ({ id, status_incident_id: incidentId, status, body, created_at: at, display_at: at, affected_components: null, deliver_notifications: 1, created_by: 'test' });
  await k
    .insertInto('status_incident_updates')
    .values([
      update('upd0api00001', API_INCIDENT.id, 'investigating', API_INCIDENT.investigating, now - 40 * MIN),
      update('upd0api00002', API_INCIDENT.id, 'identified', API_INCIDENT.identified, now - 15 * MIN),
      update('upd0db000001', DB_INCIDENT.id, 'investigating', 'The primary database is not answering.', now - 20 * DAY),
      update('upd0db000002', DB_INCIDENT.id, 'resolved', 'The replica took over; everything is back to normal.', now - 20 * DAY + 45 * MIN),
      update('upd0mnt00001', MAINTENANCE.id, 'scheduled', MAINTENANCE.body, now - DAY),
      update('upd0evil0001', HOSTILE_INCIDENT.id, 'resolved', HOSTILE_INCIDENT.body, now - 3 * DAY + 30 * MIN),
    ])
    .execute();
}
