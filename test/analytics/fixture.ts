import type { Insertable } from 'kysely';
import type { DB } from '../../src/db/schema.ts';
import { before } from 'node:test';
import type { DialectName } from '../../src/db/dialect.ts';
import { useTestApp, type TestApp, type TestEnv } from '../helpers/env.ts';
import { configWithMonitors } from '../monitors/monitor-kit.ts';

/**
 * A small organisation's May 2026, inserted row by row with known times, so every KPI can be
 * worked out by hand (the expected figures are in kpis.test.ts, with the arithmetic).
 */
export const S = 1000;
export const M = 60_000;
export const H = 3_600_000;
export const D = 86_400_000;
/** The reports' "now": noon UTC on 1 June 2026. */
export const NOW = Date.UTC(2026, 5, 1, 12, 0);
/** Monday 4 May 2026, 08:00 UTC (10:00 in Berlin, CEST). */
export const T = Date.UTC(2026, 4, 4, 8, 0);
/** The period every test asks for: May 2026 in UTC. */
export const PERIOD = { from: '2026-05-01T00:00:00Z', to: '2026-06-01T00:00:00Z' };
export const MONITORS = [
  { id: 'api-tcp', service: 'api', type: 'tcp', host: '127.0.0.1', port: 9, interval: '1d', timeout: '1s' },
  { id: 'database-tcp', service: 'database', type: 'tcp', host: '127.0.0.1', port: 9, interval: '1d', timeout: '1s' },
];

type Row = Insertable<DB['incidents']> & { services: string[] };
let n = 0;

function incident(p: Partial<Row> & Pick<Row, 'severity' | 'triggered_at'>): Row {
  n++;
  return {
    id: `inc_fixture_${String(n).padStart(3, '0')}`,
    number: n,
    title: `Fixture ${n}`,
    description: '',
    severity_source: 'manual',
    state: p.resolved_at ? 'resolved' : 'investigating',
    source: 'automated',
    customer_facing: 0,
    user_share: 0,
    impact: '{}',
    reopen_count: 0,
    detected_at: p.triggered_at,
    created_at: p.triggered_at,
    updated_at: p.triggered_at,
    services: [],
    ...p,
  };
}

