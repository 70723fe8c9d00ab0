import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DIALECTS } from '../helpers/dialects.ts';
import type { TestApp, TestEnv } from '../helpers/env.ts';
import { PERIOD, useAnalyticsFixture } from './fixture.ts';

/**
 * Every KPI over the fixture (fixture.ts), against figures worked out by hand. Letters name the
 * fixture's incidents: P0 A, B, C; P1 D, E; P3 F, G; eleven open P2s J0–J10; one merged into A and
 * one from April, which no figure may include.
 */
const S = 1000;
const M = 60_000;
const H = 3_600_000;

for (const { name, skip } of DIALECTS) {
  describe(`analytics KPIs [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useAnalyticsFixture(name, import.meta.url, (e, a) => ((env = e), (t = a)));

    const get = async (path: string, query: Record<string, string> = {}) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/analytics/${path}?${new URLSearchParams({ ...PERIOD, ...query })}`, headers: t.auth.viewer });
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    };
    const stat = (count: number, mean_ms: number | null, p90_ms: number | null, target_ms: number, within_target: number, share_within_target: number | null) => ({ count, mean_ms, p90_ms, target_ms, within_target, share_within_target });

    test('response: MTTD, MTTA, time to respond, MTTR per severity, with exact p90 and targets', async () => {
      const r = await get('response');
      assert.deepEqual(r.period, { from: '2026-05-01T00:00:00.000Z', to: '2026-06-01T00:00:00.000Z', severity: null, service: null });
      const [p0, p1, p2, p3] = r.severities;
      // P0: TTD A 30 s, B 3 min, C 1 min; TTA A 1 min, B 3 min, C 2 min (at the target: within);
      // respond A 90 s, B 4 min; resolve A 10 min, B 20 min (C is open).
      assert.deepEqual(p0, {
        severity: 'P0',
        incidents: 3,
        detect: stat(3, 90 * S, 3 * M, 2 * M, 2, 0.6667),
        acknowledge: stat(3, 2 * M, 3 * M, 2 * M, 2, 0.6667),
        respond: stat(2, 165 * S, 4 * M, 2 * M, 1, 0.5),
        resolve: stat(2, 15 * M, 20 * M, 15 * M, 1, 0.5),
      });
      // P1: TTD D 10 min, E 0; TTA 4 and 10 min; respond 6 and 12 min; resolve 50 min and 2 h.
      assert.deepEqual(p1, {
        severity: 'P1',
        incidents: 2,
        detect: stat(2, 5 * M, 10 * M, 2 * M, 1, 0.5),
        acknowledge: stat(2, 7 * M, 10 * M, 5 * M, 1, 0.5),
        respond: stat(2, 9 * M, 12 * M, 5 * M, 0, 0),
        resolve: stat(2, 85 * M, 2 * H, H, 1, 0.5),
      });
      // P2: TTA 1…11 min: mean 6 min, p90 the 10th of 11 (ceil(0.9 × 11) = 10).
      assert.deepEqual(p2, {
        severity: 'P2',
        incidents: 11,
        detect: stat(11, 0, 0, 2 * M, 11, 1),
        acknowledge: stat(11, 6 * M, 10 * M, 15 * M, 11, 1),
        respond: stat(0, null, null, 15 * M, 0, null),
        resolve: stat(0, null, null, 4 * H, 0, null),
      });
      // P3: TTD F 2 min, G 1 min; TTA 30 and 60 min; respond F 40 min; resolve 3 and 5 h.
      assert.deepEqual(p3, {
        severity: 'P3',
        incidents: 2,
        detect: stat(2, 90 * S, 2 * M, 2 * M, 2, 1),
        acknowledge: stat(2, 45 * M, H, 2 * H, 2, 1),
        respond: stat(1, 40 * M, 40 * M, 2 * H, 1, 1),
        resolve: stat(2, 4 * H, 5 * H, 24 * H, 2, 1),
      });
    });

    test('response filtered by service and severity', async () => {
      // api: A and B (P0), E (P1); the merged incident on api stays out.
      const r = await get('response', { service: 'api', severity: 'P0,P1' });
      assert.deepEqual(r.period.severity, ['P0', 'P1']);
      assert.equal(r.period.service, 'api');
      assert.deepEqual(r.severities.map((s: { severity: string; incidents: number }) => [s.severity, s.incidents]), [['P0', 2], ['P1', 1]]);
      assert.deepEqual(r.severities[0].acknowledge, stat(2, 2 * M, 3 * M, 2 * M, 1, 0.5));
      assert.deepEqual(r.severities[1].resolve, stat(1, 2 * H, 2 * H, H, 0, 0));
    });

    test('quality: escalation accuracy, false positives, automatic detection, reopening, status page and stakeholders', async () => {
      const r = await get('quality');
      assert.equal(r.incidents, 18);
      // B's severity changed 20 min in (grace 15 min); D's at 5 min is fine: 17 of 18.
      assert.deepEqual(r.escalation_accuracy, { count: 17, of: 18, share: 0.9444, target: 0.9 });
      // Six ended (A, B, D, E, F, G); D was not an incident.
      assert.deepEqual(r.false_positive_rate, { count: 1, of: 6, share: 0.1667, target: 0.05 });
      // Automated: A, B, C, F, G and the eleven P2s; D came from user reports, E was declared.
      assert.deepEqual(r.automatic_detection, { count: 16, of: 18, share: 0.8889, target: 0.95 });
      // Resolved at least once: the six; B was reopened.
      assert.deepEqual(r.reopen_rate, { count: 1, of: 6, share: 0.1667, target: 0.05 });
      assert.deepEqual(r.resolved_without_reopening, { count: 5, of: 6, share: 0.8333, target: 0.95 });
      // Posted: A 3.5 min, B 7 min, D 5 min after detection; eligible (customer-facing P0/P1): A, B, D, E.
      assert.deepEqual(r.status_page_post, { count: 3, mean_ms: 310 * S, p90_ms: 7 * M, eligible: 4, within_target: 2, share_within_target: 0.5, target_ms: 5 * M });
      // Told: A 5 min, B 12 min, D 8 min after the trigger; eligible P0/P1: A, B, C, D, E.
      assert.deepEqual(r.stakeholder_notification, { count: 3, mean_ms: 500 * S, p90_ms: 12 * M, eligible: 5, within_target: 2, share_within_target: 0.4, target_ms: 10 * M });
    });

    test('availability: per service from roll-ups, error budget and burn rates', async () => {
      const r = await get('availability');
      const api = r.services.find((s: { service: string }) => s.service === 'api');
      // 30 failures in 31 × 2,880 = 89,280 checks against 99.99%: 0.000336 of the time down where
      // 0.0001 is allowed, a burn rate of 3.3602 and the budget overspent by 2.3602 budgets.
      assert.deepEqual(api, {
        service: 'api',
        target: 99.99,
        monitors: ['api-tcp'],
        checks: 89_280,
        failures: 30,
        availability: 99.9664,
        meets_target: false,
        downtime_share: 0.000336,
        error_budget_remaining: -2.3602,
        burn_rate: 3.3602,
        // 23:00–24:00 on 31 May: 1 failure in 120 checks, 83.3333 times the sustainable rate.
        last_1h: { checks: 120, failures: 1, availability: 99.1667, burn_rate: 83.3333 },
        last_24h: { checks: 2880, failures: 0, availability: 100, burn_rate: 0 },
      });
      const database = r.services.find((s: { service: string }) => s.service === 'database');
      assert.deepEqual(
        { checks: database.checks, availability: database.availability, meets: database.meets_target, budget: database.error_budget_remaining, burn: database.burn_rate },
        { checks: 0, availability: null, meets: null, budget: null, burn: null },
      );
      assert.equal(r.services.length, env.config.current.services.length);
      const only = await get('availability', { service: 'api' });
      assert.deepEqual(only.services.map((s: { service: string }) => s.service), ['api']);
    });

    test('postmortems: on time within 48 hours, overdue, action items closed', async () => {
      const r = await get('postmortems');
      // A's done in 29 h 50 min (on time), B's in 50 h (late), D's draft overdue, E's not yet due.
      assert.deepEqual(r.postmortems, { total: 4, completed: 2, due: 3, completed_on_time: 1, on_time_share: 0.3333, target: 1, overdue: 1, mean_completion_ms: (29 * H + 50 * M + 50 * H) / 2 });
      // Five items in the period: done, won't do, open and overdue, in progress not due, open without a due date.
      assert.deepEqual(r.action_items, { total: 5, done: 1, wont_do: 1, open: 3, closed: 2, closure_rate: 0.4, overdue_open: 1 });
    });

    test('patterns: recurring incidents, incident minutes, noisy alerts, hour-of-week heat map', async () => {
      const r = await get('patterns');
      assert.deepEqual(r.recurring, [
        { service: 'api', fingerprint: 'prometheus/api-down', incidents: 2, first_at: '2026-05-04T08:00:00.000Z', last_at: '2026-05-05T08:00:00.000Z' },
        { service: 'docs', fingerprint: 'grafana/docs-404', incidents: 2, first_at: '2026-05-09T08:00:00.000Z', last_at: '2026-05-10T08:00:00.000Z' },
      ]);
      // Open incidents count up to now (1 June 12:00): C from 6 May 08:00 is 37,680 min; the P2s
      // from 14 May 08:00 + k h are 11 × 26,160 − 60 × 55 min.
      assert.deepEqual(r.incident_minutes, [
        { service: 'reporting', incidents: 11, minutes: 284_460 },
        { service: 'database', incidents: 2, minutes: 37_700 },
        { service: 'docs', incidents: 2, minutes: 480 },
        { service: 'api', incidents: 3, minutes: 150 },
        { service: 'checkout', incidents: 1, minutes: 50 },
      ]);
      assert.deepEqual(r.alerts_firing_most, [
        // Ranked by alerts, then by key; the April alert of docs-404 is outside the period.
        { integration: 'datadog', dedup_key: 'noise', alerts: 3, events: 3 },
        { integration: 'prometheus', dedup_key: 'api-down', alerts: 3, events: 8 },
        { integration: 'grafana', dedup_key: 'docs-404', alerts: 2, events: 2 },
        { integration: 'database-monitoring', dedup_key: 'db/replica-lag', alerts: 1, events: 40 },
        { integration: 'grafana', dedup_key: "=cmd|' /C calc'!A0", alerts: 1, events: 1 },
      ]);
      assert.deepEqual(r.alerts_paging_most, [
        { fingerprint: 'grafana/docs-404', incidents: 2 },
        { fingerprint: 'prometheus/api-down', incidents: 2 },
        { fingerprint: 'database-monitoring/db/replica-lag', incidents: 1 },
      ]);
      // Berlin is UTC+2 in May: 08:00 UTC is 10:00. Thursday has D at 10, E at 12 and the P2s at 10…20.
      assert.equal(r.time_zone, 'Europe/Berlin');
      const expected = Array.from({ length: 7 }, () => new Array(24).fill(0));
      for (const day of [0, 1, 2, 3, 5, 6]) expected[day][10] = 1;
      expected[3][12] += 1;
      for (let h = 10; h <= 20; h++) expected[3][h] += 1;
      assert.deepEqual(r.heat_map.days, ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']);
      assert.deepEqual(r.heat_map.counts, expected);
      // The limit and the service filter.
      const api = await get('patterns', { service: 'api', limit: '1' });
      assert.deepEqual(api.recurring.map((x: { fingerprint: string }) => x.fingerprint), ['prometheus/api-down']);
      assert.deepEqual(api.incident_minutes, [{ service: 'api', incidents: 3, minutes: 150 }]);
      assert.deepEqual(api.alerts_firing_most, [{ integration: 'prometheus', dedup_key: 'api-down', alerts: 3, events: 8 }]);
    });

    test('the heat map follows the configured zone, half-hour offsets included', async () => {
      const saved = env.config.current;
      env.config.current = { ...saved, analytics: { ...saved.analytics, time_zone: 'Asia/Kolkata' } };
      try {
        const r = await get('patterns', { severity: 'P0' });
        // A, B, C at 08:00 UTC are 13:30 in India (UTC+5:30), Monday to Wednesday.
        const expected = Array.from({ length: 7 }, () => new Array(24).fill(0));
        for (const day of [0, 1, 2]) expected[day][13] = 1;
        assert.deepEqual(r.heat_map.counts, expected);
      } finally {
        env.config.current = saved;
      }
    });

    test('the default period is the 30 days before now', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/analytics/quality', headers: t.auth.viewer });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().period, { from: '2026-05-02T12:00:00.000Z', to: '2026-06-01T12:00:00.000Z', severity: null, service: null });
      assert.equal(res.json().incidents, 18);
    });
  });
}
