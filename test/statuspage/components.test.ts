import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIncident, transitionIncident } from '../../src/modules/incidents/index.ts';
import { deriveComponentStatuses, pageIndicator, type ComponentStatus } from '../../src/modules/statuspage/index.ts';
import type { StatusInputs } from '../../src/modules/statuspage/component-status.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { useTestApp, type TestApp, type TestEnv } from '../helpers/env.ts';
import { patchedConfig } from './statuspage-kit.ts';

const inputs = (over: Partial<StatusInputs> = {}): StatusInputs => ({
  serviceSeverity: new Map(),
  monitorStatus: new Map(),
  declared: new Map(),
  underMaintenance: new Set(),
  overrides: new Map(),
  ...over,
});

describe('component status derivation (pure)', () => {
  const config = patchedConfig((doc) => {
    doc.status_page.components = [
      { id: 'api', name: 'API', services: ['api'], monitors: [] },
      { id: 'web', name: 'Web', services: ['web'] },
      { id: 'probes', name: 'Probes', services: [], monitors: ['m1', 'm2'] },
    ];
    doc.monitors = [
      { id: 'm1', name: 'M1', service: 'api', type: 'http', url: 'http://127.0.0.1:9/' },
      { id: 'm2', name: 'M2', service: 'api', type: 'http', url: 'http://127.0.0.1:9/' },
    ];
  });
  const derive = (over: Partial<StatusInputs>) => Object.fromEntries(deriveComponentStatuses(config, inputs(over)));

  it('maps open incidents by severity: P0 major, P1 partial, P2 degraded, P3 nothing', () => {
    assert.equal(derive({ serviceSeverity: new Map([['api', 'P0']]) }).api, 'major_outage');
    assert.equal(derive({ serviceSeverity: new Map([['api', 'P1']]) }).api, 'partial_outage');
    assert.equal(derive({ serviceSeverity: new Map([['api', 'P2']]) }).api, 'degraded_performance');
    assert.equal(derive({ serviceSeverity: new Map([['api', 'P3']]) }).api, 'operational');
    assert.equal(derive({ serviceSeverity: new Map([['api', 'P0']]) }).web, 'operational', 'other components are untouched');
  });

  it('reads monitors: all down is a major outage, some down partial, degraded is degraded', () => {
    assert.equal(derive({ monitorStatus: new Map([['m1', 'down'], ['m2', 'down']]) }).probes, 'major_outage');
    assert.equal(derive({ monitorStatus: new Map([['m1', 'down'], ['m2', 'up']]) }).probes, 'partial_outage');
    assert.equal(derive({ monitorStatus: new Map([['m1', 'degraded'], ['m2', 'up']]) }).probes, 'degraded_performance');
    assert.equal(derive({ monitorStatus: new Map([['m1', 'up'], ['m2', 'up']]) }).probes, 'operational');
  });

  it('takes the worst of incidents, monitors and public incidents; maintenance over those; an override over all', () => {
    const worst = derive({ serviceSeverity: new Map([['api', 'P2']]), declared: new Map([['api', ['partial_outage' as ComponentStatus]]]) });
    assert.equal(worst.api, 'partial_outage');
    const maint = derive({ serviceSeverity: new Map([['api', 'P0']]), underMaintenance: new Set(['api']) });
    assert.equal(maint.api, 'under_maintenance');
    const over = derive({ serviceSeverity: new Map([['api', 'P0']]), underMaintenance: new Set(['api']), overrides: new Map([['api', 'degraded_performance' as ComponentStatus]]) });
    assert.equal(over.api, 'degraded_performance');
  });

  it('derives the page indicator deterministically', () => {
    assert.deepEqual(pageIndicator([], [], false), { indicator: 'none', description: 'All Systems Operational' });
    assert.deepEqual(pageIndicator(['operational', 'degraded_performance'], [], false), { indicator: 'minor', description: 'Partially Degraded Service' });
    assert.deepEqual(pageIndicator(['partial_outage'], ['minor'], false), { indicator: 'major', description: 'Partial System Outage' });
    assert.deepEqual(pageIndicator(['operational'], ['critical'], false), { indicator: 'critical', description: 'Major System Outage' });
    assert.deepEqual(pageIndicator(['under_maintenance', 'operational'], [], false), { indicator: 'maintenance', description: 'Service Under Maintenance' });
    assert.deepEqual(pageIndicator(['operational'], [], true), { indicator: 'maintenance', description: 'Service Under Maintenance' });
    assert.equal(pageIndicator(['under_maintenance', 'degraded_performance'], [], true).indicator, 'minor', 'an outage outranks maintenance');
  });
});

