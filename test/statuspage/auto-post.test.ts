import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { addServices, createIncident, getIncidentTimeline, transitionIncident } from '../../src/modules/incidents/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from '../helpers/env.ts';
import { patchedConfig, statusDriver } from './statuspage-kit.ts';

const MIN = 60_000;

for (const { name: dialect, skip } of DIALECTS) {
  describe(`automatic status page posts (${dialect})`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    let driver: Awaited<ReturnType<typeof statusDriver>>;
    before(async () => {
      env = await createTestEnv(dialect, import.meta.url);
      env.config.current = patchedConfig((doc) => {
        doc.status_page.templates = { investigating: 'Problems with {{components}} since {{started_at}}. <b>Updates</b> at {{status_url}}.' };
      });
      t = await createTestApp(env, { monitors: false });
      driver = await statusDriver(env);
    });
    after(async () => {
      await t?.app.close();
      await env?.close();
    });
    beforeEach(async () => {
      // Each case starts with nothing open, a minute later.
      const open = await env.db.kysely.selectFrom('incidents').select('id').where('state', 'not in', ['resolved', 'closed']).execute();
      for (const { id } of open) await transitionIncident(env.ctx(), id, 'resolve');
      await driver.settle();
      env.clock.advance(MIN);
    });

    const responder = () => env.ctx(env.users.responder.actor);
    const publication = async (ref: string) => (await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${ref}/status-page`, headers: t.auth.viewer })).json();
    const unresolved = async () => {
      await t.statusPage.changed();
      return (await t.app.inject({ method: 'GET', url: '/api/v2/incidents/unresolved.json' })).json().incidents as { id: string; name: string; status: string; impact: string; incident_updates: { status: string; body: string }[]; components: { id: string }[] }[];
    };

    it('posts a customer-facing P0 after the delay, from the template, and records the time to first post', async () => {
      const inc = await createIncident(responder(), { title: 'db-primary-3 OOM killed by kernel', severity: 'P0', services: ['web'], description: 'Ask @carol, pager 555-0100' });
      await driver.settle();
      const pending = await publication(inc.ref);
      assert.equal(pending.eligible, true);
      assert.match(pending.reason, /customer-facing P0/);
      assert.equal(pending.public_incident, null);
      assert.equal(Date.parse(pending.auto_post_due_at) - Date.parse(inc.detected_at), 2 * MIN, 'due after auto_post.delay');
      assert.deepEqual(await unresolved(), [], 'nothing public before the delay');
      env.clock.advance(2 * MIN);
      await driver.settle();
      const [posted] = await unresolved();
      assert.ok(posted, 'posted after the delay');
      assert.equal(posted.name, 'Service disruption: Web application');
      assert.equal(posted.status, 'investigating');
      assert.equal(posted.impact, 'critical');
      assert.deepEqual(posted.components.map((c) => c.id), ['web-app']);
      assert.match(posted.incident_updates[0].body, /^Problems with Web application since 1 Jun 2026, 04:1\d CEST\. <b>Updates<\/b> at http:\/\/localhost:8080\/status\.$/);
      const after = await publication(inc.ref);
      assert.equal(after.time_to_first_post_s, 120);
      assert.equal(after.public_incident.source, 'auto');
      assert.ok(after.time_to_first_post_s <= 300, 'within the plan’s 5 minutes');
      const timeline = await getIncidentTimeline(env.ctx(), inc.ref);
      const entry = timeline.find((e) => e.kind === 'status_page');
      assert.ok(entry);
      assert.match(entry.body, /first public post 120 s after detection/);
      assert.equal(entry.data.seconds_since_detection, 120);
    });

    it('posts after a restart: the pending post is a database timer, not memory', async () => {
      const inc = await createIncident(responder(), { title: 'P0 before a restart', severity: 'P0', services: ['api'] });
      await driver.settle();
      assert.notEqual((await publication(inc.ref)).auto_post_due_at, null);
      // The node goes away with the post pending; a new one (new app, new workers) comes up later.
      await t.app.close();
      t = await createTestApp(env, { monitors: false });
      driver = await statusDriver(env);
      env.clock.advance(3 * MIN);
      await driver.settle();
      const after = await publication(inc.ref);
      assert.equal(after.public_incident?.source, 'auto');
      assert.equal(after.time_to_first_post_s, 180);
      await transitionIncident(responder(), inc.id, 'resolve');
      await driver.settle();
    });

    it('publishes the resolution when the internal incident resolves', async () => {
      const inc = await createIncident(responder(), { title: 'P1 on checkout', severity: 'P1', services: ['checkout'] });
      env.clock.advance(3 * MIN);
      await driver.settle();
      assert.equal((await unresolved()).length, 1);
      await transitionIncident(responder(), inc.id, 'resolve');
      await driver.settle();
      assert.deepEqual(await unresolved(), []);
      const pub = await publication(inc.ref);
      assert.equal(pub.public_incident.status, 'resolved');
      assert.equal(pub.public_incident.updates[0].status, 'resolved');
      assert.notEqual(pub.public_incident.resolved_at, null);
    });

    it('does not post when a responder opts out, and posts at once when the opt-out is withdrawn late', async () => {
      const inc = await createIncident(responder(), { title: 'P0 on api', severity: 'P0', services: ['api'] });
      await driver.settle();
      const out = await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${inc.ref}/status-page/opt-out`, headers: t.auth.responder, payload: { reason: 'internal staging only' } });
      assert.equal(out.statusCode, 200, out.body);
      assert.equal(out.json().opted_out.reason, 'internal staging only');
      assert.equal(out.json().auto_post_due_at, null);
      env.clock.advance(10 * MIN);
      await driver.settle();
      assert.deepEqual(await unresolved(), []);
      const back = await t.app.inject({ method: 'DELETE', url: `/api/v1/incidents/${inc.ref}/status-page/opt-out`, headers: t.auth.responder });
      assert.equal(back.json().opted_out, null);
      await driver.settle();
      assert.equal((await unresolved()).length, 1, 'overdue: posted at once');
    });

    it('posts any incident affecting more than 10% of users, and not a small internal one', async () => {
      // reporting: not customer-facing paths aside, 20% of users.
      const big = await createIncident(responder(), { title: 'reports slow', severity: 'P3', services: ['reporting'] });
      const small = await createIncident(responder(), { title: 'docs typo', severity: 'P3', services: ['docs'] });
      await driver.settle();
      const bigPub = await publication(big.ref);
      assert.equal(bigPub.eligible, true, bigPub.reason);
      assert.match(bigPub.reason, /% of users affected \(above 10%\)/);
      const smallPub = await publication(small.ref);
      assert.equal(smallPub.eligible, false);
      assert.match(smallPub.reason, /is not above 10%/);
      env.clock.advance(2 * MIN);
      await driver.settle();
      const list = await unresolved();
      assert.equal(list.length, 1);
      assert.equal(list[0].impact, 'minor', 'a P3 shows as degraded at least');
    });

    it('starts qualifying when the incident grows past 10% of users', async () => {
      const inc = await createIncident(responder(), { title: 'docs down', severity: 'P3', services: ['docs'] });
      await driver.settle();
      assert.equal((await publication(inc.ref)).eligible, false);
      await addServices(responder(), inc.ref, { services: ['work-orders'] });
      await driver.settle();
      const pub = await publication(inc.ref);
      assert.equal(pub.eligible, true, pub.reason);
      assert.notEqual(pub.auto_post_due_at, null);
    });

    it('tells customers again when a posted incident reopens, and refuses a second public incident for it', async () => {
      const inc = await createIncident(responder(), { title: 'P1 checkout', severity: 'P1', services: ['checkout'] });
      env.clock.advance(3 * MIN);
      await driver.settle();
      const [posted] = await unresolved();
      const second = await t.app.inject({ method: 'POST', url: '/api/v1/status-page/incidents', headers: t.auth.responder, payload: { name: 'Again', body: 'x', incident: inc.ref } });
      assert.equal(second.statusCode, 409, second.body);
      assert.equal(second.json().error.code, 'CONFLICT');
      await transitionIncident(responder(), inc.id, 'resolve');
      await driver.settle();
      assert.deepEqual(await unresolved(), []);
      await transitionIncident(responder(), inc.id, 'reopen');
      await driver.settle();
      const [back] = await unresolved();
      assert.equal(back?.id, posted.id, 'the same public incident, reopened');
      assert.equal(back.status, 'investigating');
      assert.deepEqual(back.components.map((c) => c.id), ['checkout']);
    });

    it('says what components really show when a public incident resolves while another keeps one down', async () => {
      const other = await createIncident(responder(), { title: 'api still broken', severity: 'P1', services: ['api'] });
      const made = await t.app.inject({ method: 'POST', url: '/api/v1/status-page/incidents', headers: t.auth.responder, payload: { name: 'API and sign-in', body: 'x', components: { api: 'major_outage', 'sign-in': 'degraded_performance' } } });
      const id = made.json().id;
      const done = await t.app.inject({ method: 'POST', url: `/api/v1/status-page/incidents/${id}/updates`, headers: t.auth.responder, payload: { status: 'resolved', body: 'Sign-in is fine.' } });
      const affected = Object.fromEntries(done.json().updates[0].affected_components.map((a: { code: string; new_status: string }) => [a.code, a.new_status]));
      assert.deepEqual(affected, { api: 'partial_outage', 'sign-in': 'operational' }, 'api is still down by the internal P1');
      // Reopened without naming components: nothing comes back silently.
      const reopened = await t.app.inject({ method: 'POST', url: `/api/v1/status-page/incidents/${id}/updates`, headers: t.auth.responder, payload: { status: 'investigating', body: 'Back.' } });
      assert.deepEqual(Object.values(reopened.json().components), ['operational', 'operational']);
      await t.app.inject({ method: 'POST', url: `/api/v1/status-page/incidents/${id}/updates`, headers: t.auth.responder, payload: { status: 'resolved', body: 'Done.' } });
      await transitionIncident(responder(), other.id, 'resolve');
    });

    it('moves the public incident to the root incident when its incident is merged, instead of resolving it', async () => {
      const dependent = await createIncident(responder(), { title: 'web down', severity: 'P0', services: ['web'] });
      env.clock.advance(3 * MIN);
      await driver.settle();
      const [posted] = await unresolved();
      const root = await createIncident(responder(), { title: 'database down', severity: 'P0', services: ['database'] });
      await env.db.kysely.updateTable('incidents').set({ merged_into: root.id }).where('id', '=', dependent.id).execute();
      await transitionIncident(responder(), dependent.id, 'resolve', { note: 'merged' });
      await driver.settle();
      const list = await unresolved();
      assert.deepEqual(list.map((i) => i.id), [posted.id], 'still open, and no second post for the root');
      assert.equal((await publication(root.ref)).public_incident.id, posted.id);
      env.clock.advance(3 * MIN);
      await driver.settle();
      assert.equal((await unresolved()).length, 1, 'the root’s own automatic post found it posted');
      await transitionIncident(responder(), root.id, 'resolve');
      await driver.settle();
      assert.deepEqual(await unresolved(), [], 'resolved with the root');
    });

    it('publishes later phases in one action, with edits, and refuses a viewer', async () => {
      const inc = await createIncident(responder(), { title: 'P2 internal', severity: 'P2', services: ['docs'] });
      await driver.settle();
      assert.equal((await publication(inc.ref)).eligible, false);
      const viewer = await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${inc.ref}/status-page/publish`, headers: t.auth.viewer, payload: {} });
      assert.equal(viewer.statusCode, 403);
      const first = await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${inc.ref}/status-page/publish`, headers: t.auth.responder, payload: {} });
      assert.equal(first.statusCode, 200, first.body);
      assert.equal(first.json().public_incident.status, 'investigating');
      assert.equal(first.json().public_incident.source, 'manual');
      await transitionIncident(responder(), inc.id, 'acknowledge');
      await transitionIncident(responder(), inc.id, 'identify');
      const draft = (await publication(inc.ref)).draft;
      assert.equal(draft.status, 'identified');
      assert.match(draft.body, /identified the cause/);
      const second = await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${inc.ref}/status-page/publish`, headers: t.auth.responder, payload: { body: 'A bad deploy; rolling back now.' } });
      const pi = second.json().public_incident;
      assert.equal(pi.status, 'identified');
      assert.equal(pi.updates.length, 2);
      assert.equal(pi.updates[0].body, 'A bad deploy; rolling back now.');
    });
  });
}
