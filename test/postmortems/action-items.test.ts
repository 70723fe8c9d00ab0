import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoTime } from '../../src/lib/iso-time.ts';
import { createIncident, getIncidentTimeline, transitionIncident } from '../../src/modules/incidents/index.ts';
import { ACTION_ITEM_REMINDER_TIMER, createActionItem, getActionItem, getIncidentPostmortem, getPostmortem, listPostmortems, updateActionItem, updatePostmortem } from '../../src/modules/postmortems/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { useTestApp, type TestApp, type TestEnv } from '../helpers/env.ts';
import { assertError } from '../http/support.ts';
import { DAY, HOUR, MIN, plainResolution, postmortemDriver, remindersFor } from './postmortem-kit.ts';

for (const { name: dialect, skip } of DIALECTS) {
  describe(`action items and reminders (${dialect})`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    let driver: Awaited<ReturnType<typeof postmortemDriver>>;
    useTestApp(
      dialect,
      import.meta.url,
      (e, a) => {
        env = e;
        t = a;
      },
      { app: { monitors: false }, configure: plainResolution },
    );

    const responder = () => env.ctx(env.users.responder.actor);
    // The reminder tests move the clock days on, past any session: they read through the verbs.
    const viewer = () => env.ctx(env.users.viewer.actor);
    const get = (url: string) => t.app.inject({ method: 'GET', url, headers: t.auth.viewer });
    const send = (method: 'POST' | 'PATCH', url: string, payload: object, who: keyof TestApp['auth'] = 'responder') => t.app.inject({ method, url, headers: t.auth[who], payload });
    const ids = (res: { json(): { data: { id: string }[] } }) => res.json().data.map((i) => i.id);

    let incA: { ref: string; id: string };
    let incB: { ref: string; id: string };
    let pmA: string;

    it('creates, reads and edits action items; done and won’t do close them', async () => {
      driver ??= await postmortemDriver(env);
      const a = await createIncident(responder(), { title: 'Checkout errors', severity: 'P1', services: ['api'], commander: 'responder-user' });
      await transitionIncident(responder(), a.ref, 'resolve');
      await driver.settle();
      incA = { ref: a.ref, id: a.id };
      pmA = (await get(`/api/v1/incidents/${a.ref}/postmortem`)).json().id;
      const b = await createIncident(responder(), { title: 'Reports slow', severity: 'P3', services: ['reporting'] });
      incB = { ref: b.ref, id: b.id };

      const due = env.clock.now() + 3 * DAY;
      const res = await send('POST', '/api/v1/action-items', { incident: a.ref, title: 'Canary config pushes', description: 'Roll config out to 5% first.', owner: 'responder-user', due_at: isoTime(due), priority: 'high', tracker_url: 'https://tracker.example/PAY-12' });
      assert.equal(res.statusCode, 201, res.body);
      const item = res.json();
      assert.equal(res.headers.location, `/api/v1/action-items/${item.id}`);
      assert.deepEqual(
        { incident: item.incident, postmortem_id: item.postmortem_id, owner: item.owner, due_at: item.due_at, priority: item.priority, tracker_url: item.tracker_url, status: item.status, closed_at: item.closed_at, overdue: item.overdue, created_by: item.created_by },
        { incident: { id: a.id, ref: a.ref }, postmortem_id: pmA, owner: 'responder-user', due_at: isoTime(due), priority: 'high', tracker_url: 'https://tracker.example/PAY-12', status: 'open', closed_at: null, overdue: false, created_by: 'responder-user' },
      );
      // Without a due date: postmortems.action_item_due from now; medium by default; no postmortem on B.
      const plain = await send('POST', '/api/v1/action-items', { incident: b.ref, title: 'Index the reports table' });
      assert.equal(plain.statusCode, 201, plain.body);
      assert.equal(plain.json().due_at, isoTime(env.clock.now() + env.config.current.postmortems.action_item_due));
      assert.equal(plain.json().priority, 'medium');
      assert.equal(plain.json().postmortem_id, null);
      assert.equal(plain.json().owner, null);

      assert.deepEqual((await get(`/api/v1/action-items/${item.id}`)).json(), item);
      assert.deepEqual(ids(await get(`/api/v1/incidents/${a.ref}/action-items`)), [item.id]);
      assert.deepEqual((await get(`/api/v1/postmortems/${pmA}`)).json().action_items.map((i: { id: string }) => i.id), [item.id]);
      assert.ok((await get(`/api/v1/incidents/${a.ref}`)).json().timeline.some((e: { kind: string }) => e.kind === 'action_item_added'));

      const edited = await send('PATCH', `/api/v1/action-items/${item.id}`, { status: 'in_progress', owner: 'viewer-user', tracker_url: null });
      assert.equal(edited.statusCode, 200, edited.body);
      assert.equal(edited.json().status, 'in_progress');
      assert.equal(edited.json().owner, 'viewer-user');
      assert.equal(edited.json().tracker_url, null);
      assert.equal(edited.json().closed_at, null);
      env.clock.advance(MIN);
      const done = await send('PATCH', `/api/v1/action-items/${item.id}`, { status: 'done' });
      assert.equal(done.json().closed_at, isoTime(env.clock.now()));
      assert.equal(await env.db.kysely.selectFrom('timers').select('due_at').where('kind', '=', ACTION_ITEM_REMINDER_TIMER).where('subject_id', '=', item.id).executeTakeFirst(), undefined, 'no reminders once done');
      const reopened = await send('PATCH', `/api/v1/action-items/${item.id}`, { status: 'open' });
      assert.equal(reopened.json().closed_at, null);
      const wont = await send('PATCH', `/api/v1/action-items/${item.id}`, { status: 'wont_do' });
      assert.equal(wont.json().closed_at, isoTime(env.clock.now()));
      const kinds = (await get(`/api/v1/incidents/${a.ref}`)).json().timeline.map((e: { kind: string }) => e.kind);
      assert.ok(kinds.includes('action_item_closed') && kinds.includes('action_item_reopened'), kinds.join(', '));
    });

    it('refuses bad action items with stable codes and stores nothing', async () => {
      const count = async () => Number((await env.db.kysely.selectFrom('action_items').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      const before = await count();
      for (const tracker_url of ['javascript:alert(1)', 'ftp://tracker.example/1', 'not a url', `https://x.example/${'a'.repeat(2000)}`]) {
        const err = assertError(await send('POST', '/api/v1/action-items', { incident: incA.ref, title: 'x', tracker_url }), 400, 'VALIDATION_FAILED');
        assert.ok((err.details.issues as { path: string }[]).some((i) => i.path === 'tracker_url'), JSON.stringify(err.details));
      }
      assertError(await send('POST', '/api/v1/action-items', { incident: incA.ref, title: ' ' }), 400, 'VALIDATION_FAILED');
      assertError(await send('POST', '/api/v1/action-items', { incident: incA.ref, title: 'x'.repeat(201) }), 400, 'VALIDATION_FAILED');
      assertError(await send('POST', '/api/v1/action-items', { incident: incA.ref, title: 'x', priority: 'urgent' }), 400, 'VALIDATION_FAILED');
      assertError(await send('POST', '/api/v1/action-items', { incident: incA.ref, title: 'x', due_at: 'next week' }), 400, 'VALIDATION_FAILED');
      assertError(await send('POST', '/api/v1/action-items', { incident: incA.ref, title: 'x', status: 'done' }), 400, 'VALIDATION_FAILED');
      assertError(await send('POST', '/api/v1/action-items', { incident: incA.ref, title: 'x', owner: 'ghost' }), 422, 'UNKNOWN_USER');
      assertError(await send('POST', '/api/v1/action-items', { incident: 'INC-9999', title: 'x' }), 404, 'NOT_FOUND');
      assertError(await send('POST', '/api/v1/action-items', { incident: incA.ref, title: 'x' }, 'viewer'), 403, 'FORBIDDEN');
      assertError(await t.app.inject({ method: 'POST', url: '/api/v1/action-items', headers: { ...t.auth.responder, 'content-type': 'application/json' }, payload: '{"incident":' }), 400, 'INVALID_JSON');
      assertError(await send('PATCH', '/api/v1/action-items/act_missing', { status: 'done' }), 404, 'NOT_FOUND');
      assertError(await send('PATCH', '/api/v1/action-items/act_missing', { status: 'closed' }), 400, 'VALIDATION_FAILED');
      assert.equal(await count(), before);
    });

    it('lists action items across incidents with filters and paging', async () => {
      // Fresh items on both incidents: A's due in 1, 2 and 5 days; B's overdue by a day.
      const now = env.clock.now();
      const mk = (incident: string, title: string, extra: Record<string, unknown>) => createActionItem(responder(), { incident, title, ...extra });
      const a1 = await mk(incA.ref, 'A1', { due_at: isoTime(now + DAY), owner: 'responder-user', priority: 'high' });
      const a2 = await mk(incA.ref, 'A2', { due_at: isoTime(now + 2 * DAY), owner: 'viewer-user', priority: 'low' });
      const a5 = await mk(incA.ref, 'A5', { due_at: isoTime(now + 5 * DAY), owner: 'responder-user', priority: 'medium' });
      const b0 = await mk(incB.ref, 'B0', { due_at: isoTime(now - DAY), owner: 'responder-user', priority: 'high' });
      const fresh = new Set([a1.id, a2.id, a5.id, b0.id]);
      const only = (list: string[]) => list.filter((id) => fresh.has(id));

      assert.deepEqual(only(ids(await get('/api/v1/action-items?limit=200'))), [b0.id, a1.id, a2.id, a5.id], 'soonest due first');
      assert.deepEqual(only(ids(await get('/api/v1/action-items?owner=responder-user&limit=200'))), [b0.id, a1.id, a5.id]);
      assert.deepEqual(only(ids(await get(`/api/v1/action-items?incident=${incB.ref}&limit=200`))), [b0.id]);
      assert.deepEqual(only(ids(await get('/api/v1/action-items?priority=high&limit=200'))), [b0.id, a1.id]);
      assert.deepEqual(only(ids(await get('/api/v1/action-items?priority=low,medium&status=open&limit=200'))), [a2.id, a5.id]);
      assert.deepEqual(ids(await get('/api/v1/action-items?overdue=true')), [b0.id]);
      assert.deepEqual(only(ids(await get(`/api/v1/action-items?due_before=${encodeURIComponent(isoTime(now + 2 * DAY))}&limit=200`))), [b0.id, a1.id]);
      assert.deepEqual(ids(await get('/api/v1/action-items?owner=nobody-at-all')), []);
      assert.equal((await get('/api/v1/action-items?overdue=true')).json().data[0].overdue, true);
      // Paging: limit and offset, with the next offset until the last page.
      const all = ids(await get('/api/v1/action-items?limit=200'));
      const p1 = await get('/api/v1/action-items?limit=2');
      assert.deepEqual(ids(p1), all.slice(0, 2));
      assert.equal(p1.json().next_offset, 2);
      const p2 = await get('/api/v1/action-items?limit=2&offset=2');
      assert.deepEqual(ids(p2), all.slice(2, 4));
      const last = await get(`/api/v1/action-items?limit=2&offset=${all.length - 1}`);
      assert.deepEqual(ids(last), all.slice(-1));
      assert.equal(last.json().next_offset, null);
      for (const qs of ['status=closed', 'priority=urgent', 'overdue=maybe', 'due_before=tomorrow', 'limit=0', 'limit=201', 'offset=-1', 'sort=title', 'incident=' + 'x'.repeat(65)]) {
        assertError(await get(`/api/v1/action-items?${qs}`), 400, 'VALIDATION_FAILED');
      }
      assertError(await get('/api/v1/action-items?incident=INC-9999'), 404, 'NOT_FOUND');
      assertError(await get('/api/v1/action-items/act_missing'), 404, 'NOT_FOUND');
    });

    it('reminds an overdue action item’s owner when due passes, then at most once a day, until it is closed', async () => {
      const item = await createActionItem(responder(), { incident: incA.ref, title: 'Alert on retry-path errors', owner: 'responder-user', due_at: isoTime(env.clock.now() + HOUR) });
      const mine = async () => (await remindersFor(env, 'responder-user', 'action-item')).filter((n) => n.key.includes(item.id));
      await driver.settle();
      assert.equal((await mine()).length, 0, 'not before it is due');
      env.clock.advance(HOUR);
      await driver.settle();
      const [first] = await mine();
      assert.ok(first, 'reminded when due passed');
      assert.equal(first.incident_id, incA.id);
      assert.equal(first.status, 'pending', 'queued in the notification outbox');
      assert.match(JSON.parse(first.message).body, /Action item "Alert on retry-path errors" from INC-\d+ was due .* and is still open/);
      assert.ok((await getActionItem(viewer(), item.id)).reminded_at);
      env.clock.advance(12 * HOUR);
      await driver.settle();
      assert.equal((await mine()).length, 1, 'not twice in a day');
      env.clock.advance(12 * HOUR);
      await driver.settle();
      assert.equal((await mine()).length, 2, 'again a day later');
      await updateActionItem(responder(), item.id, { status: 'done' });
      env.clock.advance(3 * DAY);
      await driver.settle();
      assert.equal((await mine()).length, 2, 'none once done');
      // An item without an owner reminds nobody, and does not fail.
      const orphan = await createActionItem(responder(), { incident: incA.ref, title: 'Nobody owns this', due_at: isoTime(env.clock.now() + MIN) });
      env.clock.advance(2 * MIN);
      await driver.settle();
      assert.ok((await getActionItem(viewer(), orphan.id)).reminded_at);
    });

    it('reminds a postmortem’s owner remind_before its deadline and once more when it is overdue, not after completing', async () => {
      const inc = await createIncident(responder(), { title: 'Login failing', severity: 'P0', services: ['auth'], commander: 'responder-user' });
      await transitionIncident(responder(), inc.ref, 'resolve');
      const resolvedAt = env.clock.now();
      await driver.settle();
      const pm = await getIncidentPostmortem(viewer(), inc.ref);
      const mine = async () => (await remindersFor(env, 'responder-user', 'postmortem')).filter((n) => n.key.includes(pm.id));
      env.clock.set(resolvedAt + 36 * HOUR - MIN);
      await driver.settle();
      assert.equal((await mine()).length, 0, 'not before remind_before');
      env.clock.set(resolvedAt + 36 * HOUR);
      await driver.settle();
      const soon = await mine();
      assert.equal(soon.length, 1);
      assert.match(JSON.parse(soon[0].message).body, /The postmortem of INC-\d+ is due .* \(in 12h\)/);
      assert.equal((await getPostmortem(viewer(), pm.id)).reminded_at, isoTime(env.clock.now()));
      env.clock.set(resolvedAt + 48 * HOUR + MIN);
      await driver.settle();
      const late = await mine();
      assert.equal(late.length, 2);
      assert.match(JSON.parse(late[1].message).body, /was due .* and is not completed yet/);
      assert.equal((await getPostmortem(viewer(), pm.id)).overdue, true);
      const overdue = (await listPostmortems(viewer(), { overdue: 'true' })).data;
      assert.ok(overdue.some((p) => p.id === pm.id));
      assert.ok(overdue.every((p) => p.overdue && p.status !== 'completed'));
      env.clock.advance(5 * DAY);
      await driver.settle();
      assert.equal((await mine()).length, 2, 'two reminders in all');
      const timeline = (await getIncidentTimeline(viewer(), inc.ref)).filter((e) => e.kind === 'postmortem_reminder');
      assert.equal(timeline.length, 2);

      // Completed before its reminder: none.
      const other = await createIncident(responder(), { title: 'Search down', severity: 'P1', services: ['api'], commander: 'responder-user' });
      await transitionIncident(responder(), other.ref, 'resolve');
      await driver.settle();
      const pm2 = await getIncidentPostmortem(viewer(), other.ref);
      await updatePostmortem(responder(), pm2.id, { revision: 1, summary: 'Search was down.', root_cause: 'An expired certificate.', status: 'completed' });
      env.clock.advance(3 * DAY);
      await driver.settle();
      assert.equal((await remindersFor(env, 'responder-user', 'postmortem')).filter((n) => n.key.includes(pm2.id)).length, 0);
      assert.deepEqual((await listPostmortems(viewer(), { status: 'completed' })).data.map((p) => p.id), [pm2.id]);
      assert.equal((await listPostmortems(viewer(), { overdue: 'false' })).data.some((p) => p.id === pm.id), false);
    });
  });
}