for (const { name: dialect, skip } of DIALECTS) {
  describe(`component statuses on the page (${dialect})`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(dialect, import.meta.url, (e, a) => ((env = e), (t = a)), { app: { monitors: false } });
    const components = async () => Object.fromEntries(((await t.app.inject({ method: 'GET', url: '/api/v2/components.json' })).json().components as { id: string; status: string }[]).map((c) => [c.id, c.status]));
    const indicator = async () => (await t.app.inject({ method: 'GET', url: '/api/v2/status.json' })).json().status;

    it('shows an open incident on its components and their group, and recovers when it resolves', async () => {
      await t.statusPage.changed();
      assert.deepEqual(await indicator(), { indicator: 'none', description: 'All Systems Operational' });
      const inc = await createIncident(env.ctx(env.users.responder.actor), { title: 'Private: api pool exhausted on db-7', severity: 'P1', services: ['api'] });
      await t.statusPage.changed();
      const during = await components();
      assert.equal(during.api, 'partial_outage');
      assert.equal(during.platform, 'partial_outage', 'the group carries its worst member');
      assert.equal(during['web-app'], 'operational');
      assert.deepEqual(await indicator(), { indicator: 'major', description: 'Partial System Outage' });
      env.clock.advance(60_000);
      await transitionIncident(env.ctx(env.users.responder.actor), inc.id, 'resolve');
      await t.statusPage.changed();
      assert.equal((await components()).api, 'operational');
      const history = await env.db.kysely.selectFrom('status_component_changes').selectAll().where('component_id', '=', 'api').orderBy('id').execute();
      assert.deepEqual(history.map((h) => `${h.from_status}>${h.to_status}`), ['operational>partial_outage', 'partial_outage>operational']);
    });

    it('lets a responder override a status, says who, and clears it', async () => {
      const set = await t.app.inject({ method: 'PUT', url: '/api/v1/status-page/components/checkout/override', headers: t.auth.responder, payload: { status: 'major_outage', reason: 'Card payments failing for everyone' } });
      assert.equal(set.statusCode, 200, set.body);
      assert.equal(set.json().status, 'major_outage');
      assert.equal(set.json().derived_status, 'operational');
      assert.equal(set.json().override.set_by, env.users.responder.handle);
      assert.equal((await components()).checkout, 'major_outage');
      // The public never sees who set it or why.
      const publicBody = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).body;
      assert.ok(!publicBody.includes('Card payments failing'));
      assert.ok(!publicBody.includes(env.users.responder.handle));
      const viewer = await t.app.inject({ method: 'PUT', url: '/api/v1/status-page/components/checkout/override', headers: t.auth.viewer, payload: { status: 'operational', reason: 'no' } });
      assert.equal(viewer.statusCode, 403);
      const cleared = await t.app.inject({ method: 'DELETE', url: '/api/v1/status-page/components/checkout/override', headers: t.auth.responder });
      assert.equal(cleared.json().override, null);
      assert.equal((await components()).checkout, 'operational');
      const audit = await env.db.kysely.selectFrom('audit_log').select('action').where('entity_type', '=', 'status_component').execute();
      assert.deepEqual(audit.map((a) => a.action), ['status_page.component_overridden', 'status_page.component_override_cleared']);
    });

    it('refuses unknown components and bad statuses', async () => {
      assert.equal((await t.app.inject({ method: 'PUT', url: '/api/v1/status-page/components/nope/override', headers: t.auth.responder, payload: { status: 'major_outage', reason: 'x' } })).statusCode, 404);
      const bad = await t.app.inject({ method: 'PUT', url: '/api/v1/status-page/components/api/override', headers: t.auth.responder, payload: { status: 'on_fire', reason: 'x' } });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.code, 'VALIDATION_FAILED');
    });
  });
}
