import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoTime } from '../../src/lib/iso-time.ts';
import { assignRole, createIncident, getIncidentTimeline, recordMitigation, transitionIncident } from '../../src/modules/incidents/index.ts';
import { POSTMORTEM_REMINDER_TIMER } from '../../src/modules/postmortems/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { useTestApp, type TestApp, type TestEnv } from '../helpers/env.ts';
import { assertError } from '../http/support.ts';
import { HOUR, MIN, plainResolution, postmortemDriver } from './postmortem-kit.ts';

for (const { name: dialect, skip } of DIALECTS) {
  describe(`postmortems (${dialect})`, { skip }, () => {
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
    const get = (url: string, who: keyof TestApp['auth'] = 'viewer') => t.app.inject({ method: 'GET', url, headers: t.auth[who] });
    const send = (method: 'POST' | 'PATCH', url: string, payload: object, who: keyof TestApp['auth'] = 'responder') => t.app.inject({ method, url, headers: t.auth[who], payload });
    const timeline = (ref: string) => getIncidentTimeline(env.ctx(), ref);
    const countRows = async (table: 'postmortems' | 'postmortem_revisions') => Number((await env.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

    /** A P1 with every response time known: detected 1 min before, acknowledged +30 s, commander +1 min, rollback +2 min, resolved +5 min. */
    let first: { ref: string; id: string; t0: number; pm: string };

    it('creates the postmortem of a resolved P1 by itself, prefilled from the incident, due 48 h after the resolution', async () => {
      driver ??= await postmortemDriver(env);
      const t0 = env.clock.now();
      const inc = await createIncident(responder(), { title: 'Checkout errors', severity: 'P1', services: ['api'], detected_at: isoTime(t0 - MIN) });
      env.clock.advance(30_000);
      await transitionIncident(responder(), inc.ref, 'acknowledge');
      env.clock.advance(30_000);
      await assignRole(responder(), inc.ref, { role: 'commander', user: 'responder-user' });
      env.clock.advance(MIN);
      await recordMitigation(responder(), inc.ref, { kind: 'rollback', body: 'rolled back the 02:10 deploy', change: 'deploy 4471' });
      env.clock.advance(3 * MIN);
      await transitionIncident(responder(), inc.ref, 'resolve', { note: 'config restored' });
      const resolvedAt = env.clock.now();
      assert.equal(resolvedAt, t0 + 5 * MIN);
      assertError(await get(`/api/v1/incidents/${inc.ref}/postmortem`), 404, 'NOT_FOUND');
      assert.equal((await get(`/api/v1/incidents/${inc.ref}`)).json().postmortem, null, 'the detail says there is none yet');
      await driver.settle();

      const res = await get(`/api/v1/incidents/${inc.ref}/postmortem`);
      assert.equal(res.statusCode, 200, res.body);
      const pm = res.json();
      first = { ref: inc.ref, id: inc.id, t0, pm: pm.id };
      assert.equal(pm.source, 'auto');
      assert.equal(pm.status, 'draft');
      assert.equal(pm.revision, 1);
      assert.equal(pm.owner, 'responder-user', 'the commander owns it');
      assert.equal(pm.due_at, isoTime(resolvedAt + 48 * HOUR));
      assert.equal(pm.overdue, false);
      assert.deepEqual(pm.incident, { id: inc.id, ref: inc.ref, title: 'Checkout errors', severity: 'P1' });
      assert.deepEqual((await get(`/api/v1/incidents/${inc.ref}`)).json().postmortem, { id: pm.id, status: 'draft', due_at: pm.due_at });
      const c = pm.content;
      assert.equal(c.incident.start, isoTime(t0 - MIN));
      assert.equal(c.incident.end, isoTime(resolvedAt));
      assert.equal(c.incident.duration_ms, 6 * MIN);
      assert.equal(c.incident.duration, '6m');
      assert.deepEqual(c.incident.impact, { services: ['api'], impacted_services: inc.impact.impacted_services, user_share: inc.impact.user_share, customer_facing: inc.impact.customer_facing, highest_tier: inc.impact.highest_tier });
      assert.deepEqual(c.detection, { method: 'manual', fingerprint: null, detected_at: isoTime(t0 - MIN), triggered_at: isoTime(t0) });
      const p1 = env.config.current.severities.P1;
      assert.deepEqual(c.metrics.time_to_detect, { actual_ms: MIN, target_ms: env.config.current.analytics.targets.detection, met: MIN <= env.config.current.analytics.targets.detection });
      assert.deepEqual(c.metrics.time_to_acknowledge, { actual_ms: 30_000, target_ms: p1.ack_target, met: 30_000 <= p1.ack_target });
      assert.deepEqual(c.metrics.time_to_respond, { actual_ms: MIN, target_ms: p1.response_target, met: MIN <= p1.response_target });
      assert.deepEqual(c.metrics.time_to_resolve, { actual_ms: 5 * MIN, target_ms: p1.resolve_target, met: 5 * MIN <= p1.resolve_target });
      // The full timeline, as it stood.
      const kinds = c.timeline.map((e: { kind: string }) => e.kind);
      for (const k of ['created', 'acknowledged', 'role_assigned', 'rollback', 'resolved']) assert.ok(kinds.includes(k), `${k} in ${kinds.join(', ')}`);
      assert.equal(c.timeline[0].at, isoTime(t0));
      // The rollback is listed in the resolution, with when it happened.
      assert.match(c.resolution, new RegExp(`- ${isoTime(t0 + 2 * MIN).replace(/\./g, '\\.')} Rollback: rolled back the 02:10 deploy \\(deploy 4471\\)`));
      assert.match(c.resolution, /config restored/);
      assert.equal(c.summary, '');
      assert.equal(c.root_cause, '');
      assert.deepEqual(c.factors, { technical: [], process: [], human: [], organisational: [] });
      assert.deepEqual(c.lessons, { went_well: [], could_improve: [], surprises: [] });
      assert.equal(c.five_whys.length, 5);
      assert.deepEqual(pm.hints, []);
      // On the incident's timeline, and a reminder 12 h before it is due.
      const entry = (await timeline(inc.ref)).find((e) => e.kind === 'postmortem_created');
      assert.ok(entry, 'timeline entry');
      assert.equal(entry.data.postmortem_id, pm.id);
      const timer = await env.db.kysely.selectFrom('timers').selectAll().where('kind', '=', POSTMORTEM_REMINDER_TIMER).where('subject_id', '=', pm.id).executeTakeFirstOrThrow();
      assert.equal(Number(timer.due_at), resolvedAt + 36 * HOUR);
      // Following up after the resolution is not responding to the incident.
      const row = await env.db.kysely.selectFrom('incidents').select('responded_at').where('id', '=', inc.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.responded_at), t0 + MIN);
    });

    it('creates it once however often the resolution event is consumed', async () => {
      await env.db.kysely.updateTable('outbox').set({ reacted_at: null }).where('topic', '=', 'incident.resolved').where('aggregate_id', '=', first.id).execute();
      await driver.settle();
      await driver.settle();
      const rows = await env.db.kysely.selectFrom('postmortems').select('id').where('incident_id', '=', first.id).execute();
      assert.deepEqual(rows.map((r) => r.id), [first.pm]);
      assert.equal((await timeline(first.ref)).filter((e) => e.kind === 'postmortem_created').length, 1);
      assert.equal((await env.db.kysely.selectFrom('postmortem_revisions').select('revision').where('postmortem_id', '=', first.pm).execute()).length, 1);
    });

    it('gives a P2 none unless asked; asking again is a CONFLICT; an open incident cannot have one yet', async () => {
      const inc = await createIncident(responder(), { title: 'Reports slow', severity: 'P2', services: ['reporting'] });
      assertError(await send('POST', `/api/v1/incidents/${inc.ref}/postmortem`, {}), 409, 'INVALID_TRANSITION');
      // Resolved by automation: nobody responded, and following up afterwards does not change that.
      await transitionIncident(env.ctx(), inc.ref, 'resolve');
      await driver.settle();
      assertError(await get(`/api/v1/incidents/${inc.ref}/postmortem`), 404, 'NOT_FOUND');
      assertError(await send('POST', `/api/v1/incidents/${inc.ref}/postmortem`, {}, 'viewer'), 403, 'FORBIDDEN');
      const before = await countRows('postmortems');
      assertError(await send('POST', `/api/v1/incidents/${inc.ref}/postmortem`, { owner: 'nobody-like-this' }), 422, 'UNKNOWN_USER');
      assert.equal(await countRows('postmortems'), before, 'nothing half-written');
      env.clock.advance(HOUR);
      const res = await send('POST', `/api/v1/incidents/${inc.ref}/postmortem`, {});
      assert.equal(res.statusCode, 201, res.body);
      const pm = res.json();
      assert.equal(pm.source, 'manual');
      assert.equal(pm.owner, null, 'no commander, nobody owns it');
      assert.equal(pm.created_by, 'responder-user');
      assert.equal(pm.due_at, isoTime(env.clock.now() + 48 * HOUR), 'due 48 h after the request');
      assert.equal((await send('POST', '/api/v1/action-items', { incident: inc.ref, title: 'Add an index' })).statusCode, 201);
      const respondedAt = await env.db.kysely.selectFrom('incidents').select('responded_at').where('id', '=', inc.id).executeTakeFirstOrThrow();
      assert.equal(respondedAt.responded_at, null);
      const again = assertError(await send('POST', `/api/v1/incidents/${inc.ref}/postmortem`, {}), 409, 'CONFLICT');
      assert.equal(again.details.postmortem, pm.id);
      // The automatic one of a P1 counts too.
      assertError(await send('POST', `/api/v1/incidents/${first.ref}/postmortem`, {}), 409, 'CONFLICT');
    });

    it('follows postmortems.severities: a P3 gets one when the config says so', async () => {
      const c = env.config.current;
      env.config.current = { ...c, postmortems: { ...c.postmortems, severities: ['P3'] } };
      try {
        const p3 = await createIncident(responder(), { title: 'Docs typo page', severity: 'P3', services: ['docs'] });
        const p1 = await createIncident(responder(), { title: 'Login slow', severity: 'P1', services: ['auth'] });
        await transitionIncident(responder(), p3.ref, 'resolve');
        await transitionIncident(responder(), p1.ref, 'resolve');
        await driver.settle();
        assert.equal((await get(`/api/v1/incidents/${p3.ref}/postmortem`)).statusCode, 200);
        assertError(await get(`/api/v1/incidents/${p1.ref}/postmortem`), 404, 'NOT_FOUND');
      } finally {
        env.config.current = c;
      }
    });

    it('saves edits as revisions and refuses a stale revision with CONFLICT, writing nothing', async () => {
      const url = `/api/v1/postmortems/${first.pm}`;
      const saved = await send('PATCH', url, { revision: 1, summary: 'Checkout failed for six minutes.', factors: { technical: ['The config push had no canary'] }, note: 'first pass' });
      assert.equal(saved.statusCode, 200, saved.body);
      assert.equal(saved.json().revision, 2);
      assert.equal(saved.json().content.summary, 'Checkout failed for six minutes.');
      assert.deepEqual(saved.json().content.factors, { technical: ['The config push had no canary'], process: [], human: [], organisational: [] });
      const revisionsBefore = await countRows('postmortem_revisions');
      const stale = assertError(await send('PATCH', url, { revision: 1, summary: 'Someone else’s edit' }), 409, 'CONFLICT');
      assert.equal(stale.details.current_revision, 2);
      assert.equal(await countRows('postmortem_revisions'), revisionsBefore);
      assert.equal((await get(url)).json().content.summary, 'Checkout failed for six minutes.');
      const revisions = (await get(`${url}/revisions`)).json().data;
      assert.deepEqual(revisions.map((r: { revision: number }) => r.revision), [1, 2]);
      assert.equal(revisions[0].note, 'created');
      assert.equal(revisions[0].actor.name, 'postmortem automation');
      assert.deepEqual(revisions[1].changed, ['summary', 'factors']);
      assert.equal(revisions[1].actor.name, 'responder-user');
      assert.equal(revisions[1].note, 'first pass');
      assert.equal(revisions[0].content.summary, '');
      assertError(await send('PATCH', url, { revision: 2, summary: 'viewer edit' }, 'viewer'), 403, 'FORBIDDEN');
      assertError(await send('PATCH', url, { revision: 2, summary: 'x'.repeat(20_001) }), 400, 'VALIDATION_FAILED');
      assertError(await send('PATCH', url, { revision: 2, status: 'published' }), 400, 'VALIDATION_FAILED');
      assertError(await send('PATCH', url, { summary: 'no revision' }), 400, 'VALIDATION_FAILED');
      assertError(await send('PATCH', url, { revision: 2, owner: 'ghost' }), 422, 'UNKNOWN_USER');
      assertError(await send('PATCH', '/api/v1/postmortems/pm_missing', { revision: 1 }), 404, 'NOT_FOUND');
      assert.equal(await countRows('postmortem_revisions'), revisionsBefore, 'refused edits wrote no revision');
    });

    it('moves draft → in_review → completed; completing needs a summary and a root cause; completed is a record', async () => {
      const url = `/api/v1/postmortems/${first.pm}`;
      const missing = assertError(await send('PATCH', url, { revision: 2, status: 'completed' }), 400, 'VALIDATION_FAILED');
      assert.deepEqual((missing.details.issues as { path: string }[]).map((i) => i.path), ['root_cause']);
      const review = await send('PATCH', url, { revision: 2, root_cause: 'A configuration change disabled the payment retry path.', status: 'in_review' });
      assert.equal(review.statusCode, 200, review.body);
      assert.equal(review.json().status, 'in_review');
      env.clock.advance(MIN);
      const done = await send('PATCH', url, { revision: 3, status: 'completed' });
      assert.equal(done.statusCode, 200, done.body);
      assert.equal(done.json().status, 'completed');
      assert.equal(done.json().completed_at, isoTime(env.clock.now()));
      assert.equal(await env.db.kysely.selectFrom('timers').select('due_at').where('kind', '=', POSTMORTEM_REMINDER_TIMER).where('subject_id', '=', first.pm).executeTakeFirst(), undefined, 'no reminders once completed');
      const kinds = (await timeline(first.ref)).map((e) => e.kind);
      assert.ok(kinds.includes('postmortem_in_review') && kinds.includes('postmortem_completed'), kinds.join(', '));
      assertError(await send('PATCH', url, { revision: 4, summary: 'late edit' }), 409, 'INVALID_TRANSITION');
      assertError(await send('PATCH', url, { revision: 4, status: 'draft' }), 409, 'INVALID_TRANSITION');
      const reopened = await send('PATCH', url, { revision: 4, status: 'in_review', owner: 'viewer-user' });
      assert.equal(reopened.statusCode, 200, reopened.body);
      assert.equal(reopened.json().completed_at, null);
      assert.equal(reopened.json().owner, 'viewer-user');
      assert.ok(await env.db.kysely.selectFrom('timers').select('due_at').where('kind', '=', POSTMORTEM_REMINDER_TIMER).where('subject_id', '=', first.pm).executeTakeFirst(), 'reminder re-armed');
      const list = (await get('/api/v1/postmortems?status=in_review&owner=viewer-user')).json();
      assert.deepEqual(list.data.map((p: { id: string }) => p.id), [first.pm]);
    });

    it('flags names of people in the root cause and factors as hints, without refusing the save', async () => {
      const url = `/api/v1/postmortems/${first.pm}`;
      const rev = (await get(url)).json().revision;
      const res = await send('PATCH', url, {
        revision: rev,
        summary: 'Alice Lindqvist led the response.',
        root_cause: 'Alice Lindqvist pushed the config without review; @bob approved it and responder-user did not notice.',
        factors: { human: ['Carol was on her third night on call'], process: ['Mail to alice@example.com bounced'] },
      });
      assert.equal(res.statusCode, 200, res.body);
      const hints = res.json().hints.map((h: { section: string; match: string; kind: string }) => `${h.section}|${h.match}|${h.kind}`);
      assert.deepEqual(hints.sort(), ['factors.human[0]|Carol|name', 'root_cause|@bob|mention', 'root_cause|Alice Lindqvist|name', 'root_cause|responder-user|handle'].sort());
      for (const h of res.json().hints) assert.match(h.message, /blameless/);
      assert.deepEqual((await get(url)).json().hints.length, 4, 'hints on reading too');
    });

    it('exports Markdown with the facts, sections, action items and timeline, markup neutralised', async () => {
      const item = await send('POST', '/api/v1/action-items', { incident: first.ref, title: 'Canary <script>alert(1)</script> config pushes', owner: 'responder-user', priority: 'high', tracker_url: 'https://tracker.example/PAY-12' });
      assert.equal(item.statusCode, 201, item.body);
      const res = await get(`/api/v1/postmortems/${first.pm}/export.md`);
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^text\/markdown/);
      const md = res.body;
      assert.ok(md.startsWith('# Postmortem: INC-1 Checkout errors\n'), md.slice(0, 80));
      for (const line of ['| Severity | P1 |', `| Start | ${isoTime(first.t0 - MIN)} |`, '| Duration | 6m |', '| Customer-facing |', '## Root cause', 'pushed the config without review', '## Five whys', '## Action items', 'https://tracker.example/PAY-12', '## Timeline', 'Rollback: rolled back the 02:10 deploy (deploy 4471)', '- The config push had no canary']) {
        assert.ok(md.includes(line), `missing ${line}`);
      }
      assert.ok(md.includes('Canary &lt;script&gt;alert(1)&lt;/script&gt; config pushes'));
      assert.ok(!md.includes('<script>'));
      assertError(await get('/api/v1/postmortems/pm_missing/export.md'), 404, 'NOT_FOUND');
    });

    it('publishes a customer-facing version on the public incident, without names or the timeline', async () => {
      const inc = await createIncident(responder(), { title: 'Payments down', severity: 'P1', services: ['web'], commander: 'responder-user' });
      await transitionIncident(responder(), inc.ref, 'resolve');
      await driver.settle();
      const pm = (await get(`/api/v1/incidents/${inc.ref}/postmortem`)).json();
      const publish = (payload: object = {}) => send('POST', `/api/v1/postmortems/${pm.id}/publish`, payload);
      assertError(await publish(), 409, 'CONFLICT');
      assert.equal((await get(`/api/v1/postmortems/${pm.id}`)).json().published_at, null);
      const created = await send('POST', '/api/v1/status-page/incidents', { name: 'Payment errors', body: 'We are investigating.', components: { 'web-app': 'major_outage' }, incident: inc.ref });
      assert.equal(created.statusCode, 201, created.body);
      const publicId = created.json().id;
      // Not yet resolved on the status page; then resolved, but there is no summary to tell customers.
      assertError(await publish({ body: 'Too early.' }), 409, 'INVALID_TRANSITION');
      assert.equal((await send('POST', `/api/v1/status-page/incidents/${publicId}/updates`, { status: 'resolved', body: 'Payments work again.' })).statusCode, 201);
      assertError(await publish(), 409, 'CONFLICT');
      assert.equal(
        (await send('PATCH', `/api/v1/postmortems/${pm.id}`, { revision: 1, summary: 'Card payments failed for 20 minutes after a change by Alice Lindqvist (@bob reviewed).', resolution: 'We rolled the change back.', prevention: ['Canary every payment config change'] })).statusCode,
        200,
      );
      const res = await send('POST', `/api/v1/postmortems/${pm.id}/publish`, {}, 'viewer');
      assertError(res, 403, 'FORBIDDEN');
      env.clock.advance(MIN);
      const ok = await publish();
      assert.equal(ok.statusCode, 201, ok.body);
      const out = ok.json();
      assert.equal(out.public_incident.id, publicId);
      assert.equal(out.public_incident.status, 'postmortem');
      assert.equal(out.postmortem.published_at, isoTime(env.clock.now()));
      assert.match(out.body, /Card payments failed for 20 minutes/);
      assert.match(out.body, /We rolled the change back\./);
      assert.match(out.body, /- Canary every payment config change/);
      assert.doesNotMatch(out.body, /Alice|Lindqvist|@bob|responder-user|declared|State /);
      const shown = (await get(`/api/v1/status-page/incidents/${publicId}`)).json();
      assert.equal(shown.postmortem.body, out.body);
      assert.ok((await timeline(inc.ref)).some((e) => e.kind === 'postmortem_published'));
      // A body written for customers is published as given.
      const custom = await publish({ body: 'What happened, in our words.' });
      assert.equal(custom.statusCode, 201, custom.body);
      assert.equal((await get(`/api/v1/status-page/incidents/${publicId}`)).json().postmortem.body, 'What happened, in our words.');
    });

    it('refuses hostile and malformed bodies with stable codes, and keeps hostile text verbatim', async () => {
      const url = `/api/v1/postmortems/${first.pm}`;
      const before = await countRows('postmortem_revisions');
      assertError(await send('PATCH', url, { revision: 1, is_admin: true }), 400, 'VALIDATION_FAILED');
      assertError(await send('PATCH', url, { revision: 1, factors: { blame: ['x'] } }), 400, 'VALIDATION_FAILED');
      assertError(await send('PATCH', url, { revision: 1, five_whys: Array.from({ length: 11 }, () => ({ question: 'q', answer: 'a' })) }), 400, 'VALIDATION_FAILED');
      assertError(await t.app.inject({ method: 'PATCH', url, headers: { ...t.auth.responder, 'content-type': 'application/json' }, payload: '{"revision": 1,' }), 400, 'INVALID_JSON');
      assertError(await t.app.inject({ method: 'PATCH', url, headers: { ...t.auth.responder, 'content-type': 'application/json' }, payload: '{"revision": 1, "__proto__": {"x": 1}}' }), 400, 'INVALID_JSON');
      assertError(await send('PATCH', url, { revision: 1, summary: 'nul \u0000 here' }), 400, 'VALIDATION_FAILED');
      assert.equal(await countRows('postmortem_revisions'), before);
      const hostile = `<img src=x onerror=alert(1)> '; DROP TABLE postmortems; -- \u202e ${'漢'.repeat(10)}`;
      const rev = (await get(url)).json().revision;
      const saved = await send('PATCH', url, { revision: rev, summary: hostile });
      assert.equal(saved.statusCode, 200, saved.body);
      assert.equal((await get(url)).json().content.summary, hostile);
    });
  });
}
