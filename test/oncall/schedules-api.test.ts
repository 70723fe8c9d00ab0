import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { DIALECTS } from '../helpers/dialects.ts';
import { type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { assertError } from '../http/support.ts';
import { at, useSchedulesConfig } from './schedules-kit.ts';

// Wednesday 2026-04-08 12:00 in Berlin (CEST). primary: bob's week (Apr 6 09:00 – Apr 13 09:00 local);
// berlin-daily: dan's day; business: bob in office hours over dana.
const NOW = at('2026-04-08T10:00:00Z');
const BOB_WEEK = { since: '2026-04-06T07:00:00.000Z', until: '2026-04-13T07:00:00.000Z' };

for (const { name, skip } of DIALECTS) {
  describe(`schedules API [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));
    before(async () => {
      await useSchedulesConfig(env);
      env.clock.set(NOW);
    });

    const get = async (url: string, headers: Record<string, string> = t.auth.viewer) => {
      const res = await t.app.inject({ method: 'GET', url, headers });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      return res.json();
    };
    const post = (url: string, payload: object, headers: Record<string, string> = t.auth.responder) => t.app.inject({ method: 'POST', url, headers, payload });
    const del = (url: string, headers: Record<string, string> = t.auth.responder) => t.app.inject({ method: 'DELETE', url, headers });
    const shiftsOf = async (id: string, from: string, to: string) =>
      ((await get(`/api/v1/schedules/${id}/shifts?from=${from}&to=${to}`)).shifts as { handle: string; start: string; end: string; source: { type: string } }[]).map((s) => [s.handle, s.start, s.end, s.source.type]);
    const auditCount = async (action: string) => (await env.db.kysely.selectFrom('audit_log').select('id').where('action', '=', action).execute()).length;

    test('schedules list their layers, who is on call now (since, until, why) and who is next', async () => {
      const list = await get('/api/v1/schedules');
      assert.deepEqual(
        list.data.map((s: { id: string }) => s.id),
        ['database-primary', 'database-secondary', 'primary', 'berlin-daily', 'business'],
      );
      const primary = await get('/api/v1/schedules/primary');
      assert.deepEqual(primary, list.data[2]);
      assert.equal(primary.time_zone, 'Europe/Berlin');
      assert.deepEqual(primary.layers, [
        {
          index: 0,
          name: 'weekly',
          members: [
            { handle: 'alice', name: 'Alice Lindqvist' },
            { handle: 'bob', name: 'Bob Okafor' },
            { handle: 'carol', name: 'Carol Dubois' },
          ],
          rotation: { type: 'weekly', handoff: '09:00', shift_minutes: 7 * 1440 },
          start: '2026-01-05',
          restrictions: [],
        },
      ]);
      assert.deepEqual(primary.on_call, { handle: 'bob', name: 'Bob Okafor', ...BOB_WEEK, source: { type: 'layer', layer: 0, name: 'weekly' } });
      assert.deepEqual(primary.next, { handle: 'carol', name: 'Carol Dubois', since: BOB_WEEK.until, until: '2026-04-20T07:00:00.000Z', source: { type: 'layer', layer: 0, name: 'weekly' } });

      // Office hours: bob until 17:00 local, then dana (the layer below) until Thursday 09:00.
      const business = await get('/api/v1/schedules/business');
      assert.deepEqual([business.on_call.handle, business.on_call.since, business.on_call.until], ['bob', '2026-04-08T07:00:00.000Z', '2026-04-08T15:00:00.000Z']);
      assert.deepEqual([business.next.handle, business.next.since, business.next.until, business.next.source.name], ['dana', '2026-04-08T15:00:00.000Z', '2026-04-09T07:00:00.000Z', 'base']);
      assert.deepEqual(business.layers[1].restrictions, [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' }]);

      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/schedules/nope', headers: t.auth.viewer }), 404, 'NOT_FOUND');
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/schedules/nope/shifts', headers: t.auth.viewer }), 404, 'NOT_FOUND');
    });

    test('who is on call at a time, across the daylight-saving change; shifts over a range, with each layer', async () => {
      // Wednesday 2026-03-25 12:00 CET: carol's week, Mar 23 09:00 CET (08:00Z) to Mar 30 09:00 CEST (07:00Z).
      const march = await get('/api/v1/schedules/primary/on-call?at=2026-03-25T12:00:00%2B01:00');
      assert.equal(march.at, '2026-03-25T11:00:00.000Z');
      assert.deepEqual([march.on_call.handle, march.on_call.since, march.on_call.until], ['carol', '2026-03-23T08:00:00.000Z', '2026-03-30T07:00:00.000Z']);
      // An unencoded "+" arrives as a space; it is read as the offset it was meant to be.
      assert.deepEqual(await get('/api/v1/schedules/primary/on-call?at=2026-03-25T12:00:00+01:00'), march);
      // Default: now.
      assert.equal((await get('/api/v1/schedules/primary/on-call')).on_call.handle, 'bob');
      // Before the first handoff nobody is on call.
      assert.equal((await get('/api/v1/schedules/berlin-daily/on-call?at=2026-03-23T07:59:59Z')).on_call, null);

      // Daily 09:00 handoffs: the day of the change lasts 23 hours.
      assert.deepEqual(await shiftsOf('berlin-daily', '2026-03-27T08:00:00Z', '2026-03-30T07:00:00Z'), [
        ['dan', '2026-03-27T08:00:00.000Z', '2026-03-28T08:00:00.000Z', 'layer'],
        ['eve', '2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z', 'layer'],
        ['dan', '2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z', 'layer'],
      ]);
      // Clipped to the range asked for.
      assert.deepEqual(await shiftsOf('primary', '2026-04-01T00:00:00Z', '2026-04-15T00:00:00Z'), [
        ['alice', '2026-04-01T00:00:00.000Z', '2026-04-06T07:00:00.000Z', 'layer'],
        ['bob', '2026-04-06T07:00:00.000Z', '2026-04-13T07:00:00.000Z', 'layer'],
        ['carol', '2026-04-13T07:00:00.000Z', '2026-04-15T00:00:00.000Z', 'layer'],
      ]);

      const withLayers = await get('/api/v1/schedules/business/shifts?from=2026-04-08T00:00:00Z&to=2026-04-09T00:00:00Z&layers=true');
      assert.deepEqual(
        withLayers.shifts.map((s: { handle: string; start: string; end: string }) => [s.handle, s.start, s.end]),
        [
          ['dana', '2026-04-08T00:00:00.000Z', '2026-04-08T07:00:00.000Z'],
          ['bob', '2026-04-08T07:00:00.000Z', '2026-04-08T15:00:00.000Z'],
          ['dana', '2026-04-08T15:00:00.000Z', '2026-04-09T00:00:00.000Z'],
        ],
      );
      assert.deepEqual(withLayers.layers, [
        { index: 0, name: 'base', shifts: [{ handle: 'dana', name: 'Dana Kim', start: '2026-04-08T00:00:00.000Z', end: '2026-04-09T00:00:00.000Z' }] },
        { index: 1, name: 'office', shifts: [{ handle: 'bob', name: 'Bob Okafor', start: '2026-04-08T07:00:00.000Z', end: '2026-04-08T15:00:00.000Z' }] },
      ]);
      // Without layers=true there are none; the default range is a week from now.
      const plain = await get('/api/v1/schedules/business/shifts');
      assert.equal(plain.layers, undefined);
      assert.deepEqual([plain.from, plain.to], ['2026-04-08T10:00:00.000Z', '2026-04-15T10:00:00.000Z']);
    });

    test('an override changes who is on call now and in ranges; cancelling restores the rotation and keeps the history', async () => {
      const created = await post('/api/v1/schedules/primary/overrides', { user: 'dan', start: '2026-04-08T12:00:00+02:00', end: '2026-04-08T14:00:00+02:00', reason: 'Bob is at the dentist' });
      assert.equal(created.statusCode, 201, created.body);
      const o = created.json();
      assert.match(o.id, /^ovr_/);
      assert.deepEqual({ ...o, id: 'x' }, {
        id: 'x',
        schedule: 'primary',
        user: 'dan',
        replaces: null,
        start: '2026-04-08T10:00:00.000Z',
        end: '2026-04-08T12:00:00.000Z',
        reason: 'Bob is at the dentist',
        created_by: env.users.responder.handle,
        created_at: '2026-04-08T10:00:00.000Z',
        cancelled_at: null,
        cancelled_by: null,
      });

      const primary = await get('/api/v1/schedules/primary');
      assert.deepEqual(primary.on_call, {
        handle: 'dan',
        name: 'Dan Moreau',
        since: '2026-04-08T10:00:00.000Z',
        until: '2026-04-08T12:00:00.000Z',
        source: { type: 'override', id: o.id, reason: 'Bob is at the dentist', created_by: env.users.responder.handle },
      });
      assert.deepEqual([primary.next.handle, primary.next.since, primary.next.until], ['bob', '2026-04-08T12:00:00.000Z', BOB_WEEK.until]);
      assert.deepEqual(await shiftsOf('primary', '2026-04-08T00:00:00Z', '2026-04-09T00:00:00Z'), [
        ['bob', '2026-04-08T00:00:00.000Z', '2026-04-08T10:00:00.000Z', 'layer'],
        ['dan', '2026-04-08T10:00:00.000Z', '2026-04-08T12:00:00.000Z', 'override'],
        ['bob', '2026-04-08T12:00:00.000Z', '2026-04-09T00:00:00.000Z', 'layer'],
      ]);
      const listed = await get('/api/v1/schedules/primary/overrides');
      assert.deepEqual(listed.data, [o]);
      assert.deepEqual((await get('/api/v1/schedules/primary/overrides?from=2026-04-08T12:00:00Z&to=2026-04-09T00:00:00Z')).data, [], 'an override that ends at `from` does not touch the range');

      // Who, when and why are on the record, with an event for reactions.
      const audit = await env.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'schedule.override_created').where('entity_id', '=', o.id).executeTakeFirstOrThrow();
      assert.equal(audit.actor_name, env.users.responder.handle);
      assert.deepEqual(JSON.parse(audit.data), { schedule: 'primary', user: 'dan', replaces: null, start: o.start, end: o.end, reason: 'Bob is at the dentist' });
      const event = await env.db.kysely.selectFrom('outbox').selectAll().where('topic', '=', 'schedule.override_created').where('aggregate_id', '=', 'primary').executeTakeFirstOrThrow();
      assert.equal(JSON.parse(event.payload).override.id, o.id);

      // Cancelling: 204, idempotent, audited once; the rotation is back, the override kept as history.
      env.clock.advance(5 * 60_000);
      assert.equal((await del(`/api/v1/schedules/primary/overrides/${o.id}`, t.auth.admin)).statusCode, 204);
      assert.equal((await del(`/api/v1/schedules/primary/overrides/${o.id}`)).statusCode, 204);
      assert.equal(await auditCount('schedule.override_cancelled'), 1);
      assert.equal((await get('/api/v1/schedules/primary')).on_call.handle, 'bob');
      assert.deepEqual((await get('/api/v1/schedules/primary/overrides')).data, []);
      const history = (await get('/api/v1/schedules/primary/overrides?include_cancelled=true')).data;
      assert.deepEqual(history, [{ ...o, cancelled_at: '2026-04-08T10:05:00.000Z', cancelled_by: env.users.admin.handle }]);

      // Unknown ids, and ids of another schedule, are 404.
      assertError(await del('/api/v1/schedules/primary/overrides/ovr_nothing'), 404, 'NOT_FOUND');
      assertError(await del(`/api/v1/schedules/business/overrides/${o.id}`), 404, 'NOT_FOUND');
      assertError(await del(`/api/v1/schedules/nope/overrides/${o.id}`), 404, 'NOT_FOUND');
      env.clock.set(NOW);
    });

    test('an override with `replaces` applies only where that person would be on call; an ended one cannot be cancelled', async () => {
      // alice replaces bob from Sunday 09:00 to Tuesday 09:00: bob's Sunday only; carol keeps her Monday.
      const res = await post('/api/v1/schedules/primary/overrides', { user: 'alice', replaces: 'bob', start: '2026-04-12T07:00:00Z', end: '2026-04-14T07:00:00Z', reason: 'bob travels on Sunday' });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().replaces, 'bob');
      assert.deepEqual(await shiftsOf('primary', '2026-04-12T00:00:00Z', '2026-04-15T00:00:00Z'), [
        ['bob', '2026-04-12T00:00:00.000Z', '2026-04-12T07:00:00.000Z', 'layer'],
        ['alice', '2026-04-12T07:00:00.000Z', '2026-04-13T07:00:00.000Z', 'override'],
        ['carol', '2026-04-13T07:00:00.000Z', '2026-04-15T00:00:00.000Z', 'layer'],
      ]);
      // Replacing someone who is not on call then would change nothing: refused.
      const idle = await post('/api/v1/schedules/primary/overrides', { user: 'dan', replaces: 'alice', start: '2026-04-08T10:00:00Z', end: '2026-04-08T11:00:00Z', reason: 'nothing to replace' });
      assert.match(assertError(idle, 400, 'VALIDATION_FAILED').message, /alice is not on call on Primary/);

      // After it ends, it is history.
      env.clock.set(at('2026-04-14T08:00:00Z'));
      assertError(await del(`/api/v1/schedules/primary/overrides/${res.json().id}`), 409, 'CONFLICT');
      env.clock.set(NOW);
    });

    test('a shift swap: two overrides in one transaction, each covering the other; a failing half stores neither', async () => {
      const before = await auditCount('schedule.override_created');
      const res = await post('/api/v1/schedules/primary/swaps', {
        user_a: 'bob',
        user_b: 'carol',
        a_shift: { start: '2026-04-09T09:00:00+02:00', end: '2026-04-10T09:00:00+02:00' },
        b_shift: { start: '2026-04-15T07:00:00Z', end: '2026-04-16T07:00:00Z' },
        reason: 'bob has a wedding on Thursday',
      });
      assert.equal(res.statusCode, 201, res.body);
      const { overrides } = res.json();
      assert.deepEqual(
        overrides.map((o: { user: string; replaces: string; start: string; end: string }) => [o.user, o.replaces, o.start, o.end]),
        [
          ['carol', 'bob', '2026-04-09T07:00:00.000Z', '2026-04-10T07:00:00.000Z'],
          ['bob', 'carol', '2026-04-15T07:00:00.000Z', '2026-04-16T07:00:00.000Z'],
        ],
      );
      assert.equal(await auditCount('schedule.override_created'), before + 2);
      assert.deepEqual(await shiftsOf('primary', '2026-04-09T00:00:00Z', '2026-04-17T00:00:00Z'), [
        ['bob', '2026-04-09T00:00:00.000Z', '2026-04-09T07:00:00.000Z', 'layer'],
        ['carol', '2026-04-09T07:00:00.000Z', '2026-04-10T07:00:00.000Z', 'override'],
        ['bob', '2026-04-10T07:00:00.000Z', '2026-04-12T07:00:00.000Z', 'layer'],
        // The earlier test's override: alice has bob's Sunday.
        ['alice', '2026-04-12T07:00:00.000Z', '2026-04-13T07:00:00.000Z', 'override'],
        ['carol', '2026-04-13T07:00:00.000Z', '2026-04-15T07:00:00.000Z', 'layer'],
        ['bob', '2026-04-15T07:00:00.000Z', '2026-04-16T07:00:00.000Z', 'override'],
        ['carol', '2026-04-16T07:00:00.000Z', '2026-04-17T00:00:00.000Z', 'layer'],
      ]);
      // A one-way swap (B covers A, no shift back) is one override.
      const oneWay = await post('/api/v1/schedules/berlin-daily/swaps', { user_a: 'dan', user_b: 'eve', a_shift: { start: '2026-04-10T07:00:00Z', end: '2026-04-11T07:00:00Z' }, reason: 'covering' });
      assert.equal(oneWay.statusCode, 201, oneWay.body);
      assert.equal(oneWay.json().overrides.length, 1);

      // B is not on call in b_shift: refused, and A's half is not stored either.
      const count = await auditCount('schedule.override_created');
      const rows = (await env.db.kysely.selectFrom('schedule_overrides').select('id').execute()).length;
      const half = await post('/api/v1/schedules/primary/swaps', {
        user_a: 'bob',
        user_b: 'alice',
        a_shift: { start: '2026-04-10T07:00:00Z', end: '2026-04-11T07:00:00Z' },
        b_shift: { start: '2026-04-14T07:00:00Z', end: '2026-04-15T07:00:00Z' },
        reason: 'alice is not on call then',
      });
      assert.equal(assertError(half, 400, 'VALIDATION_FAILED').details.issues instanceof Array, true);
      assert.match(half.json().error.message, /^b_shift: alice is not on call/);
      assert.equal(await auditCount('schedule.override_created'), count);
      assert.equal((await env.db.kysely.selectFrom('schedule_overrides').select('id').execute()).length, rows);
      // Overlapping shifts and a swap with oneself are refused.
      const overlap = await post('/api/v1/schedules/primary/swaps', { user_a: 'bob', user_b: 'carol', a_shift: { start: '2026-04-10T07:00:00Z', end: '2026-04-11T07:00:00Z' }, b_shift: { start: '2026-04-10T08:00:00Z', end: '2026-04-14T09:00:00Z' }, reason: 'x' });
      assert.match(assertError(overlap, 400, 'VALIDATION_FAILED').message, /b_shift: must not overlap a_shift/);
      const self = await post('/api/v1/schedules/primary/swaps', { user_a: 'bob', user_b: 'bob', a_shift: { start: '2026-04-10T07:00:00Z', end: '2026-04-11T07:00:00Z' }, reason: 'x' });
      assert.match(assertError(self, 400, 'VALIDATION_FAILED').message, /user_b: must be someone other than user_a/);
    });

    test('everyone on call now, and for each person the schedules they are on call for; a person\'s own shifts', async () => {
      const now = await get('/api/v1/on-call');
      assert.equal(now.at, '2026-04-08T10:00:00.000Z');
      assert.deepEqual(
        now.schedules.map((s: { schedule: { id: string }; on_call: { handle: string } | null }) => [s.schedule.id, s.on_call?.handle ?? null]),
        [
          ['database-primary', 'bob'],
          ['database-secondary', 'carol'],
          ['primary', 'bob'],
          ['berlin-daily', 'dan'],
          ['business', 'bob'],
        ],
      );
      const bob = now.users.find((u: { handle: string }) => u.handle === 'bob');
      assert.deepEqual(bob.name, 'Bob Okafor');
      assert.deepEqual(
        bob.schedules.map((s: { id: string }) => s.id),
        ['database-primary', 'primary', 'business'],
      );
      // The swap above hands bob's Thursday to carol: his stretch now ends there.
      assert.deepEqual(bob.schedules[1], { id: 'primary', name: 'Primary', since: BOB_WEEK.since, until: '2026-04-09T07:00:00.000Z', source: { type: 'layer', layer: 0, name: 'weekly' } });
      assert.deepEqual(
        now.users.map((u: { handle: string }) => u.handle),
        ['bob', 'carol', 'dan'],
      );

      // With an override now, the override's person is on call for that schedule.
      const o = (await post('/api/v1/schedules/business/overrides', { user: env.users.responder.handle, start: '2026-04-08T10:00:00Z', end: '2026-04-08T11:00:00Z', reason: 'bob in a meeting' })).json();
      const after = await get('/api/v1/on-call');
      assert.deepEqual(after.users.find((u: { handle: string }) => u.handle === env.users.responder.handle).schedules.map((s: { id: string; source: { type: string } }) => [s.id, s.source.type]), [['business', 'override']]);
      assert.equal((await del(`/api/v1/schedules/business/overrides/${o.id}`)).statusCode, 204);

      // bob across schedules, over two days: his primary week, his office hours.
      const mine = await get('/api/v1/users/bob/on-call?from=2026-04-08T00:00:00Z&to=2026-04-10T00:00:00Z');
      assert.deepEqual(mine.user, { handle: 'bob', name: 'Bob Okafor', time_zone: 'Europe/Berlin' });
      const rows = mine.shifts.map((s: { schedule: { id: string }; start: string; end: string }) => [s.schedule.id, s.start, s.end]);
      assert.deepEqual(rows, [
        // The swap hands Thursday 09:00 local onwards to carol on primary.
        ['primary', '2026-04-08T00:00:00.000Z', '2026-04-09T07:00:00.000Z'],
        // database-primary: the New York layer has Berlin's nights (00:00-06:00 local).
        ['database-primary', '2026-04-08T04:00:00.000Z', '2026-04-08T22:00:00.000Z'],
        ['business', '2026-04-08T07:00:00.000Z', '2026-04-08T15:00:00.000Z'],
        ['database-primary', '2026-04-09T04:00:00.000Z', '2026-04-09T22:00:00.000Z'],
        ['business', '2026-04-09T07:00:00.000Z', '2026-04-09T15:00:00.000Z'],
      ]);
      assert.deepEqual(rows, [...rows].sort((a: string[], b: string[]) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0])), 'by start');
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/users/nobody/on-call', headers: t.auth.viewer }), 404, 'NOT_FOUND');
      // A user who is never on call has no shifts.
      assert.deepEqual((await get(`/api/v1/users/${env.users.viewer.handle}/on-call`)).shifts, []);
    });

    test('who may do what: viewers read, responders change, nobody anonymous', async () => {
      const body = { user: 'dan', start: '2026-04-08T10:00:00Z', end: '2026-04-08T11:00:00Z', reason: 'authz' };
      const rows = async () => (await env.db.kysely.selectFrom('schedule_overrides').select('id').execute()).length;
      const n = await rows();
      assertError(await post('/api/v1/schedules/primary/overrides', body, t.auth.viewer), 403, 'FORBIDDEN');
      assertError(await post('/api/v1/schedules/primary/overrides', body, {}), 401, 'UNAUTHENTICATED');
      assertError(await post('/api/v1/schedules/primary/swaps', { user_a: 'bob', user_b: 'carol', a_shift: { start: body.start, end: body.end }, reason: 'x' }, t.auth.viewer), 403, 'FORBIDDEN');
      assert.equal(await rows(), n);
      const o = (await post('/api/v1/schedules/primary/overrides', body, t.auth.token)).json();
      assertError(await del(`/api/v1/schedules/primary/overrides/${o.id}`, t.auth.viewer), 403, 'FORBIDDEN');
      assertError(await del(`/api/v1/schedules/primary/overrides/${o.id}`, {}), 401, 'UNAUTHENTICATED');
      assert.equal((await del(`/api/v1/schedules/primary/overrides/${o.id}`, t.auth.token)).statusCode, 204);
      for (const url of ['/api/v1/schedules', '/api/v1/schedules/primary', '/api/v1/on-call', '/api/v1/schedules/primary/shifts', '/api/v1/schedules/primary/overrides', '/api/v1/users/bob/on-call', '/api/v1/schedules/primary/calendar.ics', '/api/v1/schedules/primary/calendar-feed']) {
        assertError(await t.app.inject({ method: 'GET', url }), 401, 'UNAUTHENTICATED');
      }
      assert.equal(await rows(), n + 1);
    });
  });
}
