import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { createUser, updateUser } from '../../src/modules/auth/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { buildAppWithCapturedLogs, TEST_PASSWORD, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { assertError } from '../http/support.ts';
import { at, icsEvents, icsLines, useSchedulesConfig } from './schedules-kit.ts';

// Wednesday 2026-03-25, four days before Europe/Berlin moves its clocks forward (2026-03-29 02:00 → 03:00).
const NOW = at('2026-03-25T12:00:00Z');
const ICS = 'text/calendar; charset=utf-8';

for (const { name, skip } of DIALECTS) {
  describe(`calendar feeds [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));
    before(async () => {
      await useSchedulesConfig(env);
      env.clock.set(NOW);
      const admin = env.ctx(env.users.admin.actor);
      await createUser(admin, { handle: 'leaver', name: 'Leaver', email: 'leaver@example.com', role: 'responder', password: TEST_PASSWORD });
    });

    const get = (url: string, headers: Record<string, string> = t.auth.viewer) => t.app.inject({ method: 'GET', url, headers });
    /** The path and query of a feed URL, after checking it is under the public URL. */
    const feedPathOf = async (api: string) => {
      const res = await get(api);
      assert.equal(res.statusCode, 200, res.body);
      const url: string = res.json().url;
      assert.match(url, /^https:\/\/firebreak\.example\.com\/ical\/(schedules|users)\/[a-z0-9._-]+\.ics\?token=[A-Za-z0-9_-]{43}$/);
      return url.slice('https://firebreak.example.com'.length);
    };

    test('a schedule feed: CRLF, folded lines, one event per shift, 09:00 Berlin handoffs in UTC across the DST change', async () => {
      const res = await get('/api/v1/schedules/berlin-daily/calendar.ics');
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['content-type'], ICS);
      assert.match(String(res.headers['cache-control']), /^private/);
      const lines = icsLines(res.body);
      assert.deepEqual(lines.slice(0, 7), ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Firebreak//On-call//EN', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH', 'X-WR-CALNAME:Berlin daily on call', 'X-WR-CALDESC:Who is on call for Berlin daily']);
      const events = icsEvents(res.body);
      const byStart = new Map(events.map((e) => [e.start, e]));
      // The layer starts on Monday 2026-03-23 at 09:00 CET (08:00 UTC): nothing before it.
      assert.equal(events[0].start, '20260323T080000Z');
      assert.equal(events[0].summary, 'On call: Dan Moreau');
      // Saturday's shift is 23 hours long: 09:00 CET to 09:00 CEST.
      assert.deepEqual(byStart.get('20260328T080000Z'), {
        uid: 'berlin-daily-eve-20260328T080000Z@firebreak',
        start: '20260328T080000Z',
        end: '20260329T070000Z',
        summary: 'On call: Eve Marsh',
        description: 'Berlin daily (berlin-daily): Eve Marsh (eve), from the rotation layer daily.',
      });
      assert.deepEqual([byStart.get('20260329T070000Z')?.end, byStart.get('20260329T070000Z')?.summary], ['20260330T070000Z', 'On call: Dan Moreau']);
      assert.ok(!byStart.has('20260329T080000Z'), 'no handoff at 10:00 CEST');
      // Daily until 90 days ahead; the last shift keeps its real end.
      assert.equal(events.length, 93);
      assert.deepEqual([events.at(-1)!.start, events.at(-1)!.end], ['20260623T070000Z', '20260624T070000Z']);
      // Contiguous, no overlaps.
      for (let i = 1; i < events.length; i++) assert.equal(events[i].start, events[i - 1].end);
      // Every event has a unique, stable id.
      assert.equal(new Set(events.map((e) => e.uid)).size, events.length);
      assert.equal((await get('/api/v1/schedules/berlin-daily/calendar.ics')).body, res.body);
      assertError(await get('/api/v1/schedules/nope/calendar.ics'), 404, 'NOT_FOUND');
      assertError(await get('/api/v1/schedules/berlin-daily/calendar.ics', {}), 401, 'UNAUTHENTICATED');
    });

    test("a person's feed: their shifts across schedules, overrides included with why", async () => {
      const o = await t.app.inject({ method: 'POST', url: '/api/v1/schedules/primary/overrides', headers: t.auth.responder, payload: { user: 'dan', start: '2026-03-26T08:00:00Z', end: '2026-03-26T10:00:00Z', reason: 'carol; at the doctor, back at noon' } });
      assert.equal(o.statusCode, 201, o.body);
      const res = await get('/api/v1/users/dan/calendar.ics');
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['content-type'], ICS);
      const events = icsEvents(res.body);
      assert.ok(icsLines(res.body).includes('X-WR-CALNAME:Dan Moreau: on call'));
      assert.deepEqual(
        [...new Set(events.map((e) => e.summary))].sort(),
        ['On call: Berlin daily', 'On call: Database secondary', 'On call: Primary'],
      );
      // database-secondary: dan's week, 09:00 CET Monday to 09:00 CEST the next Monday.
      const week = events.find((e) => e.summary === 'On call: Database secondary' && e.start === '20260323T080000Z');
      assert.equal(week?.end, '20260330T070000Z');
      const override = events.find((e) => e.summary === 'On call: Primary')!;
      assert.deepEqual([override.start, override.end], ['20260326T080000Z', '20260326T100000Z']);
      assert.equal(override.description, `Primary (primary): Dan Moreau (dan), from the override by ${env.users.responder.handle}: carol; at the doctor, back at noon.`);
      // Events are in time order.
      assert.deepEqual(events.map((e) => e.start), events.map((e) => e.start).sort());
      // Someone who is never on call has an empty, valid calendar.
      const empty = await get(`/api/v1/users/${env.users.viewer.handle}/calendar.ics`);
      assert.deepEqual(icsEvents(empty.body), []);
      assertError(await get('/api/v1/users/nobody/calendar.ics'), 404, 'NOT_FOUND');
    });

    test('secret feed URLs work without signing in; any wrong, missing or borrowed token is 404', async () => {
      const schedulePath = await feedPathOf('/api/v1/schedules/berlin-daily/calendar-feed');
      assert.equal(await feedPathOf('/api/v1/schedules/berlin-daily/calendar-feed'), schedulePath, 'the URL is stable');
      const feed = await get(schedulePath, {});
      assert.equal(feed.statusCode, 200, feed.body);
      assert.equal(feed.headers['content-type'], ICS);
      assert.equal(feed.body, (await get('/api/v1/schedules/berlin-daily/calendar.ics')).body);
      // The token is HMAC-SHA256 of the feed's purpose under the 'calendar-feeds' key, not the link key.
      const key = await env.db.kysely.selectFrom('app_secrets').select('value').where('name', '=', 'calendar-feeds').executeTakeFirstOrThrow();
      const token = schedulePath.split('token=')[1];
      assert.equal(token, createHmac('sha256', Buffer.from(key.value, 'base64')).update('calendar:schedule:berlin-daily').digest('base64url'));

      const userPath = await feedPathOf('/api/v1/users/dan/calendar-feed');
      assert.match(userPath, /^\/ical\/users\/dan\.ics\?token=/);
      const userFeed = await get(userPath, {});
      assert.equal(userFeed.statusCode, 200, userFeed.body);
      assert.equal(userFeed.body, (await get('/api/v1/users/dan/calendar.ics')).body);

      const notFound = async (url: string) => {
        const err = assertError(await get(url, {}), 404, 'NOT_FOUND');
        // One answer for every case, so feeds cannot be probed.
        assert.equal(err.message, 'calendar feed not found');
        assert.deepEqual(err.details, {});
        assert.ok(!JSON.stringify(err).includes(token));
      };
      const other = (c: string) => (c === 'A' ? 'B' : 'A');
      for (const i of [0, 1, 21, 41, 42]) await notFound(`/ical/schedules/berlin-daily.ics?token=${token.slice(0, i)}${other(token[i])}${token.slice(i + 1)}`);
      await notFound('/ical/schedules/berlin-daily.ics');
      await notFound('/ical/schedules/berlin-daily.ics?token=');
      await notFound(`/ical/schedules/berlin-daily.ics?token=${token}x`);
      await notFound(`/ical/schedules/berlin-daily.ics?token=${token.slice(0, -1)}`);
      await notFound(`/ical/schedules/berlin-daily.ics?token=${token}&token=${token}`);
      await notFound(`/ical/schedules/berlin-daily.ics?token=${'x'.repeat(5000)}`);
      await notFound(`/ical/schedules/berlin-daily.ics?token=${Buffer.from(token, 'base64url').toString('base64')}`);
      // A token is for one feed: not another schedule's, not a person's of the same name.
      await notFound(`/ical/schedules/primary.ics?token=${token}`);
      await notFound(`/ical/users/dan.ics?token=${token}`);
      await notFound(`/ical/schedules/dan.ics?token=${userPath.split('token=')[1]}`);
      await notFound(`/ical/schedules/nope.ics?token=${token}`);
      // A signed-in caller still needs the token on the public URL.
      assertError(await get('/ical/schedules/berlin-daily.ics', t.auth.admin), 404, 'NOT_FOUND');
      // Other parameters a calendar app adds are ignored.
      assert.equal((await get(`${schedulePath}&nocache=123`, {})).statusCode, 200);

      // A handle with a dot still ends in .ics unambiguously.
      await createUser(env.ctx(env.users.admin.actor), { handle: 'j.doe', name: 'J. Doe', email: 'j.doe@example.com', role: 'viewer', password: TEST_PASSWORD });
      const dotted = await feedPathOf('/api/v1/users/j.doe/calendar-feed');
      assert.match(dotted, /^\/ical\/users\/j\.doe\.ics\?token=/);
      assert.deepEqual(icsEvents((await get(dotted, {})).body), []);

      // A disabled user's feed stops working.
      const leaverPath = await feedPathOf('/api/v1/users/leaver/calendar-feed');
      assert.equal((await get(leaverPath, {})).statusCode, 200);
      await updateUser(env.ctx(env.users.admin.actor), 'leaver', { disabled: true });
      await notFound(leaverPath);

      assertError(await get('/api/v1/schedules/nope/calendar-feed'), 404, 'NOT_FOUND');
      assertError(await get('/api/v1/users/nobody/calendar-feed'), 404, 'NOT_FOUND');
      assertError(await get('/api/v1/schedules/berlin-daily/calendar-feed', {}), 401, 'UNAUTHENTICATED');
    });

    test('feed tokens never reach the log', async () => {
      const path = await feedPathOf('/api/v1/schedules/berlin-daily/calendar-feed');
      const token = path.split('token=')[1];
      const { app, logs } = await buildAppWithCapturedLogs(env);
      try {
        assert.equal((await app.inject({ method: 'GET', url: path })).statusCode, 200);
        // The last character changed (to one it is not), so the token is wrong on every run.
        const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
        assert.equal((await app.inject({ method: 'GET', url: `/ical/schedules/berlin-daily.ics?token=${forged}` })).statusCode, 404);
        assert.ok(logs().includes('/ical/schedules/berlin-daily.ics'), 'the request was logged');
        assert.ok(!logs().includes(token.slice(0, 40)), 'a feed token was logged');
      } finally {
        await app.close();
      }
    });
  });
}
