import type { PageSnapshot, PublicIncident, PublicUpdate, SnapshotComponent, UptimeDay } from '../../src/modules/statuspage/index.ts';

/**
 * Hand-built snapshots for the renderer tests: the "Acme Cloud" page of the Statuspage reference
 * (a group with two members, a standalone component, one hidden unless degraded), with an
 * unresolved incident, a resolved one with a postmortem, and maintenances in each phase.
 */

export const MIN = 60_000;
export const DAY = 86_400_000;
/** 2026-03-10 09:42 in Berlin (CET, UTC+1). */
export const NOW = Date.UTC(2026, 2, 10, 8, 42);
export const HOSTILE = `<script>alert("x")</script>"><img src=x onerror=alert(1)>`;

export function component(over: Partial<SnapshotComponent> & { id: string }): SnapshotComponent {
  return {
    name: over.id,
    description: null,
    status: 'operational',
    created_at: NOW - 400 * DAY,
    updated_at: NOW - DAY,
    position: 1,
    showcase: true,
    start_date: null,
    group_id: null,
    group: false,
    only_show_if_degraded: false,
    ...over,
  };
}

export function update(over: Partial<PublicUpdate> & { id: string }): PublicUpdate {
  return { status: 'investigating', body: 'We are looking into it.', created_at: NOW - 30 * MIN, display_at: NOW - 30 * MIN, affected_components: null, deliver_notifications: true, ...over };
}

export function incident(over: Partial<PublicIncident> & { id: string }): PublicIncident {
  return {
    kind: 'incident',
    name: `Incident ${over.id}`,
    status: 'investigating',
    impact: 'minor',
    created_at: NOW - 30 * MIN,
    updated_at: NOW - 10 * MIN,
    started_at: NOW - 35 * MIN,
    monitoring_at: null,
    resolved_at: null,
    scheduled_for: null,
    scheduled_until: null,
    components: [],
    updates: [],
    postmortem_body: null,
    postmortem_published_at: null,
    ...over,
  };
}