/** The incidents; letters as in kpis.test.ts (the drill's incident comes last, so the others keep their numbers). */
export function fixtureIncidents(): Row[] {
  n = 0;
  const A = incident({
    severity: 'P0', services: ['api'], customer_facing: 1, detected_at: T - 30 * S, triggered_at: T, acknowledged_at: T + M, responded_at: T + 90 * S,
    resolved_at: T + 10 * M, closed_at: T + H, state: 'closed', resolution: 'fixed', fingerprint: 'prometheus/api-down', status_posted_at: T + 3 * M, stakeholders_notified_at: T + 5 * M,
  });
  const B = incident({
    severity: 'P0', services: ['api', 'database'], customer_facing: 1, detected_at: T + D - 3 * M, triggered_at: T + D, acknowledged_at: T + D + 3 * M, responded_at: T + D + 4 * M,
    resolved_at: T + D + 20 * M, resolution: 'fixed', fingerprint: 'prometheus/api-down', severity_changed_at: T + D + 20 * M, status_posted_at: T + D + 4 * M,
    stakeholders_notified_at: T + D + 12 * M, reopen_count: 1,
  });
  const C = incident({ severity: 'P0', services: ['database'], detected_at: T + 2 * D - M, triggered_at: T + 2 * D, acknowledged_at: T + 2 * D + 2 * M, fingerprint: 'database-monitoring/db/replica-lag' });
  const Dd = incident({
    severity: 'P1', services: ['checkout'], source: 'user_report', customer_facing: 1, detected_at: T + 3 * D - 10 * M, triggered_at: T + 3 * D, acknowledged_at: T + 3 * D + 4 * M,
    responded_at: T + 3 * D + 6 * M, resolved_at: T + 3 * D + 50 * M, resolution: 'not_an_incident', fingerprint: 'user_reports/checkout', severity_changed_at: T + 3 * D + 5 * M,
    status_posted_at: T + 3 * D - 5 * M, stakeholders_notified_at: T + 3 * D + 8 * M,
  });
  const E = incident({
    severity: 'P1', services: ['api'], source: 'manual', customer_facing: 1, triggered_at: T + 3 * D + 2 * H, acknowledged_at: T + 3 * D + 2 * H + 10 * M,
    responded_at: T + 3 * D + 2 * H + 12 * M, resolved_at: T + 3 * D + 4 * H, resolution: 'fixed',
  });
  const F = incident({
    severity: 'P3', services: ['docs'], customer_facing: 1, detected_at: T + 5 * D - 2 * M, triggered_at: T + 5 * D, acknowledged_at: T + 5 * D + 30 * M,
    responded_at: T + 5 * D + 40 * M, resolved_at: T + 5 * D + 3 * H, resolution: 'fixed', fingerprint: 'grafana/docs-404',
  });
  const G = incident({ severity: 'P3', services: ['docs'], detected_at: T + 6 * D - M, triggered_at: T + 6 * D, acknowledged_at: T + 6 * D + H, resolved_at: T + 6 * D + 5 * H, resolution: 'fixed', fingerprint: 'grafana/docs-404' });
  // Absorbed into A: left out of every figure.
  const merged = incident({ severity: 'P1', services: ['api'], triggered_at: T + 7 * D, acknowledged_at: T + 7 * D + M, fingerprint: 'prometheus/api-down', merged_into: A.id });
  // Before the period.
  const april = incident({ severity: 'P0', services: ['api'], triggered_at: Date.UTC(2026, 3, 20, 8, 0), acknowledged_at: Date.UTC(2026, 3, 20, 8, 1), fingerprint: 'prometheus/api-down' });
  // Eleven open P2s acknowledged after 1, 2, … 11 minutes: p90 by nearest rank is the 10th.
  const J = Array.from({ length: 11 }, (_, k) => incident({ severity: 'P2', services: ['reporting'], triggered_at: T + 10 * D + k * H, acknowledged_at: T + 10 * D + k * H + (k + 1) * M }));
  // Opened during a drill: its response was real, its outage was not; left out of every figure.
  const drill = incident({
    severity: 'P0', services: ['api'], customer_facing: 1, triggered_at: T + 8 * D, acknowledged_at: T + 8 * D + 7 * M, resolved_at: T + 8 * D + 2 * H, resolution: 'fixed',
    fingerprint: 'prometheus/api-down', status_posted_at: T + 8 * D + M, drill_run_id: 'rbr_fixture_drill',
  });
  return [A, B, C, Dd, E, F, G, merged, april, ...J, drill];
}

