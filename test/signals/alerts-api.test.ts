import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { resolveOpenIncidents, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { fireAlertmanagerAlert } from './receiver-kit.ts';

/** The example config's events_v2 integration (database service) and alertmanager integration. */
const PD_KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';

interface Alert {
  id: string;
  integration: string;
  dedup_key: string;
  status: string;
  suppressed_by: string | null;
  service: string;
  incident: string | null;
  labels: Record<string, unknown>;
  details: Record<string, unknown>;
  event_count: number;
  last_seen_at: string;
  first_seen_at: string;
  acknowledged_at: string | null;
  resolved_at: string | null;
}
interface Page {
  data: Alert[];
  next_cursor: string | null;
}

for (const { name, skip } of DIALECTS) {
  describe(`alerts API [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    let silenceId: string;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));

    const pd = async (action: string, dedupKey: string) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v2/enqueue',
        payload: { routing_key: PD_KEY, event_action: action, dedup_key: dedupKey, payload: { summary: `Replica lag ${dedupKey}`, source: 'db-1', severity: 'critical', custom_details: { lag_s: 42 } } },
      });
      assert.equal(res.statusCode, 202, res.body);
    };
    const amFire = (fingerprint: string, labels: Record<string, string>) => fireAlertmanagerAlert(env, t, fingerprint, labels);
    const get = (url: string, headers = t.auth.viewer) => t.app.inject({ method: 'GET', url, headers });
    const page = async (url: string): Promise<Page> => {
      const res = await get(url);
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    };
    const refused = (res: LightMyRequestResponse, status: number, code: string) => {
      assert.equal(res.statusCode, status, res.body);
      assert.equal(res.json().error.code, code, res.body);
    };
    const keys = (p: Page) => p.data.map((a) => a.dedup_key).sort();

    before(async () => {
      await resolveOpenIncidents(env);
      const s = await t.app.inject({
        method: 'POST',
        url: '/api/v1/silences',
        headers: t.auth.responder,
        payload: { matchers: [{ name: 'alertname', op: '=', value: 'NoisyAlert' }], duration: '2h', comment: 'known noise' },
      });
      assert.equal(s.statusCode, 201, s.body);
      silenceId = s.json().id;
      // pd-1..pd-3 share a timestamp, so pages must break ties on id.
      await pd('trigger', 'pd-1');
      await pd('trigger', 'pd-2');
      await pd('trigger', 'pd-3');
      env.clock.advance(1000);
      await pd('trigger', 'pd-4');
      await pd('trigger', 'pd-5');
      env.clock.advance(1000);
      await pd('acknowledge', 'pd-2');
      await pd('resolve', 'pd-3');
      env.clock.advance(1000);
      await amFire('fp-loud', {});
      await amFire('fp-noisy', { alertname: 'NoisyAlert' });
    });

    test('lists every alert, suppressed ones included, newest first with the documented fields', async () => {
      const all = await page('/api/v1/alerts');
      assert.equal(all.next_cursor, null);
      assert.deepEqual(keys(all), ['fp-loud', 'fp-noisy', 'pd-1', 'pd-2', 'pd-3', 'pd-4', 'pd-5']);
      for (let i = 1; i < all.data.length; i++) {
        const [a, b] = [all.data[i - 1], all.data[i]];
        assert.ok(a.last_seen_at > b.last_seen_at || (a.last_seen_at === b.last_seen_at && a.id > b.id), `${a.dedup_key} before ${b.dedup_key}`);
      }
      const noisy = all.data.find((a) => a.dedup_key === 'fp-noisy')!;
      assert.equal(noisy.suppressed_by, silenceId);
      assert.equal(noisy.incident, null);
      assert.equal(noisy.integration, 'prometheus');
      assert.equal(noisy.labels.alertname, 'NoisyAlert');
      const pd1 = all.data.find((a) => a.dedup_key === 'pd-1')!;
      assert.equal(pd1.integration, 'database-monitoring');
      assert.equal(pd1.service, 'database');
      assert.equal(pd1.status, 'triggered');
      assert.equal(pd1.suppressed_by, null);
      assert.match(pd1.incident!, /^INC-\d+$/);
      assert.match(pd1.first_seen_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(pd1.labels.service, 'database');
      assert.equal(typeof pd1.details, 'object');
      const pd2 = all.data.find((a) => a.dedup_key === 'pd-2')!;
      assert.equal(pd2.status, 'acknowledged');
      assert.ok(pd2.acknowledged_at);
      const pd3 = all.data.find((a) => a.dedup_key === 'pd-3')!;
      assert.equal(pd3.status, 'resolved');
      assert.ok(pd3.resolved_at);
    });

    test('filters by status, suppressed, service, integration and incident', async () => {
      assert.deepEqual(keys(await page('/api/v1/alerts?status=acknowledged')), ['pd-2']);
      assert.deepEqual(keys(await page('/api/v1/alerts?status=resolved,acknowledged')), ['pd-2', 'pd-3']);
      assert.deepEqual(keys(await page('/api/v1/alerts?suppressed=true')), ['fp-noisy']);
      assert.deepEqual(keys(await page('/api/v1/alerts?suppressed=false')), ['fp-loud', 'pd-1', 'pd-2', 'pd-3', 'pd-4', 'pd-5']);
      assert.deepEqual(keys(await page('/api/v1/alerts?service=checkout')), ['fp-loud', 'fp-noisy']);
      assert.deepEqual(keys(await page('/api/v1/alerts?integration=database-monitoring&status=triggered')), ['pd-1', 'pd-4', 'pd-5']);
      assert.deepEqual(keys(await page('/api/v1/alerts?service=nothing-here')), []);
      const ref = (await page('/api/v1/alerts?status=triggered&service=database')).data[0].incident!;
      const byRef = await page(`/api/v1/alerts?incident=${ref}`);
      assert.ok(byRef.data.length >= 1);
      assert.ok(byRef.data.every((a) => a.incident === ref));
      const id = (await env.db.kysely.selectFrom('incidents').select('id').where('number', '=', Number(ref.slice(4))).executeTakeFirstOrThrow()).id;
      assert.deepEqual(keys(await page(`/api/v1/alerts?incident=${id}`)), keys(byRef));
    });

    test('pages through every alert without gaps or duplicates, ties broken by id', async () => {
      const all = await page('/api/v1/alerts');
      for (const limit of [1, 2, 3]) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const p: Page = await page(`/api/v1/alerts?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          assert.ok(p.data.length <= limit);
          seen.push(...p.data.map((a) => a.id));
          cursor = p.next_cursor;
          assert.ok(++pages <= 10);
        } while (cursor);
        assert.deepEqual(seen, all.data.map((a) => a.id), `limit ${limit}`);
      }
      // Filters carry across pages.
      const first = await page('/api/v1/alerts?integration=database-monitoring&limit=2');
      const second = await page(`/api/v1/alerts?integration=database-monitoring&limit=2&cursor=${first.next_cursor}`);
      assert.ok(second.data.every((a) => a.integration === 'database-monitoring'));
      assert.equal(new Set([...first.data, ...second.data].map((a) => a.id)).size, 4);
    });

    test("an incident's alerts under /incidents/:ref/alerts; 404 for an unknown incident", async () => {
      const ref = (await page('/api/v1/alerts?integration=database-monitoring')).data[0].incident!;
      const sub = await page(`/api/v1/incidents/${ref}/alerts`);
      assert.deepEqual(sub, await page(`/api/v1/alerts?incident=${ref}`));
      assert.ok(sub.data.length >= 1);
      assert.deepEqual(keys(await page(`/api/v1/incidents/${ref}/alerts?status=acknowledged&limit=5`)), sub.data.some((a) => a.dedup_key === 'pd-2') ? ['pd-2'] : []);
      refused(await get('/api/v1/incidents/INC-999999/alerts'), 404, 'NOT_FOUND');
      refused(await get('/api/v1/alerts?incident=INC-999999'), 404, 'NOT_FOUND');
    });

    test('400 for bad query values', async () => {
      for (const qs of ['status=firing', 'status=triggered,bogus', 'suppressed=yes', 'limit=0', 'limit=201', 'limit=abc', 'cursor=not-a-cursor', 'colour=red']) {
        refused(await get(`/api/v1/alerts?${qs}`), 400, 'VALIDATION_FAILED');
      }
      refused(await get('/api/v1/incidents/INC-1/alerts?incident=INC-2'), 400, 'VALIDATION_FAILED');
    });

    test('viewers may read; anonymous callers get 401', async () => {
      assert.equal((await get('/api/v1/alerts', t.auth.viewer)).statusCode, 200);
      assert.equal((await get('/api/v1/alerts', t.auth.token)).statusCode, 200);
      refused(await get('/api/v1/alerts', t.auth.anonymous), 401, 'UNAUTHENTICATED');
      refused(await get('/api/v1/incidents/INC-1/alerts', t.auth.anonymous), 401, 'UNAUTHENTICATED');
    });
  });
}
