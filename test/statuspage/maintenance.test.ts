import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadActiveWindows } from '../../src/modules/maintenance/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { useTestApp, type TestApp, type TestEnv } from '../helpers/env.ts';
import { mintSessionCookie } from '../http/support.ts';
import { statusDriver } from './statuspage-kit.ts';


for (const { name: dialect, skip } of DIALECTS) {
  describe(`scheduled maintenance (${dialect})`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    let driver: Awaited<ReturnType<typeof statusDriver>>;
    useTestApp(dialect, import.meta.url, (e, a) => ((env = e), (t = a)), { app: { monitors: false } });
    before(async () => {
      driver = await statusDriver(env);
    });
    const v2 = async (path: string) => {
      await t.statusPage.changed();
      return (await t.app.inject({ method: 'GET', url: `/api/v2/${path}` })).json();
    };
    // The clock jumps months: sessions are minted at the moment they are used.
    const as = (role: 'viewer' | 'responder') => mintSessionCookie(env, env.users[role].id);
    const schedule = async (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/api/v1/status-page/maintenances', headers: await as('responder'), payload });

    it('announces, reminds, starts and completes by itself at local times across a DST change, and keeps alerts from paging meanwhile', async () => {
      // Clock: 2026-10-23 (Friday) 12:00 UTC. Europe/Berlin leaves summer time on Sunday 25 October.
      env.clock.set(Date.UTC(2026, 9, 23, 12, 0));
      const res = await schedule({ name: 'Storage upgrade', body: 'Uploads may pause for a few minutes.', components: ['file-storage'], time_zone: 'Europe/Berlin', starts_at: '2026-10-25T22:00', ends_at: '2026-10-25T23:00' });
      assert.equal(res.statusCode, 201, res.body);
      const m = res.json();
      // 22:00 in Berlin on 25 October is winter time (UTC+1): 21:00 UTC, not 20:00.
      assert.equal(m.scheduled_for, '2026-10-25T21:00:00.000Z');
      assert.equal(m.scheduled_until, '2026-10-25T22:00:00.000Z');
      assert.equal(m.status, 'scheduled');
      assert.ok(m.maintenance_window_id, 'alerts of the storage service are suppressed during it');
      const upcoming = await v2('scheduled-maintenances/upcoming.json');
      assert.deepEqual(upcoming.scheduled_maintenances.map((x: { id: string }) => x.id), [m.id]);
      assert.equal(upcoming.scheduled_maintenances[0].impact, 'maintenance');
      assert.equal((await v2('scheduled-maintenances/active.json')).scheduled_maintenances.length, 0);
      const summary = await v2('summary.json');
      assert.equal(summary.scheduled_maintenances.length, 1, 'summary lists upcoming maintenance');
      assert.equal(summary.status.indicator, 'none', 'not under maintenance yet');

      // The reminder, an hour before.
      env.clock.set(Date.UTC(2026, 9, 25, 20, 0));
      await driver.settle();
      const reminded = await env.db.kysely.selectFrom('status_incidents').select('reminded_at').where('id', '=', m.id).executeTakeFirstOrThrow();
      assert.equal(Number(reminded.reminded_at), Date.UTC(2026, 9, 25, 20, 0));

      env.clock.set(Date.UTC(2026, 9, 25, 21, 0));
      await driver.settle();
      const active = await v2('scheduled-maintenances/active.json');
      assert.equal(active.scheduled_maintenances[0]?.status, 'in_progress');
      const components = Object.fromEntries((await v2('components.json')).components.map((c: { id: string; status: string }) => [c.id, c.status]));
      assert.equal(components['file-storage'], 'under_maintenance');
      assert.equal((await v2('status.json')).status.indicator, 'maintenance');
      const windows = await loadActiveWindows(env.ctx(), env.clock.now());
      assert.ok(windows.some((w) => w.services.has('storage')), 'storage pages nobody now');

      env.clock.set(Date.UTC(2026, 9, 25, 22, 0));
      await driver.settle();
      const done = (await t.app.inject({ method: 'GET', url: `/api/v1/status-page/incidents/${m.id}`, headers: await as('viewer') })).json();
      assert.equal(done.status, 'completed');
      assert.deepEqual(done.updates.map((u: { status: string }) => u.status), ['completed', 'in_progress', 'scheduled']);
      assert.equal(Object.fromEntries((await v2('components.json')).components.map((c: { id: string; status: string }) => [c.id, c.status]))['file-storage'], 'operational');
      assert.equal((await loadActiveWindows(env.ctx(), env.clock.now())).length, 0);
    });

    it('reads local times in the zone given, and defaults to the page zone', async () => {
      env.clock.set(Date.UTC(2026, 10, 1, 12, 0));
      const ny = (await schedule({ name: 'NY', body: 'x', components: ['api'], time_zone: 'America/New_York', starts_at: '2026-11-02T01:30', ends_at: '2026-11-02T02:30', suppress_alerts: false })).json();
      assert.equal(ny.scheduled_for, '2026-11-02T06:30:00.000Z', 'EST after 1 November: UTC-5');
      assert.equal(ny.maintenance_window_id, null);
      const local = (await schedule({ name: 'Berlin', body: 'x', components: ['api'], starts_at: '2026-11-02T01:30', ends_at: '2026-11-02T02:30' })).json();
      assert.equal(local.time_zone, 'Europe/Berlin');
      assert.equal(local.scheduled_for, '2026-11-02T00:30:00.000Z');
    });

    it('moves by hand: start early, verify, complete early (ending alert suppression), and refuses nonsense', async () => {
      env.clock.set(Date.UTC(2026, 11, 1, 9, 0));
      const m = (await schedule({ name: 'DB patch', body: 'Short write pause.', components: ['database'], time_zone: 'UTC', starts_at: '2026-12-01T10:00', ends_at: '2026-12-01T12:00' })).json();
      const move = async (status: string, role: 'viewer' | 'responder' = 'responder') => t.app.inject({ method: 'POST', url: `/api/v1/status-page/maintenances/${m.id}/updates`, headers: await as(role), payload: { status, body: `now ${status}` } });
      assert.equal((await move('verifying')).statusCode, 409, 'not from scheduled');
      assert.equal((await move('in_progress', 'viewer')).statusCode, 403);
      assert.equal((await move('in_progress')).json().status, 'in_progress');
      assert.equal((await move('verifying')).json().status, 'verifying');
      env.clock.set(Date.UTC(2026, 11, 1, 10, 30));
      assert.ok((await loadActiveWindows(env.ctx(), env.clock.now())).some((w) => w.services.has('database')));
      assert.equal((await move('completed')).json().status, 'completed');
      assert.ok(!(await loadActiveWindows(env.ctx(), env.clock.now())).some((w) => w.services.has('database')), 'finished early: pages again');
      const again = await move('in_progress');
      assert.equal(again.statusCode, 409);
      assert.match(again.json().error.message, /completed is final/);
      // The timers find it completed and do nothing.
      env.clock.set(Date.UTC(2026, 11, 1, 13, 0));
      await driver.settle();
      const view = (await t.app.inject({ method: 'GET', url: `/api/v1/status-page/incidents/${m.id}`, headers: await as('viewer') })).json();
      assert.equal(view.updates.length, 4);
    });

    it('refuses bad schedules', async () => {
      env.clock.set(Date.UTC(2026, 11, 2, 9, 0));
      const bad = async (payload: Record<string, unknown>, pattern: RegExp) => {
        const res = await schedule({ name: 'x', body: 'x', components: ['api'], time_zone: 'UTC', starts_at: '2026-12-03T10:00', ends_at: '2026-12-03T11:00', ...payload });
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json().error.code, 'VALIDATION_FAILED');
        assert.match(res.json().error.message, pattern);
      };
      await bad({ ends_at: '2026-12-03T09:00' }, /after starts_at/);
      await bad({ starts_at: '2026-12-01T10:00', ends_at: '2026-12-01T11:00' }, /over already/);
      await bad({ starts_at: '2026-12-03T10:00+01:00' }, /local date and time/);
      await bad({ time_zone: 'Mars/Olympus' }, /time zone/);
      await bad({ components: ['nope'] }, /unknown status page components: "nope"/);
      await bad({ ends_at: '2026-12-13T11:00' }, /7 days/);
    });
  });
}
