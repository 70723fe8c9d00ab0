import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DIALECTS } from './helpers/dialects.ts';
import { type TestApp, useTestApp } from './helpers/env.ts';

for (const { name, skip } of DIALECTS) {
  describe(`http smoke [${name}]`, { skip }, () => {
    let t: TestApp;
    useTestApp(name, import.meta.url, (_env, app) => (t = app));

    test('declare, acknowledge, list and read an incident', async () => {
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: t.auth.token, payload: { title: 'Database down', severity: 'P0', services: ['database'] } });
      assert.equal(created.statusCode, 201, created.body);
      const inc = created.json();
      assert.equal(inc.ref, 'INC-1');
      assert.deepEqual(inc.impact.impacted_services, ['api', 'auth', 'checkout', 'database', 'notifications', 'reporting', 'web', 'work-orders']);
      assert.equal(inc.impact.customer_facing, true);
      const ack = await t.app.inject({ method: 'POST', url: '/api/v1/incidents/INC-1/acknowledge', headers: t.auth.responder });
      assert.equal(ack.statusCode, 200, ack.body);
      assert.equal(ack.json().state, 'acknowledged');
      const list = await t.app.inject({ method: 'GET', url: '/api/v1/incidents?state=acknowledged', headers: t.auth.viewer });
      assert.equal(list.json().data.length, 1);
      const got = await t.app.inject({ method: 'GET', url: '/api/v1/incidents/INC-1', headers: t.auth.viewer });
      assert.deepEqual(got.json().timeline.map((e: { kind: string }) => e.kind), ['created', 'acknowledged']);
    });

    test('records a rollback and a workaround as timeline entries of their own kind', async () => {
      const rollback = await t.app.inject({ method: 'POST', url: '/api/v1/incidents/INC-1/mitigations', headers: t.auth.responder, payload: { kind: 'rollback', body: 'Rolled back the 02:10 deploy', change: 'deploy 4471' } });
      assert.equal(rollback.statusCode, 201, rollback.body);
      assert.equal(rollback.json().kind, 'rollback');
      assert.equal(rollback.json().body, 'Rollback: Rolled back the 02:10 deploy (deploy 4471)');
      assert.deepEqual(rollback.json().data, { description: 'Rolled back the 02:10 deploy', change: 'deploy 4471' });
      const workaround = await t.app.inject({ method: 'POST', url: '/api/v1/incidents/INC-1/mitigations', headers: t.auth.responder, payload: { kind: 'workaround', body: 'Traffic pinned to the EU region' } });
      assert.equal(workaround.json().kind, 'workaround');
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/incidents/INC-1/mitigations', headers: t.auth.viewer, payload: { kind: 'workaround', body: 'x' } })).statusCode, 403);
      const bad = await t.app.inject({ method: 'POST', url: '/api/v1/incidents/INC-1/mitigations', headers: t.auth.responder, payload: { kind: 'prayer', body: 'x' } });
      assert.equal(bad.json().error.code, 'VALIDATION_FAILED');
      const timeline = (await t.app.inject({ method: 'GET', url: '/api/v1/incidents/INC-1', headers: t.auth.viewer })).json().timeline;
      assert.deepEqual(timeline.map((e: { kind: string }) => e.kind).slice(-2), ['rollback', 'workaround']);
    });
  });
}
