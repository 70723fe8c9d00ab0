import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUser } from '../../src/modules/auth/index.ts';
import { systemActor, type Actor } from '../../src/modules/context.ts';
import {
  INCIDENT_STATES,
  LIFECYCLE_VERBS,
  LIFECYCLE_VERB_NAMES,
  addNote,
  addServices,
  assignRole,
  changeSeverity,
  createIncident,
  getIncident,
  listIncidents,
  transitionIncident,
  updateIncident,
  type IncidentState,
  type LifecycleVerb,
} from '../../src/modules/incidents/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { incidentCounter, incidentIn, lastAuditAndEvent, rejectsWith, rowCounts, snapshot } from './incident-helpers.ts';

/**
 * The lifecycle as the response plan describes it, written out independently of the code:
 * state → verb → resulting state. Every pair not listed must be refused.
 */
const SPEC: Record<IncidentState, Partial<Record<LifecycleVerb, IncidentState>>> = {
  triggered: { acknowledge: 'acknowledged', investigate: 'investigating', resolve: 'resolved' },
  acknowledged: { investigate: 'investigating', identify: 'identified', monitor: 'monitoring', resolve: 'resolved' },
  investigating: { identify: 'identified', monitor: 'monitoring', resolve: 'resolved' },
  identified: { investigate: 'investigating', monitor: 'monitoring', resolve: 'resolved' },
  monitoring: { investigate: 'investigating', identify: 'identified', resolve: 'resolved' },
  resolved: { close: 'closed', reopen: 'investigating' },
  closed: {},
};
const allowedIn = (state: IncidentState) => LIFECYCLE_VERB_NAMES.filter((v) => SPEC[state][v] !== undefined);
const MINUTE = 60_000;

test('the state machine matches the written-out lifecycle', () => {
  assert.deepEqual([...INCIDENT_STATES].sort(), Object.keys(SPEC).sort());
  for (const verb of LIFECYCLE_VERB_NAMES) {
    const from = INCIDENT_STATES.filter((s) => SPEC[s][verb] !== undefined);
    assert.deepEqual([...LIFECYCLE_VERBS[verb].from].sort(), [...from].sort(), `${verb}: from`);
    for (const s of from) assert.equal(LIFECYCLE_VERBS[verb].to, SPEC[s][verb], `${verb}: to`);
  }
});