/** Local dates ending at NOW's date, oldest first. */
export function days(count: number, end = '2026-03-10'): string[] {
  const last = Date.parse(`${end}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(last - (count - 1 - i) * DAY).toISOString().slice(0, 10));
}

export function uptimeDay(date: string, over: Partial<UptimeDay> = {}): UptimeDay {
  return { date, uptime: 100, minutes: { major_outage: 0, partial_outage: 0, degraded_performance: 0, under_maintenance: 0 }, incidents: [], ...over };
}

/** 90 days: the first 10 without data, one bad day, one degraded, the last one with the open incident. */
export function bars(): UptimeDay[] {
  return days(90).map((date, i) => {
    if (i < 10) return uptimeDay(date, { uptime: null });
    if (i === 50) return uptimeDay(date, { uptime: 97.5, minutes: { major_outage: 36, partial_outage: 0, degraded_performance: 0, under_maintenance: 0 }, incidents: [{ id: 'inc0old', name: 'Outage', impact: 'critical' }] });
    if (i === 70) return uptimeDay(date, { minutes: { major_outage: 0, partial_outage: 0, degraded_performance: 45, under_maintenance: 0 } });
    if (i === 89) return uptimeDay(date, { uptime: 99.95, minutes: { major_outage: 0, partial_outage: 2, degraded_performance: 0, under_maintenance: 0 }, incidents: [{ id: 'inc5lat00042', name: 'Elevated API latency', impact: 'minor' }] });
    return uptimeDay(date);
  });
}

export const LATENCY = incident({
  id: 'inc5lat00042',
  name: 'Elevated API latency in EU region',
  status: 'identified',
  impact: 'minor',
  components: ['cmpapi000001'],
  updates: [
    update({ id: 'upd2', status: 'identified', body: 'A saturated connection pool was identified; traffic is being shifted.', display_at: NOW - 10 * MIN }),
    update({ id: 'upd1', status: 'investigating', body: 'We are investigating slower API responses.', display_at: NOW - 30 * MIN, affected_components: [{ code: 'cmpapi000001', name: 'Core Platform - Public API', old_status: 'operational', new_status: 'degraded_performance' }] }),
  ],
});

export const OLD_OUTAGE = incident({
  id: 'inc0old',
  name: 'Database failover',
  status: 'postmortem',
  impact: 'critical',
  created_at: NOW - 40 * DAY,
  updated_at: NOW - 38 * DAY,
  started_at: NOW - 40 * DAY,
  resolved_at: NOW - 40 * DAY + 36 * MIN,
  components: ['cmpdb0000002', 'cmpapi000001'],
  updates: [
    update({ id: 'upd9', status: 'resolved', body: 'Service is back to normal.', display_at: NOW - 40 * DAY + 36 * MIN }),
    update({ id: 'upd8', status: 'investigating', body: 'The primary database is unreachable.', display_at: NOW - 40 * DAY }),
  ],
  postmortem_body: 'Summary: a disk filled up.\n\nWhat we changed: alerts at 80%.\nAnd a second line.',
  postmortem_published_at: NOW - 38 * DAY,
});

export const UPCOMING = incident({
  id: 'mnt0dbup0007',
  kind: 'maintenance',
  name: 'Primary database minor-version upgrade',
  status: 'scheduled',
  impact: 'maintenance',
  created_at: NOW - 2 * DAY,
  updated_at: NOW - 2 * DAY,
  started_at: NOW - 2 * DAY,
  scheduled_for: Date.UTC(2026, 2, 14, 1, 0),
  scheduled_until: Date.UTC(2026, 2, 14, 2, 0),
  components: ['cmpdb0000002'],
  updates: [update({ id: 'upd20', status: 'scheduled', body: 'Writes may pause for up to 2 minutes.', display_at: NOW - 2 * DAY })],
});

export const ACTIVE = incident({
  id: 'mnt0cdn0008',
  kind: 'maintenance',
  name: 'CDN certificate rotation',
  status: 'in_progress',
  impact: 'maintenance',
  created_at: NOW - 3 * DAY,
  updated_at: NOW - 5 * MIN,
  started_at: NOW - 5 * MIN,
  scheduled_for: NOW - 5 * MIN,
  scheduled_until: NOW + 55 * MIN,
  components: ['cmpweb000003'],
  updates: [update({ id: 'upd30', status: 'in_progress', body: 'Rotation under way.', display_at: NOW - 5 * MIN })],
});

type SnapshotOverrides = Partial<Omit<PageSnapshot, 'page'>> & { page?: Partial<PageSnapshot['page']> };

/** The reference page, with whatever a test changes. */
export function snapshot(over: SnapshotOverrides = {}): PageSnapshot {
  const { page, ...rest } = over;
  return {
    builtAt: NOW,
    page: {
      id: 'acm3pg0001xz',
      name: 'Acme Cloud',
      url: 'https://status.acme.example',
      time_zone: 'Europe/Berlin',
      updated_at: NOW - 10 * MIN,
      logo_url: 'https://acme.example/logo.svg',
      links: [{ label: 'Help centre', url: 'https://acme.example/help' }],
      about: 'Live status of Acme Cloud.',
      subscribe: { email: true, webhook: true },
      history_days: 90,
      ...page,
    },
    status: { indicator: 'minor', description: 'Partially Degraded Service' },
    components: [
      component({ id: 'grp7core0001', name: 'Core Platform', status: 'degraded_performance', group: true, showcase: false, components: ['cmpapi000001', 'cmpdb0000002'] }),
      component({ id: 'cmpapi000001', name: 'Public API', status: 'degraded_performance', group_id: 'grp7core0001', description: 'REST and webhook delivery' }),
      component({ id: 'cmpdb0000002', name: 'Primary Database', group_id: 'grp7core0001', position: 2 }),
      component({ id: 'cmpweb000003', name: 'Dashboard', position: 2, showcase: false }),
      component({ id: 'cmpmail00004', name: 'Email delivery', position: 3, only_show_if_degraded: true }),
    ],
    unresolved: [LATENCY],
    incidents: [LATENCY, OLD_OUTAGE],
    upcoming: [UPCOMING],
    active: [ACTIVE],
    maintenances: [ACTIVE, UPCOMING],
    uptime: { cmpapi000001: bars(), cmpdb0000002: bars(), cmpmail00004: bars() },
    ...rest,
  };
}

/** The text between two markers (for checking what a section contains). */
export function between(html: string, from: string, to: string): string {
  const start = html.indexOf(from);
  if (start < 0) throw new Error(`marker not found: ${from}`);
  const end = html.indexOf(to, start + from.length);
  return html.slice(start, end < 0 ? undefined : end);
}

/** Every tag's name and level of the headings, in document order. */
export const headingLevels = (html: string) => [...html.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));

/** WCAG 2 contrast ratio of two #rrggbb / #rgb colours. */
export function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const h = hex.replace('#', '');
    const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
    const [r, g, bl] = [0, 2, 4].map((i) => {
      const v = parseInt(full.slice(i, i + 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
