import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createIncident, getIncident, transitionIncident } from '../../src/modules/incidents/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';

/** The example config's events_v2 integration, on the `database` service. */
const KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';
const change = (payload: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  routing_key: KEY,
  payload: { summary: 'Deployed postgres config v42', source: 'deploy-bot', ...payload },
  links: [{ href: 'https://ci.example.org/builds/42', text: 'build 42' }],
  ...extra,
});

for (const { name, skip } of DIALECTS) {
  describe(`change events [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));

    const send = (body: unknown) =>
      t.app.inject({ method: 'POST', url: '/v2/change/enqueue', headers: { 'content-type': 'application/json' }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
    const count = async (table: 'change_events' | 'signals' | 'incidents' | 'incident_timeline') =>
      Number((await env.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const refused = (res: LightMyRequestResponse, status: number) => {
      assert.equal(res.statusCode, status, res.body);
      const body = res.json();
      assert.equal(body.status, 'invalid event');
      assert.ok(Array.isArray(body.errors) && body.errors.length > 0, res.body);
      assert.ok(!res.body.includes(KEY), 'the routing key is never echoed');
    };

    test('a change is stored with its signal, pages nobody and opens no incident', async () => {
      const incidents = await count('incidents');
      const res = await send(change());
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual(res.json(), { status: 'success', message: 'Change event processed' });
      assert.equal(await count('incidents'), incidents);
      const row = await env.db.kysely.selectFrom('change_events').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.equal(row.service_id, 'database');
      assert.equal(row.summary, 'Deployed postgres config v42');
      assert.equal(JSON.parse(row.details).links[0].href, 'https://ci.example.org/builds/42');
      const signal = await env.db.kysely.selectFrom('signals').selectAll().where('id', '=', Number(row.signal_id)).executeTakeFirstOrThrow();
      assert.equal(signal.kind, 'change');
      assert.ok(!signal.payload.includes(KEY), 'the routing key is not stored');
    });

    test('open incidents on the service get a timeline entry; later incidents list it among recent changes', async () => {
      const responder = env.ctx(env.users.responder.actor);
      const onDatabase = await createIncident(responder, { title: 'Slow queries', severity: 'P2', services: ['database'] });
      env.clock.advance(60_000);
      assert.equal((await send(change({ summary: 'Raised work_mem' }))).statusCode, 202);
      const full = await getIncident(responder, onDatabase.ref);
      const entry = full.timeline.find((e) => e.kind === 'change');
      assert.ok(entry, 'the open incident on the service notes the change');
      assert.match(entry.body, /Raised work_mem/);
      assert.deepEqual(full.recent_changes.map((c) => c.summary).slice(0, 1), ['Raised work_mem']);

      // An incident on a service that depends on database (api), opened 10 minutes later, sees it too.
      env.clock.advance(10 * 60_000);
      const onApi = await createIncident(responder, { title: 'API errors', severity: 'P1', services: ['api'] });
      const apiView = await getIncident(responder, onApi.ref);
      assert.ok(apiView.recent_changes.some((c) => c.summary === 'Raised work_mem' && c.service === 'database'));
      assert.ok(!apiView.timeline.some((e) => e.kind === 'change'), 'the change came before it opened: listed, not on its timeline');
      // One on an unrelated service does not.
      const onDocs = await createIncident(responder, { title: 'Docs typo', severity: 'P3', services: ['docs'] });
      assert.deepEqual((await getIncident(responder, onDocs.ref)).recent_changes, []);

      // Changes more than two hours before the trigger, or after resolution, are not "just before".
      for (const ref of [onDatabase.ref, onApi.ref, onDocs.ref]) await transitionIncident(responder, ref, 'resolve');
      env.clock.advance(3 * 3_600_000);
      assert.equal((await send(change({ summary: 'After everything' }))).statusCode, 202);
      const later = await getIncident(responder, onApi.ref);
      assert.ok(!later.recent_changes.some((c) => c.summary === 'After everything'));
      const fresh = await createIncident(responder, { title: 'Much later', severity: 'P3', services: ['database'] });
      const freshView = await getIncident(responder, fresh.ref);
      assert.ok(freshView.recent_changes.some((c) => c.summary === 'After everything'));
      assert.ok(!freshView.recent_changes.some((c) => c.summary === 'Raised work_mem'), 'older than two hours');
      await transitionIncident(responder, fresh.ref, 'resolve');
    });

    test('the sender’s timestamp dates the change; a far-future one is refused', async () => {
      const at = new Date(env.clock.now() - 30 * 60_000).toISOString();
      assert.equal((await send(change({ summary: 'Dated change', timestamp: at }))).statusCode, 202);
      const row = await env.db.kysely.selectFrom('change_events').select('happened_at').where('summary', '=', 'Dated change').executeTakeFirstOrThrow();
      assert.equal(row.happened_at, Date.parse(at));
      const before = await count('change_events');
      refused(await send(change({ timestamp: new Date(env.clock.now() + 86_400_000).toISOString() })), 400);
      assert.equal(await count('change_events'), before);
    });

    test('bad input is refused in PagerDuty’s shape and nothing is stored', async () => {
      const before = { changes: await count('change_events'), signals: await count('signals') };
      refused(await send('{"routing_key":'), 400);
      refused(await send({ routing_key: KEY }), 400);
      refused(await send(change({ summary: '' })), 400);
      refused(await send(change({ summary: 'x'.repeat(1025) })), 400);
      refused(await send(change({ summary: 42 })), 400);
      refused(await send(change({ summary: 'nul \u0000 byte' })), 400);
      refused(await send([change()]), 400);
      refused(await send(change({}, { routing_key: 'no-such-key-00000000000000000000' })), 404);
      assert.equal((await send(change({}, { routing_key: 'k'.repeat(600 * 1024) }))).statusCode, 413);
      assert.deepEqual({ changes: await count('change_events'), signals: await count('signals') }, before);
    });

    test('hostile text is stored and returned verbatim', async () => {
      const summary = `<script>alert(1)</script>'; drop table incidents; -- \u001b[31m`;
      assert.equal((await send(change({ summary }))).statusCode, 202);
      const row = await env.db.kysely.selectFrom('change_events').select('summary').orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.equal(row.summary, summary);
    });
  });
}