for (const { name, skip } of DIALECTS) {
  describe(`incident lifecycle [${name}]`, { skip }, () => {
    let env: TestEnv;
    let responder: Actor;
    let admin: Actor;
    let viewer: Actor;
    before(async () => {
      env = await createTestEnv(name, import.meta.url);
      responder = env.users.responder.actor;
      admin = env.users.admin.actor;
      viewer = env.users.viewer.actor;
    });
    after(async () => {
      await env?.close();
    });

    describe('every state × every verb', () => {
      for (const state of INCIDENT_STATES) {
        for (const verb of LIFECYCLE_VERB_NAMES) {
          const to = SPEC[state][verb];
          if (to) {
            test(`${state} --${verb}--> ${to}`, async () => {
              const inc = await incidentIn(env, state, responder);
              const before = await rowCounts(env, inc.id);
              env.clock.advance(MINUTE);
              const now = env.clock.now();
              const view = await transitionIncident(env.ctx(responder), inc.ref, verb);
              assert.equal(view.state, to);
              assert.deepEqual(view.allowed_actions, allowedIn(to));
              assert.equal(view.updated_at, new Date(now).toISOString());

              const kind = verb === 'reopen' ? 'reopened' : to;
              assert.deepEqual(await rowCounts(env, inc.id), { ...before, timeline: before.timeline + 1, audit: before.audit + 1, outbox: before.outbox + 1 });
              const { timeline } = await getIncident(env.ctx(viewer), inc.ref);
              const entry = timeline.at(-1)!;
              assert.equal(entry.kind, kind);
              assert.equal(entry.at, new Date(now).toISOString());
              assert.deepEqual(entry.actor, { type: 'user', id: env.users.responder.id, name: env.users.responder.handle });
              // A resolution says how it ended (a plain transition: fixed).
              const data = to === 'resolved' ? { from: state, to, verb, resolution: 'fixed' } : { from: state, to, verb };
              assert.deepEqual(entry.data, data);
              assert.equal(entry.body, verb === 'reopen' ? 'Reopened' : `State ${state} → ${to}`);

              const { audit, event } = await lastAuditAndEvent(env, inc.id);
              assert.equal(audit.action, `incident.${kind}`);
              assert.equal(audit.entity_type, 'incident');
              assert.equal(audit.actor_id, env.users.responder.id);
              assert.equal(audit.request_id, 'test');
              assert.equal(Number(audit.at), now);
              assert.deepEqual(audit.data, { ref: inc.ref, ...data });
              assert.equal(event.topic, `incident.${kind}`);
              assert.equal(event.aggregate_type, 'incident');
              assert.equal(Number(event.at), now);
              assert.deepEqual(event.payload, { ref: inc.ref, ...data, actor: { type: 'user', id: env.users.responder.id, name: env.users.responder.handle } });
            });
          } else {
            test(`${state} --${verb}--> INVALID_TRANSITION`, async () => {
              const inc = await incidentIn(env, state, responder);
              const before = await snapshot(env, inc.id);
              env.clock.advance(MINUTE);
              const err = await rejectsWith(transitionIncident(env.ctx(responder), inc.ref, verb), 'INVALID_TRANSITION');
              assert.deepEqual(err.details, { from: state, verb, to: LIFECYCLE_VERBS[verb].to, allowed: allowedIn(state) });
              assert.match(err.message, new RegExp(`cannot ${verb} an incident that is ${state}`));
              if (state === 'closed') assert.match(err.message, /closed is final/);
              else for (const v of allowedIn(state)) assert.ok(err.message.includes(v), `message lists ${v}`);
              assert.deepEqual(await snapshot(env, inc.id), before, 'nothing written');
            });
          }
        }
      }
    });

    describe('KPI timestamps', () => {
      test('first acknowledgement is kept, resolved_at is set and cleared on reopen, closed_at set', async () => {
        const t0 = env.clock.now();
        const inc = await createIncident(env.ctx(responder), { title: 'Checkout errors', severity: 'P1', services: ['checkout'] });
        const at = (ms: number) => new Date(ms).toISOString();
        assert.equal(inc.triggered_at, at(t0));
        assert.equal(inc.detected_at, at(t0));
        assert.equal(inc.created_at, at(t0));
        assert.equal(inc.acknowledged_at, null);
        assert.equal(inc.resolved_at, null);
        assert.equal(inc.closed_at, null);
        assert.equal(inc.reopen_count, 0);

        const step = async (verb: LifecycleVerb, minutes: number) => {
          env.clock.advance(minutes * MINUTE);
          return transitionIncident(env.ctx(responder), inc.ref, verb, { note: `${verb} note` });
        };
        let v = await step('acknowledge', 2);
        const ackAt = at(t0 + 2 * MINUTE);
        assert.equal(v.acknowledged_at, ackAt);
        v = await step('investigate', 3);
        assert.equal(v.acknowledged_at, ackAt, 'investigating does not move the acknowledgement');
        v = await step('identify', 5);
        v = await step('monitor', 5);
        assert.equal(v.acknowledged_at, ackAt);
        v = await step('resolve', 10);
        const firstResolve = t0 + 25 * MINUTE;
        assert.equal(v.resolved_at, at(firstResolve));
        assert.equal(v.closed_at, null);

        v = await step('reopen', 30);
        assert.equal(v.state, 'investigating');
        assert.equal(v.resolved_at, null, 'reopen clears resolved_at');
        assert.equal(v.reopen_count, 1);
        assert.equal(v.acknowledged_at, ackAt, 'reopen keeps the first acknowledgement');
        assert.equal(v.triggered_at, at(t0), 'reopen keeps triggered_at');

        v = await step('resolve', 15);
        const secondResolve = t0 + 70 * MINUTE;
        assert.equal(v.resolved_at, at(secondResolve));
        v = await step('reopen', 1);
        assert.equal(v.reopen_count, 2);
        v = await step('resolve', 4);
        const finalResolve = t0 + 75 * MINUTE;
        assert.equal(v.resolved_at, at(finalResolve));

        v = await step('close', 60);
        assert.equal(v.state, 'closed');
        assert.equal(v.closed_at, at(t0 + 135 * MINUTE));
        assert.equal(v.resolved_at, at(finalResolve), 'closing keeps resolved_at');
        assert.equal(v.acknowledged_at, ackAt);
        assert.equal(v.reopen_count, 2);
        assert.equal(v.updated_at, at(t0 + 135 * MINUTE));
        assert.deepEqual(v.allowed_actions, []);

        const { timeline } = await getIncident(env.ctx(viewer), inc.ref);
        assert.deepEqual(
          timeline.map((e) => e.kind),
          ['created', 'acknowledged', 'investigating', 'identified', 'monitoring', 'resolved', 'reopened', 'resolved', 'reopened', 'resolved', 'closed'],
        );
        assert.equal(timeline[1].body, 'State triggered → acknowledged: acknowledge note');
        assert.deepEqual(timeline[1].data, { from: 'triggered', to: 'acknowledged', verb: 'acknowledge', note: 'acknowledge note' });
        assert.equal(timeline[6].body, 'Reopened: reopen note');
      });

      test('investigating straight from triggered counts as the acknowledgement', async () => {
        const inc = await createIncident(env.ctx(responder), { title: 'Slow API', severity: 'P2', services: ['api'] });
        env.clock.advance(7 * MINUTE);
        const v = await transitionIncident(env.ctx(responder), inc.ref, 'investigate');
        assert.equal(v.acknowledged_at, new Date(env.clock.now()).toISOString());
      });

      test('resolving an unacknowledged incident leaves acknowledged_at empty; a reopen then acknowledges it', async () => {
        const inc = await createIncident(env.ctx(responder), { title: 'Flapping alert', severity: 'P3', services: ['docs'] });
        env.clock.advance(MINUTE);
        let v = await transitionIncident(env.ctx(responder), inc.ref, 'resolve');
        assert.equal(v.acknowledged_at, null);
        assert.equal(v.resolved_at, new Date(env.clock.now()).toISOString());
        env.clock.advance(MINUTE);
        v = await transitionIncident(env.ctx(responder), inc.ref, 'reopen');
        assert.equal(v.acknowledged_at, new Date(env.clock.now()).toISOString());
        assert.equal(v.resolved_at, null);
      });

      test('a blank transition note is not recorded', async () => {
        const inc = await createIncident(env.ctx(responder), { title: 'Blank note', severity: 'P3' });
        await transitionIncident(env.ctx(responder), inc.ref, 'acknowledge', { note: '   ' });
        const entry = (await getIncident(env.ctx(viewer), inc.ref)).timeline.at(-1)!;
        assert.equal(entry.body, 'State triggered → acknowledged');
        assert.deepEqual(entry.data, { from: 'triggered', to: 'acknowledged', verb: 'acknowledge' });
      });
    });

    describe('create', () => {
      test('numbers incidents in sequence, computes impact from the service graph and records the creation', async () => {
        const first = await incidentCounter(env);
        const a = await createIncident(env.ctx(responder), { title: 'Cache down', severity: 'P1', services: ['cache'], description: 'Redis is gone', war_room_url: 'https://meet.example.com/inc' });
        const b = await createIncident(env.ctx(responder), { title: 'Docs typo', severity: 'P3', services: ['docs'] });
        assert.equal(a.number, first + 1);
        assert.equal(a.ref, `INC-${first + 1}`);
        assert.equal(b.number, first + 2);
        assert.equal(await incidentCounter(env), first + 2);

        assert.equal(a.state, 'triggered');
        assert.equal(a.severity_source, 'human');
        assert.equal(a.source, 'manual');
        assert.equal(a.created_by, env.users.responder.handle);
        assert.equal(a.description, 'Redis is gone');
        assert.equal(a.war_room_url, 'https://meet.example.com/inc');
        assert.deepEqual(a.services, ['cache']);
        // cache ← api, auth; api ← web, checkout, work-orders, notifications (examples/firebreak.yaml).
        assert.deepEqual(a.impact, {
          customer_facing: true,
          user_share: 1,
          impacted_services: ['api', 'auth', 'cache', 'checkout', 'notifications', 'web', 'work-orders'],
          highest_tier: 'p0',
        });
        assert.deepEqual(b.impact, { customer_facing: true, user_share: 0.05, impacted_services: ['docs'], highest_tier: 'p3' });
        assert.deepEqual(a.allowed_actions, allowedIn('triggered'));
        assert.deepEqual(a.roles, { commander: null, communications_lead: null, scribe: null, responders: [] });

        // What create returns is what a later read returns.
        const { timeline, recent_changes: _changes, postmortem: _pm, ...read } = await getIncident(env.ctx(viewer), a.ref);
        assert.deepEqual(read, a);
        assert.equal(timeline.length, 1);
        assert.equal(timeline[0].kind, 'created');
        assert.equal(timeline[0].body, 'P1 incident declared: Cache down');
        assert.deepEqual(await rowCounts(env, a.id), { incidents: 1, timeline: 1, audit: 1, outbox: 1, services: 1, roles: 0 });
        const { audit, event } = await lastAuditAndEvent(env, a.id);
        assert.equal(audit.action, 'incident.created');
        assert.equal(event.topic, 'incident.created');
        assert.equal(event.payload.severity, 'P1');
        assert.deepEqual(event.payload.services, ['cache']);
      });

      test('a database outage marks every dependent as impacted', async () => {
        const inc = await createIncident(env.ctx(responder), { title: 'DB down', severity: 'P0', services: ['database'] });
        assert.deepEqual(inc.impact.impacted_services, ['api', 'auth', 'checkout', 'database', 'notifications', 'reporting', 'web', 'work-orders']);
        assert.equal(inc.impact.highest_tier, 'p0');
        // A leaf with no customer-facing dependents.
        const storage = await createIncident(env.ctx(responder), { title: 'S3 slow', severity: 'P2', services: ['reporting'] });
        assert.deepEqual(storage.impact, { customer_facing: true, user_share: 0.2, impacted_services: ['reporting'], highest_tier: 'p2' });
        const none = await createIncident(env.ctx(responder), { title: 'Unknown scope', severity: 'P3' });
        assert.deepEqual(none.impact, { customer_facing: false, user_share: 0, impacted_services: [], highest_tier: null });
        assert.deepEqual(none.services, []);
      });

      test('duplicate services are stored once', async () => {
        const inc = await createIncident(env.ctx(responder), { title: 'Dupes', severity: 'P3', services: ['docs', 'docs', 'cache', 'docs'] });
        assert.deepEqual([...inc.services].sort(), ['cache', 'docs']);
        assert.equal((await rowCounts(env, inc.id)).services, 2);
      });

      test('a commander named at creation is assigned in the same transaction', async () => {
        const inc = await createIncident(env.ctx(responder), { title: 'With IC', severity: 'P1', services: ['auth'], commander: env.users.admin.handle });
        assert.equal(inc.roles.commander, env.users.admin.handle);
        const { timeline, recent_changes: _changes, postmortem: _pm, ...read } = await getIncident(env.ctx(viewer), inc.ref);
        assert.deepEqual(read, inc);
        assert.deepEqual(timeline.map((e) => e.kind), ['created', 'role_assigned']);
        assert.deepEqual(await rowCounts(env, inc.id), { incidents: 1, timeline: 2, audit: 2, outbox: 2, services: 1, roles: 1 });
      });

      test('detected_at: an earlier time is kept, a little skew is clamped, the future is refused', async () => {
        const now = env.clock.now();
        const earlier = await createIncident(env.ctx(responder), { title: 'Old alert', severity: 'P3', detected_at: new Date(now - 30 * MINUTE).toISOString() });
        assert.equal(earlier.detected_at, new Date(now - 30 * MINUTE).toISOString());
        assert.equal(earlier.triggered_at, new Date(now).toISOString());
        const skewed = await createIncident(env.ctx(responder), { title: 'Skewed clock', severity: 'P3', detected_at: new Date(now + 2 * MINUTE).toISOString() });
        assert.equal(skewed.detected_at, new Date(now).toISOString());
        const counter = await incidentCounter(env);
        const err = await rejectsWith(createIncident(env.ctx(responder), { title: 'Future', severity: 'P3', detected_at: new Date(now + 60 * MINUTE).toISOString() }), 'VALIDATION_FAILED');
        assert.deepEqual(err.details, { issues: [{ path: 'detected_at', message: 'must not be in the future' }] });
        assert.equal(await incidentCounter(env), counter);
      });

      test('unknown services are refused together, nothing is written and the number is not used', async () => {
        const counter = await incidentCounter(env);
        const outbox = await env.db.kysely.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        const err = await rejectsWith(createIncident(env.ctx(responder), { title: 'Bad refs', severity: 'P2', services: ['api', 'nope', 'ghost'] }), 'UNKNOWN_SERVICE');
        assert.deepEqual(err.details.unknown, ['nope', 'ghost']);
        assert.match(err.message, /unknown services: nope, ghost/);
        assert.equal(await incidentCounter(env), counter);
        const outboxAfter = await env.db.kysely.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(outboxAfter.n), Number(outbox.n));
        const next = await createIncident(env.ctx(responder), { title: 'Good refs', severity: 'P2', services: ['api'] });
        assert.equal(next.number, counter + 1, 'no gap in the numbering');
      });

      test('an unknown or disabled commander is UNKNOWN_USER and nothing is written', async () => {
        const counter = await incidentCounter(env);
        const incidents = Number((await env.db.kysely.selectFrom('incidents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
        const err = await rejectsWith(createIncident(env.ctx(responder), { title: 'No such IC', severity: 'P2', commander: 'nobody' }), 'UNKNOWN_USER');
        assert.deepEqual(err.details, { user: 'nobody' });
        assert.equal(await incidentCounter(env), counter);
        assert.equal(Number((await env.db.kysely.selectFrom('incidents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), incidents);
      });

      test('input is validated: severity, title, unknown fields', async () => {
        await assert.rejects(createIncident(env.ctx(responder), { title: 'x', severity: 'P9' as 'P0' }), { name: 'ZodError' });
        await assert.rejects(createIncident(env.ctx(responder), { title: '   ', severity: 'P1' }), { name: 'ZodError' });
        await assert.rejects(createIncident(env.ctx(responder), { title: 'x', severity: 'P1', colour: 'red' } as never), { name: 'ZodError' });
        await assert.rejects(createIncident(env.ctx(responder), { title: 'x', severity: 'P1', war_room_url: 'javascript:alert(1)' }), { name: 'ZodError' });
      });
    });

    describe('permissions', () => {
      test('a viewer cannot create or change incidents, but can read them', async () => {
        const counter = await incidentCounter(env);
        const err = await rejectsWith(createIncident(env.ctx(viewer), { title: 'Viewer try', severity: 'P1' }), 'FORBIDDEN');
        assert.deepEqual(err.details, { needed: 'responder' });
        assert.equal(await incidentCounter(env), counter);

        const inc = await incidentIn(env, 'triggered', responder);
        const before = await snapshot(env, inc.id);
        const v = env.ctx(viewer);
        await rejectsWith(transitionIncident(v, inc.ref, 'acknowledge'), 'FORBIDDEN');
        await rejectsWith(addNote(v, inc.ref, { body: 'hi' }), 'FORBIDDEN');
        await rejectsWith(changeSeverity(v, inc.ref, { severity: 'P0', reason: 'worse' }), 'FORBIDDEN');
        await rejectsWith(assignRole(v, inc.ref, { role: 'commander', user: env.users.viewer.handle }), 'FORBIDDEN');
        await rejectsWith(addServices(v, inc.ref, { services: ['api'] }), 'FORBIDDEN');
        await rejectsWith(updateIncident(v, inc.ref, { title: 'renamed' }), 'FORBIDDEN');
        assert.deepEqual(await snapshot(env, inc.id), before);
        assert.equal((await getIncident(v, inc.ref)).id, inc.id);
      });

      test('an anonymous actor is UNAUTHENTICATED, even for reads', async () => {
        const anon: Actor = { type: 'anonymous', userId: null, name: 'anonymous', role: null };
        await rejectsWith(createIncident(env.ctx(anon), { title: 'Anon', severity: 'P1' }), 'UNAUTHENTICATED');
        await rejectsWith(getIncident(env.ctx(anon), 'INC-1'), 'UNAUTHENTICATED');
      });

      test('admins and the system can act', async () => {
        const a = await createIncident(env.ctx(admin), { title: 'By admin', severity: 'P3' });
        assert.equal(a.created_by, env.users.admin.handle);
        const s = await createIncident(env.ctx(systemActor('monitor')), { title: 'By system', severity: 'P3', source: 'automated' });
        assert.equal(s.created_by, 'monitor');
        assert.equal(s.source, 'automated');
        const entry = (await getIncident(env.ctx(viewer), s.ref)).timeline[0];
        assert.deepEqual(entry.actor, { type: 'system', id: null, name: 'monitor' });
      });
    });

    describe('lookups', () => {
      test('INC-n, n and the id all find the incident; unknown refs are NOT_FOUND', async () => {
        const inc = await incidentIn(env, 'triggered', responder);
        for (const ref of [inc.ref, inc.ref.toLowerCase(), String(inc.number), inc.id]) assert.equal((await getIncident(env.ctx(viewer), ref)).id, inc.id, ref);
        for (const ref of ['INC-999999', 'inc_nope', 'INC-']) await rejectsWith(getIncident(env.ctx(viewer), ref), 'NOT_FOUND');
        await rejectsWith(transitionIncident(env.ctx(responder), 'INC-999999', 'acknowledge'), 'NOT_FOUND');
      });
    });

    describe('roles', () => {
      test('commander, communications lead and scribe have one holder; assigning replaces', async () => {
        const inc = await incidentIn(env, 'acknowledged', responder);
        const ctx = env.ctx(responder);
        let v = await assignRole(ctx, inc.ref, { role: 'commander', user: env.users.responder.handle });
        assert.equal(v.roles.commander, env.users.responder.handle);
        v = await assignRole(ctx, inc.ref, { role: 'commander', user: env.users.admin.handle });
        assert.equal(v.roles.commander, env.users.admin.handle);
        v = await assignRole(ctx, inc.ref, { role: 'communications_lead', user: env.users.viewer.handle });
        v = await assignRole(ctx, inc.ref, { role: 'scribe', user: env.users.responder.handle });
        assert.deepEqual(v.roles, { commander: env.users.admin.handle, communications_lead: env.users.viewer.handle, scribe: env.users.responder.handle, responders: [] });
        const rows = await env.db.kysely.selectFrom('incident_roles').select(['role', 'user_id']).where('incident_id', '=', inc.id).where('role', '=', 'commander').execute();
        assert.deepEqual(rows, [{ role: 'commander', user_id: env.users.admin.id }]);

        // Assigning the current holder again changes nothing and writes nothing.
        const before = await rowCounts(env, inc.id);
        await assignRole(ctx, inc.ref, { role: 'commander', user: env.users.admin.handle });
        assert.deepEqual(await rowCounts(env, inc.id), before);

        const { timeline } = await getIncident(env.ctx(viewer), inc.ref);
        const roleEntries = timeline.filter((e) => e.kind === 'role_assigned');
        assert.deepEqual(
          roleEntries.map((e) => e.body),
          [
            `${env.users.responder.handle} is incident commander`,
            `${env.users.admin.handle} is incident commander`,
            `${env.users.viewer.handle} is communications lead`,
            `${env.users.responder.handle} is scribe`,
          ],
        );
        const { audit, event } = await lastAuditAndEvent(env, inc.id);
        assert.equal(audit.action, 'incident.role_assigned');
        assert.equal(event.topic, 'incident.role_assigned');
        assert.deepEqual(event.payload.role, 'scribe');
      });

      test('responders are a set; remove takes one out; removing a non-holder is NOT_FOUND', async () => {
        const inc = await incidentIn(env, 'investigating', responder);
        const ctx = env.ctx(responder);
        await assignRole(ctx, inc.ref, { role: 'responder', user: env.users.responder.handle });
        env.clock.advance(1000);
        let v = await assignRole(ctx, inc.ref, { role: 'responder', user: env.users.admin.handle });
        assert.deepEqual(v.roles.responders, [env.users.responder.handle, env.users.admin.handle], 'in the order they joined');
        const before = await rowCounts(env, inc.id);
        v = await assignRole(ctx, inc.ref, { role: 'responder', user: env.users.admin.handle });
        assert.deepEqual(v.roles.responders, [env.users.responder.handle, env.users.admin.handle]);
        assert.deepEqual(await rowCounts(env, inc.id), before, 'adding an existing responder is a no-op');

        env.clock.advance(MINUTE);
        v = await assignRole(ctx, inc.ref, { role: 'responder', user: env.users.responder.handle, action: 'remove' });
        assert.deepEqual(v.roles.responders, [env.users.admin.handle]);
        assert.equal(v.updated_at, new Date(env.clock.now()).toISOString());
        const entry = (await getIncident(env.ctx(viewer), inc.ref)).timeline.at(-1)!;
        assert.equal(entry.kind, 'role_removed');
        assert.equal(entry.body, `${env.users.responder.handle} is no longer a responder`);
        assert.deepEqual(entry.data, { role: 'responder', user: env.users.responder.handle });
        const { event } = await lastAuditAndEvent(env, inc.id);
        assert.equal(event.topic, 'incident.role_removed');

        const snap = await snapshot(env, inc.id);
        const err = await rejectsWith(assignRole(ctx, inc.ref, { role: 'responder', user: env.users.responder.handle, action: 'remove' }), 'NOT_FOUND');
        assert.match(err.message, /is not a responder/);
        await rejectsWith(assignRole(ctx, inc.ref, { role: 'commander', user: env.users.admin.handle, action: 'remove' }), 'NOT_FOUND');
        assert.deepEqual(await snapshot(env, inc.id), snap);

        // Removing the single holder of a role empties it.
        await assignRole(ctx, inc.ref, { role: 'commander', user: env.users.admin.handle });
        v = await assignRole(ctx, inc.ref, { role: 'commander', user: env.users.admin.handle, action: 'remove' });
        assert.equal(v.roles.commander, null);
      });

      test('an unknown or disabled user is UNKNOWN_USER and nothing is written', async () => {
        const inc = await incidentIn(env, 'acknowledged', responder);
        const snap = await snapshot(env, inc.id);
        const err = await rejectsWith(assignRole(env.ctx(responder), inc.ref, { role: 'commander', user: 'ghost' }), 'UNKNOWN_USER');
        assert.deepEqual(err.details, { user: 'ghost' });
        const { user } = await createUser(env.ctx(admin), {
          handle: 'gone-user',
          name: 'Gone',
          email: 'gone@example.com',
          role: 'responder',
          password: 'a-long-enough-password',
        });
        await env.db.kysely.updateTable('users').set({ disabled_at: env.clock.now() }).where('id', '=', user.id).execute();
        await rejectsWith(assignRole(env.ctx(responder), inc.ref, { role: 'responder', user: 'gone-user' }), 'UNKNOWN_USER');
        assert.deepEqual(await snapshot(env, inc.id), snap);
      });
    });

    describe('notes', () => {
      for (const state of INCIDENT_STATES) {
        test(`a note can be added when ${state}`, async () => {
          const inc = await incidentIn(env, state, responder);
          const before = await snapshot(env, inc.id);
          env.clock.advance(MINUTE);
          const entry = await addNote(env.ctx(responder), inc.ref, { body: `  checked the ${state} dashboards  ` });
          assert.equal(entry.kind, 'note');
          assert.equal(entry.body, `checked the ${state} dashboards`);
          assert.equal(entry.at, new Date(env.clock.now()).toISOString());
          assert.deepEqual(entry.actor, { type: 'user', id: env.users.responder.id, name: env.users.responder.handle });
          const after = await snapshot(env, inc.id);
          assert.equal(after.row!.state, state, 'a note never changes the state');
          assert.equal(after.timeline.length, before.timeline.length + 1);
          assert.equal(after.audit.length, before.audit.length + 1);
          assert.equal(after.outbox.length, before.outbox.length + 1);
          assert.equal(after.audit.at(-1)!.action, 'incident.note');
          assert.equal(after.outbox.at(-1)!.topic, 'incident.note');
        });
      }

      test('an empty note is refused', async () => {
        const inc = await incidentIn(env, 'triggered', responder);
        await assert.rejects(addNote(env.ctx(responder), inc.ref, { body: '   ' }), { name: 'ZodError' });
      });
    });

    describe('severity', () => {
      test('a change needs a reason, is recorded with from/to, and marks the severity human-set', async () => {
        const inc = await createIncident(env.ctx(systemActor('classifier')), { title: 'Auto', severity: 'P3', services: ['api'], source: 'automated' });
        // The system escalates: automation-set.
        let v = await changeSeverity(env.ctx(systemActor('classifier')), inc.ref, { severity: 'P2', reason: 'error rate rising' });
        assert.equal(v.severity, 'P2');
        assert.equal(v.severity_source, 'automation');
        env.clock.advance(MINUTE);
        v = await changeSeverity(env.ctx(responder), inc.ref, { severity: 'P0', reason: 'checkout is fully down' });
        assert.equal(v.severity, 'P0');
        assert.equal(v.severity_source, 'human');
        assert.equal(v.updated_at, new Date(env.clock.now()).toISOString());
        const entry = (await getIncident(env.ctx(viewer), inc.ref)).timeline.at(-1)!;
        assert.equal(entry.kind, 'severity_changed');
        assert.equal(entry.body, 'Severity P2 → P0: checkout is fully down');
        assert.deepEqual(entry.data, { from: 'P2', to: 'P0', reason: 'checkout is fully down', source: 'human' });
        const { audit, event } = await lastAuditAndEvent(env, inc.id);
        assert.equal(audit.action, 'incident.severity_changed');
        assert.equal(event.topic, 'incident.severity_changed');
        assert.equal(event.payload.to, 'P0');

        await assert.rejects(changeSeverity(env.ctx(responder), inc.ref, { severity: 'P1', reason: ' ' }), { name: 'ZodError' });
      });

      test('changing to the same severity is a no-op', async () => {
        const inc = await createIncident(env.ctx(responder), { title: 'Same', severity: 'P2' });
        const before = await snapshot(env, inc.id);
        env.clock.advance(MINUTE);
        const v = await changeSeverity(env.ctx(responder), inc.ref, { severity: 'P2', reason: 'still P2' });
        assert.equal(v.severity, 'P2');
        assert.deepEqual(await snapshot(env, inc.id), before);
      });
    });

    describe('services', () => {
      test('adding services records each one and recomputes the impact over the dependents closure', async () => {
        const inc = await createIncident(env.ctx(responder), { title: 'Docs slow', severity: 'P3', services: ['docs'] });
        assert.deepEqual(inc.impact, { customer_facing: true, user_share: 0.05, impacted_services: ['docs'], highest_tier: 'p3' });
        env.clock.advance(MINUTE);
        let v = await addServices(env.ctx(responder), inc.ref, { services: ['reporting'] });
        assert.deepEqual(v.services, ['docs', 'reporting']);
        assert.deepEqual(v.impact, { customer_facing: true, user_share: 0.2, impacted_services: ['docs', 'reporting'], highest_tier: 'p2' });
        env.clock.advance(MINUTE);
        // storage ← api ← web, checkout, work-orders, notifications; docs already there.
        v = await addServices(env.ctx(responder), inc.ref, { services: ['storage', 'docs', 'storage'] });
        assert.deepEqual(v.services, ['docs', 'reporting', 'storage']);
        assert.deepEqual(v.impact, {
          customer_facing: true,
          user_share: 1,
          impacted_services: ['api', 'checkout', 'docs', 'notifications', 'reporting', 'storage', 'web', 'work-orders'],
          highest_tier: 'p0',
        });
        assert.equal(v.updated_at, new Date(env.clock.now()).toISOString());
        const { timeline, recent_changes: _changes, postmortem: _pm, ...read } = await getIncident(env.ctx(viewer), inc.ref);
        assert.deepEqual(read, v, 'the stored impact is the returned one');
        assert.deepEqual(timeline.map((e) => [e.kind, e.body]), [
          ['created', 'P3 incident declared: Docs slow'],
          ['service_added', 'Service reporting added'],
          ['service_added', 'Service storage added'],
        ]);
        const { event } = await lastAuditAndEvent(env, inc.id);
        assert.equal(event.topic, 'incident.service_added');
        assert.equal(event.payload.service, 'storage');

        const before = await snapshot(env, inc.id);
        v = await addServices(env.ctx(responder), inc.ref, { services: ['docs', 'storage'] });
        assert.deepEqual(await snapshot(env, inc.id), before, 'adding only existing services is a no-op');
      });

      test('unknown services are UNKNOWN_SERVICE and nothing is written', async () => {
        const inc = await incidentIn(env, 'investigating', responder);
        const before = await snapshot(env, inc.id);
        const err = await rejectsWith(addServices(env.ctx(responder), inc.ref, { services: ['api', 'mainframe'] }), 'UNKNOWN_SERVICE');
        assert.deepEqual(err.details.unknown, ['mainframe']);
        assert.deepEqual(await snapshot(env, inc.id), before);
      });
    });

    describe('update', () => {
      test('title, description and war room are updated with old and new values on the timeline', async () => {
        const inc = await createIncident(env.ctx(responder), { title: 'Old title', severity: 'P2', description: 'old' });
        env.clock.advance(MINUTE);
        let v = await updateIncident(env.ctx(responder), inc.ref, { title: 'New title', description: 'new' });
        assert.equal(v.title, 'New title');
        assert.equal(v.description, 'new');
        assert.equal(v.updated_at, new Date(env.clock.now()).toISOString());
        let entry = (await getIncident(env.ctx(viewer), inc.ref)).timeline.at(-1)!;
        assert.equal(entry.kind, 'updated');
        assert.equal(entry.body, 'Updated title, description');
        assert.deepEqual(entry.data, { changes: { title: { from: 'Old title', to: 'New title' }, description: { from: 'old', to: 'new' } } });
        const { event } = await lastAuditAndEvent(env, inc.id);
        assert.equal(event.topic, 'incident.updated');

        v = await updateIncident(env.ctx(responder), inc.ref, { war_room_url: 'https://chat.example.com/war-room' });
        assert.equal(v.war_room_url, 'https://chat.example.com/war-room');
        entry = (await getIncident(env.ctx(viewer), inc.ref)).timeline.at(-1)!;
        assert.equal(entry.body, 'War room: https://chat.example.com/war-room');
        v = await updateIncident(env.ctx(responder), inc.ref, { war_room_url: null });
        assert.equal(v.war_room_url, null);
        entry = (await getIncident(env.ctx(viewer), inc.ref)).timeline.at(-1)!;
        assert.equal(entry.body, 'War room link removed');

        const before = await snapshot(env, inc.id);
        await updateIncident(env.ctx(responder), inc.ref, { title: 'New title', war_room_url: null });
        await updateIncident(env.ctx(responder), inc.ref, {});
        assert.deepEqual(await snapshot(env, inc.id), before, 'unchanged values are a no-op');
      });
    });

    describe('a closed incident is a record', () => {
      test('severity, roles, services and updates are refused with CONFLICT; nothing is written', async () => {
        const inc = await incidentIn(env, 'closed', responder);
        const before = await snapshot(env, inc.id);
        const ctx = env.ctx(responder);
        const errors = [
          await rejectsWith(changeSeverity(ctx, inc.ref, { severity: 'P0', reason: 'late' }), 'CONFLICT'),
          await rejectsWith(assignRole(ctx, inc.ref, { role: 'commander', user: env.users.admin.handle }), 'CONFLICT'),
          await rejectsWith(assignRole(ctx, inc.ref, { role: 'responder', user: env.users.admin.handle, action: 'remove' }), 'CONFLICT'),
          await rejectsWith(addServices(ctx, inc.ref, { services: ['api'] }), 'CONFLICT'),
          await rejectsWith(updateIncident(ctx, inc.ref, { title: 'rewrite history' }), 'CONFLICT'),
        ];
        for (const e of errors) {
          assert.match(e.message, new RegExp(`${inc.ref} is closed`));
          assert.deepEqual(e.details, { state: 'closed' });
        }
        for (const verb of LIFECYCLE_VERB_NAMES) await rejectsWith(transitionIncident(ctx, inc.ref, verb), 'INVALID_TRANSITION');
        assert.deepEqual(await snapshot(env, inc.id), before);
        // Notes remain possible, for later annotation.
        await addNote(ctx, inc.ref, { body: 'postmortem linked' });
      });

      test('a resolved incident can still be changed', async () => {
        const inc = await incidentIn(env, 'resolved', responder);
        const v = await changeSeverity(env.ctx(responder), inc.ref, { severity: 'P1', reason: 'reassessed' });
        assert.equal(v.severity, 'P1');
      });
    });

    describe('concurrent changes', () => {
      test('two simultaneous acknowledgements: exactly one wins, one timeline entry', async () => {
        const inc = await incidentIn(env, 'triggered', responder);
        const before = await rowCounts(env, inc.id);
        const results = await Promise.allSettled([
          transitionIncident(env.ctx(responder), inc.ref, 'acknowledge'),
          transitionIncident(env.ctx(admin), inc.ref, 'acknowledge'),
        ]);
        const ok = results.filter((r) => r.status === 'fulfilled');
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(ok.length, 1, `one succeeds: ${JSON.stringify(results.map((r) => r.status))}`);
        assert.equal(failed.length, 1);
        assert.ok(['INVALID_TRANSITION', 'CONFLICT'].includes(failed[0].reason?.code), String(failed[0].reason));
        const after = await rowCounts(env, inc.id);
        assert.deepEqual(after, { ...before, timeline: before.timeline + 1, audit: before.audit + 1, outbox: before.outbox + 1 });
      });

      test('responders assigned in the same millisecond are listed in a stable order', async () => {
        const inc = await incidentIn(env, 'acknowledged', responder);
        await assignRole(env.ctx(responder), inc.ref, { role: 'responder', user: env.users.viewer.handle });
        await assignRole(env.ctx(responder), inc.ref, { role: 'responder', user: env.users.admin.handle });
        await assignRole(env.ctx(responder), inc.ref, { role: 'responder', user: env.users.responder.handle });
        const { roles } = await getIncident(env.ctx(viewer), inc.ref);
        assert.deepEqual(roles.responders, [env.users.admin.handle, env.users.responder.handle, env.users.viewer.handle]);
      });

      test('two simultaneous commander assignments leave exactly one commander', async () => {
        const inc = await incidentIn(env, 'acknowledged', responder);
        const results = await Promise.allSettled([
          assignRole(env.ctx(responder), inc.ref, { role: 'commander', user: env.users.responder.handle }),
          assignRole(env.ctx(admin), inc.ref, { role: 'commander', user: env.users.admin.handle }),
        ]);
        assert.ok(results.some((r) => r.status === 'fulfilled'));
        const rows = await env.db.kysely.selectFrom('incident_roles').select('user_id').where('incident_id', '=', inc.id).where('role', '=', 'commander').execute();
        assert.equal(rows.length, 1, `one commander, got ${rows.length}`);
      });

      test('simultaneous creates get distinct consecutive numbers', async () => {
        const start = await incidentCounter(env);
        const made = await Promise.all(Array.from({ length: 8 }, (_, i) => createIncident(env.ctx(responder), { title: `Burst ${i}`, severity: 'P3' })));
        assert.deepEqual(made.map((m) => m.number).sort((a, b) => a - b), Array.from({ length: 8 }, (_, i) => start + i + 1));
      });
    });
  });
}

for (const { name, skip } of DIALECTS) {
  describe(`listing incidents [${name}]`, { skip }, () => {
    // A database of its own, so the expected lists are exactly the incidents made here.
    let env: TestEnv;
    let viewer: Actor;
    const HOUR = 3_600_000;
    let t0: number;
    const PLAN: { severity: 'P0' | 'P1' | 'P2' | 'P3'; services: string[]; state: IncidentState }[] = [
      { severity: 'P0', services: ['database'], state: 'closed' },
      { severity: 'P1', services: ['api'], state: 'resolved' },
      { severity: 'P2', services: ['docs'], state: 'triggered' },
      { severity: 'P3', services: [], state: 'acknowledged' },
      { severity: 'P1', services: ['api', 'cache'], state: 'investigating' },
      { severity: 'P2', services: ['cache'], state: 'identified' },
      { severity: 'P0', services: ['web'], state: 'monitoring' },
      { severity: 'P3', services: ['docs', 'api'], state: 'resolved' },
      { severity: 'P2', services: ['api'], state: 'triggered' },
      { severity: 'P1', services: ['reporting'], state: 'closed' },
      { severity: 'P0', services: ['api'], state: 'acknowledged' },
      { severity: 'P3', services: ['storage'], state: 'triggered' },
      { severity: 'P2', services: ['api'], state: 'resolved' },
    ];
    const made: { number: number; triggeredAt: number; severity: string; services: string[]; state: IncidentState }[] = [];
    const OPEN: IncidentState[] = ['triggered', 'acknowledged', 'investigating', 'identified', 'monitoring'];
    const iso = (t: number) => new Date(t).toISOString();

    before(async () => {
      env = await createTestEnv(name, import.meta.url);
      viewer = env.users.viewer.actor;
      t0 = env.clock.now();
      for (const [i, p] of PLAN.entries()) {
        env.clock.set(t0 + i * HOUR);
        const inc = await incidentIn(env, p.state, env.users.responder.actor, { severity: p.severity, services: p.services, title: `Listed ${i}` });
        made.push({ number: inc.number, triggeredAt: t0 + i * HOUR, severity: p.severity, services: p.services, state: p.state });
      }
      env.clock.set(t0 + PLAN.length * HOUR);
    });
    after(async () => {
      await env?.close();
    });

    type Query = Parameters<typeof listIncidents>[1];
    /** What the list must return, computed from what was made. */
    function expected(f: { state?: IncidentState[]; severity?: string[]; service?: string; open?: boolean; since?: number; until?: number }): number[] {
      return made
        .filter((m) => !f.state || f.state.includes(m.state))
        .filter((m) => !f.severity || f.severity.includes(m.severity))
        .filter((m) => !f.service || m.services.includes(f.service))
        .filter((m) => f.open === undefined || OPEN.includes(m.state) === f.open)
        .filter((m) => f.since === undefined || m.triggeredAt >= f.since)
        .filter((m) => f.until === undefined || m.triggeredAt < f.until)
        .map((m) => m.number)
        .sort((a, b) => b - a);
    }
    const numbers = async (query: Query) => {
      const page = await listIncidents(env.ctx(viewer), query);
      return page.data.map((d) => d.number);
    };
    /** Follows next_cursor to the end, checking page sizes on the way. */
    async function walk(query: Query, limit: number): Promise<number[]> {
      const seen: number[] = [];
      let cursor: string | undefined;
      for (let pages = 0; ; pages++) {
        assert.ok(pages < 100, 'pagination terminates');
        const page = await listIncidents(env.ctx(viewer), { ...query, limit, ...(cursor ? { cursor } : {}) });
        if (page.next_cursor) assert.equal(page.data.length, limit, 'every page but the last is full');
        else assert.ok(page.data.length <= limit);
        seen.push(...page.data.map((d) => d.number));
        if (!page.next_cursor) return seen;
        cursor = page.next_cursor;
      }
    }

    test('without filters: every incident, newest first, on one page', async () => {
      const page = await listIncidents(env.ctx(viewer), {});
      assert.deepEqual(page.data.map((d) => d.number), expected({}));
      assert.equal(page.next_cursor, null);
      // A list item is the same view a single read gives.
      const { timeline: _t, recent_changes: _c, postmortem: _pm, ...one } = await getIncident(env.ctx(viewer), page.data[0].ref);
      assert.deepEqual(page.data[0], one);
    });

    test('filters by state (one or several)', async () => {
      assert.deepEqual(await numbers({ state: 'triggered' }), expected({ state: ['triggered'] }));
      assert.deepEqual(await numbers({ state: 'triggered,resolved' }), expected({ state: ['triggered', 'resolved'] }));
      assert.deepEqual(await numbers({ state: ' closed , monitoring ' }), expected({ state: ['closed', 'monitoring'] }));
      assert.equal((await numbers({ state: 'resolved' })).length, 3);
    });

    test('filters by severity', async () => {
      assert.deepEqual(await numbers({ severity: 'P0' }), expected({ severity: ['P0'] }));
      assert.deepEqual(await numbers({ severity: 'P0,P1' }), expected({ severity: ['P0', 'P1'] }));
    });

    test('filters by directly affected service', async () => {
      assert.deepEqual(await numbers({ service: 'api' }), expected({ service: 'api' }));
      assert.equal((await numbers({ service: 'api' })).length, 6);
      assert.deepEqual(await numbers({ service: 'docs' }), expected({ service: 'docs' }));
      assert.deepEqual(await numbers({ service: 'auth' }), []);
    });

    test('open=true / open=false, alone and with a state filter', async () => {
      assert.deepEqual(await numbers({ open: 'true' }), expected({ open: true }));
      assert.deepEqual(await numbers({ open: 'false' }), expected({ open: false }));
      assert.deepEqual(await numbers({ open: 'true', state: 'triggered,resolved' }), expected({ state: ['triggered'] }));
      assert.deepEqual(await numbers({ open: 'false', state: 'triggered,resolved' }), expected({ state: ['resolved'] }));
      const empty = await listIncidents(env.ctx(viewer), { open: 'true', state: 'closed' });
      assert.deepEqual(empty, { data: [], next_cursor: null });
    });

    test('since is inclusive, until exclusive, on the trigger time', async () => {
      const at = (h: number) => t0 + h * HOUR;
      assert.deepEqual(await numbers({ since: iso(at(5)) }), expected({ since: at(5) }));
      assert.equal((await numbers({ since: iso(at(5)) })).length, PLAN.length - 5);
      assert.deepEqual(await numbers({ until: iso(at(5)) }), expected({ until: at(5) }));
      assert.equal((await numbers({ until: iso(at(5)) })).length, 5);
      assert.deepEqual(await numbers({ since: iso(at(3)), until: iso(at(7)) }), expected({ since: at(3), until: at(7) }));
      assert.deepEqual(await numbers({ since: iso(at(3) + 1), until: iso(at(4)) }), []);
      // The same instant written with another offset selects the same incidents.
      const plusTwo = iso(at(5) + 2 * HOUR).replace('Z', '+02:00');
      assert.deepEqual(await numbers({ since: plusTwo }), expected({ since: at(5) }));
    });

    test('filters combine', async () => {
      assert.deepEqual(await numbers({ service: 'api', open: 'true', severity: 'P0,P1' }), expected({ service: 'api', open: true, severity: ['P0', 'P1'] }));
      assert.deepEqual(await numbers({ service: 'api', since: iso(t0 + 4 * HOUR), state: 'resolved' }), expected({ service: 'api', since: t0 + 4 * HOUR, state: ['resolved'] }));
      assert.deepEqual(await numbers({ severity: 'P2', until: iso(t0 + 9 * HOUR), open: 'true' }), expected({ severity: ['P2'], until: t0 + 9 * HOUR, open: true }));
    });

    test('cursor pagination walks every page with no duplicates or gaps, for every page size', async () => {
      for (const limit of [1, 2, 3, 4, 5, 12, 13, 14, 200]) {
        assert.deepEqual(await walk({}, limit), expected({}), `limit ${limit}`);
      }
    });

    test('cursor pagination with filters, including the service index path', async () => {
      for (const limit of [1, 2, 4]) {
        assert.deepEqual(await walk({ service: 'api' }, limit), expected({ service: 'api' }), `service, limit ${limit}`);
        assert.deepEqual(await walk({ open: 'true' }, limit), expected({ open: true }), `open, limit ${limit}`);
        assert.deepEqual(await walk({ service: 'api', severity: 'P0,P1,P2' }, limit), expected({ service: 'api', severity: ['P0', 'P1', 'P2'] }));
        assert.deepEqual(await walk({ since: iso(t0 + 2 * HOUR), until: iso(t0 + 11 * HOUR) }, limit), expected({ since: t0 + 2 * HOUR, until: t0 + 11 * HOUR }));
      }
    });

    test('incidents declared while paging do not shift the pages', async () => {
      const snapshotList = expected({});
      const first = await listIncidents(env.ctx(viewer), { limit: 4 });
      const extra = await createIncident(env.ctx(env.users.responder.actor), { title: 'Arrived mid-walk', severity: 'P3', services: ['api'] });
      try {
        const rest: number[] = [];
        let cursor = first.next_cursor;
        while (cursor) {
          const page = await listIncidents(env.ctx(viewer), { limit: 4, cursor });
          rest.push(...page.data.map((d) => d.number));
          cursor = page.next_cursor;
        }
        assert.deepEqual([...first.data.map((d) => d.number), ...rest], snapshotList);
        assert.ok(!rest.includes(extra.number));
        // A fresh first page shows it.
        assert.equal((await listIncidents(env.ctx(viewer), { limit: 1 })).data[0].number, extra.number);
      } finally {
        await env.db.kysely.deleteFrom('incidents').where('id', '=', extra.id).execute();
      }
    });

    test('a cursor the server did not issue is VALIDATION_FAILED; bad filters are refused', async () => {
      for (const cursor of ['nope', Buffer.from('{"n":0}').toString('base64url'), Buffer.from('{"n":-3}').toString('base64url'), Buffer.from('{"x":1}').toString('base64url'), Buffer.from('[1]').toString('base64url')]) {
        const err = await rejectsWith(listIncidents(env.ctx(viewer), { cursor }), 'VALIDATION_FAILED');
        assert.deepEqual(err.details, { issues: [{ path: 'cursor', message: 'invalid cursor' }] });
      }
      await assert.rejects(listIncidents(env.ctx(viewer), { state: 'sleeping' }), { name: 'ZodError' });
      await assert.rejects(listIncidents(env.ctx(viewer), { severity: 'P7' }), { name: 'ZodError' });
      await assert.rejects(listIncidents(env.ctx(viewer), { limit: 0 }), { name: 'ZodError' });
      await assert.rejects(listIncidents(env.ctx(viewer), { limit: 201 }), { name: 'ZodError' });
      await assert.rejects(listIncidents(env.ctx(viewer), { since: 'yesterday' }), { name: 'ZodError' });
      await rejectsWith(listIncidents(env.ctx({ type: 'anonymous', userId: null, name: 'anonymous', role: null }), {}), 'UNAUTHENTICATED');
    });
  });
}
