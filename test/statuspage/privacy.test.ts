import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { addNote, assignRole, createIncident, postStakeholderUpdate, transitionIncident } from '../../src/modules/incidents/index.ts';
import { publishPostmortem, setComponentOverride, V2_ENDPOINTS } from '../../src/modules/statuspage/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { useTestApp, type TestApp, type TestEnv } from '../helpers/env.ts';
import { statusDriver } from './statuspage-kit.ts';

/**
 * Only public data ever leaves the public endpoints: an incident full of private details is
 * posted automatically, updated, resolved and given a postmortem, and every public response
 * (HTML, JSON, feeds, badges, gzipped or not) is scanned for each private string.
 */
for (const { name: dialect, skip } of DIALECTS) {
  describe(`the status page publishes nothing private (${dialect})`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(dialect, import.meta.url, (e, a) => ((env = e), (t = a)), { app: { monitors: false } });

    it('scans every public response', async () => {
      const driver = await statusDriver(env);
      const responder = env.ctx(env.users.responder.actor);
      const PRIVATE = {
        title: 'PRIVATE-TITLE db-primary-7.internal.corp OOM',
        description: 'PRIVATE-DESCRIPTION root password rotated by hunter2',
        note: 'PRIVATE-NOTE customer ACME-BANK lost 3 payments',
        update: 'PRIVATE-STAKEHOLDER exec summary for the board',
        reason: 'PRIVATE-OVERRIDE-REASON vendor contract dispute',
        warRoom: 'https://meet.example.com/PRIVATE-WAR-ROOM',
      };
      const inc = await createIncident(responder, { title: PRIVATE.title, description: PRIVATE.description, severity: 'P0', services: ['web', 'cache'], war_room_url: PRIVATE.warRoom, commander: env.users.responder.handle });
      await addNote(responder, inc.ref, { body: PRIVATE.note });
      await assignRole(responder, inc.ref, { role: 'scribe', user: env.users.admin.handle });
      await postStakeholderUpdate(responder, inc.ref, { body: PRIVATE.update });
      await setComponentOverride(responder, 'sign-in', { status: 'degraded_performance', reason: PRIVATE.reason });
      env.clock.advance(3 * 60_000);
      await driver.settle();
      await transitionIncident(responder, inc.id, 'resolve');
      await driver.settle();
      const [published] = await env.db.kysely.selectFrom('status_incidents').select('id').execute();
      assert.ok(published, 'the incident was posted automatically');
      await publishPostmortem(responder, published.id, { body: 'A database node ran out of memory; we added capacity and alerts.' });
      await t.statusPage.changed();

      const paths = [
        '/status',
        '/status/',
        `/status/incidents/${published.id}`,
        '/status/history',
        '/status/history?page=2',
        '/status/history.rss',
        '/history.rss',
        '/status/history.atom',
        '/history.atom',
        '/status/badge.svg',
        '/status/components/web-app/badge.svg',
        ...Object.keys(V2_ENDPOINTS).map((p) => `/api/v2/${p}`),
      ];
      const secrets = [
        ...Object.values(PRIVATE),
        'PRIVATE-',
        inc.id,
        inc.ref,
        'Redis cache',
        env.users.responder.handle,
        env.users.admin.handle,
        'responder@example.com',
        'status page automation',
      ];
      let scanned = 0;
      for (const path of paths) {
        for (const encoding of ['identity', 'gzip']) {
          const res = await t.app.inject({ method: 'GET', url: path, headers: { 'accept-encoding': encoding } });
          assert.equal(res.statusCode, 200, `${path}: ${res.statusCode}`);
          const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(res.rawPayload).toString() : res.body;
          const headers = JSON.stringify(res.headers);
          for (const secret of secrets) {
            assert.ok(!body.includes(secret), `${path} (${encoding}) leaks ${JSON.stringify(secret)}`);
            assert.ok(!headers.includes(secret), `${path} headers leak ${JSON.stringify(secret)}`);
          }
          scanned++;
        }
      }
      assert.equal(scanned, paths.length * 2);
      // What is public is there: the template text and the postmortem.
      const page = (await t.app.inject({ method: 'GET', url: `/status/incidents/${published.id}` })).body;
      assert.match(page, /Web application/);
      assert.match(page, /ran out of memory/);
    });
  });
}