/** Inserts the incidents, their services, alerts, postmortems, action items and api's roll-ups. */
export async function insertFixture(env: TestEnv): Promise<void> {
  const db = env.db.kysely;
  const rows = fixtureIncidents();
  for (const { services, ...row } of rows) {
    await db.insertInto('incidents').values(row).execute();
    for (const service_id of services) await db.insertInto('incident_services').values({ incident_id: row.id, incident_number: row.number, service_id, added_at: row.triggered_at }).execute();
  }
  const id = (i: number) => rows[i].id;
  let a = 0;
  const alert = (integration_id: string, dedup_key: string, service_id: string, first_seen_at: number, event_count: number) =>
    db
      .insertInto('alerts')
      .values({
        id: `alr_fixture_${++a}`, integration_id, dedup_key, status: 'resolved', summary: dedup_key, source: 'fixture', severity: 'critical', service_id, incident_id: null,
        first_seen_at, last_seen_at: first_seen_at, detected_at: first_seen_at, acknowledged_at: null, resolved_at: first_seen_at + M, event_count, details: '{}', labels: '{}', suppressed_by: null, flapping_since: null,
      })
      .execute();
  await alert('prometheus', 'api-down', 'api', T - 30 * S, 5);
  await alert('prometheus', 'api-down', 'api', T + D - 3 * M, 2);
  await alert('prometheus', 'api-down', 'api', T + 7 * D, 1);
  await alert('datadog', 'noise', 'cache', T + 8 * D, 1);
  await alert('datadog', 'noise', 'cache', T + 8 * D + H, 1);
  await alert('datadog', 'noise', 'cache', T + 8 * D + 2 * H, 1);
  await alert('grafana', 'docs-404', 'docs', T + 5 * D - 2 * M, 1);
  await alert('grafana', 'docs-404', 'docs', T + 6 * D - M, 1);
  await alert('grafana', 'docs-404', 'docs', Date.UTC(2026, 3, 1), 9);
  await alert('database-monitoring', 'db/replica-lag', 'database', T + 2 * D - M, 40);
  // A key a spreadsheet would run as a formula.
  await alert('grafana', "=cmd|' /C calc'!A0", 'web', Date.UTC(2026, 4, 30), 1);

  const pm = (incident: number, status: string, created_at: number, due_at: number, completed_at: number | null) =>
    db
      .insertInto('postmortems')
      .values({ id: `pm_${id(incident)}`, incident_id: id(incident), status, owner_id: null, due_at, content: '{}', revision: 1, created_at, updated_at: created_at, completed_at, published_at: null, reminded_at: null, source: 'auto', created_by: 'fixture' })
      .execute();
  await pm(0, 'completed', T + 10 * M, T + 10 * M + 48 * H, T + 30 * H);
  await pm(1, 'completed', T + D + 20 * M, T + D + 20 * M + 48 * H, T + D + 20 * M + 50 * H);
  await pm(3, 'draft', T + 3 * D + 50 * M, T + 3 * D + 50 * M + 48 * H, null);
  await pm(4, 'in_review', T + 3 * D + 4 * H, NOW + H, null);
  await pm(8, 'draft', Date.UTC(2026, 3, 21), Date.UTC(2026, 3, 23), null);
  let ai = 0;
  const item = (incident: number, status: string, due_at: number | null, closed_at: number | null) =>
    db
      .insertInto('action_items')
      .values({ id: `ai_fixture_${++ai}`, incident_id: id(incident), postmortem_id: null, title: 'Fix it', description: '', owner_id: null, due_at, priority: 'medium', tracker_url: null, status, created_at: T + H, updated_at: T + H, closed_at, reminded_at: null, created_by: 'fixture' })
      .execute();
  await item(0, 'done', NOW - D, T + 2 * D);
  await item(0, 'wont_do', NOW - D, T + 3 * D);
  await item(0, 'open', NOW - D, null);
  await item(0, 'in_progress', NOW + D, null);
  await item(1, 'open', null, null);
  await item(8, 'open', NOW - 5 * D, null);

  // api: 31 days of 2,880 checks, 30 failures on 10 May; its last hour of May had 1 failure in 120.
  const rollup = (monitor_id: string, size: number, start: number, checks: number, failures: number) =>
    db.insertInto('monitor_rollups').values({ monitor_id, size, start, checks, failures, degraded: 0, duration_sum: checks * 10, duration_max: 10, p50: 10, p95: 10, hist: '[]' }).execute();
  for (let day = 0; day < 31; day++) await rollup('api-tcp', D, Date.UTC(2026, 4, 1 + day), 2880, day === 9 ? 30 : 0);
  await rollup('api-tcp', H, Date.UTC(2026, 4, 31, 23), 120, 1);
  await db
    .insertInto('monitor_rollup_marks')
    .values([
      { size: M, through: NOW },
      { size: H, through: NOW },
      { size: D, through: Date.UTC(2026, 5, 1) },
    ])
    .execute();
}

/**
 * A suite's own database and app (no monitor runner) holding the fixture, with the clock at NOW
 * and the fixture's monitors configured; `set` receives them once ready.
 */
export function useAnalyticsFixture(dialect: DialectName, testFile: string, set: (env: TestEnv, app: TestApp) => void): void {
  let env: TestEnv;
  useTestApp(
    dialect,
    testFile,
    (e, a) => {
      env = e;
      set(e, a);
    },
    {
      app: { monitors: false },
      configure: (e) => {
        e.config.current = configWithMonitors(MONITORS);
        e.clock.set(NOW);
      },
    },
  );
  before(() => insertFixture(env));
}
