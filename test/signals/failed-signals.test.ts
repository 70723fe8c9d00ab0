import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { DIALECTS } from '../helpers/dialects.ts';
import { injectInsertFailure, type TestApp, type TestEnv, useTestApp, waitForNewestSignalSetAside } from '../helpers/env.ts';

const PD_KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';

for (const { name, skip } of DIALECTS) {
  describe(`signals set aside: list and retry [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));

    const trigger = (dedupKey: string) =>
      t.app.inject({ method: 'POST', url: '/v2/enqueue', payload: { routing_key: PD_KEY, event_action: 'trigger', dedup_key: dedupKey, payload: { summary: 'Primary down', source: 'db-1', severity: 'critical' } } });
    const failed = async (query = '') => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/signals/failed${query}`, headers: t.auth.responder });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as { data: { id: number; dedup_key: string; error: string; payload: Record<string, unknown>; integration: string }[]; next_before: number | null };
    };
    const metric = async () => {
      const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: t.auth.admin });
      return Number(/^firebreak_signals_failed (\d+)$/m.exec(res.body)?.[1]);
    };

    test('a signal whose work keeps failing is listed with its error and payload, counted in /metrics, and applied when an admin retries it after the fix', async () => {
      const heal = await injectInsertFailure(env, 'alerts', "new.dedup_key = 'doomed-retry'");
      let signal;
      try {
        assert.equal((await trigger('doomed-retry')).statusCode, 202);
        signal = await waitForNewestSignalSetAside(env);
      } finally {
        await heal();
      }
      const listed = await failed();
      const entry = listed.data.find((s) => s.id === Number(signal.id));
      assert.ok(entry, JSON.stringify(listed));
      assert.match(entry.error, /boom: injected failure/);
      assert.equal(entry.integration, 'database-monitoring');
      assert.equal(entry.payload.dedup_key, 'doomed-retry');
      assert.ok(!JSON.stringify(listed).includes(PD_KEY), 'the routing key is never shown');
      assert.ok((await metric()) >= 1);

      // Retrying is an admin's call.
      const denied = await t.app.inject({ method: 'POST', url: `/api/v1/signals/${signal.id}/retry`, headers: t.auth.responder });
      assert.equal(denied.statusCode, 403);
      const retried = await t.app.inject({ method: 'POST', url: `/api/v1/signals/${signal.id}/retry`, headers: t.auth.admin });
      assert.equal(retried.statusCode, 200, retried.body);
      assert.match(retried.json().error, /boom/, 'answers with the signal as it was');
      for (let i = 0; i < 100; i++) {
        const alert = await env.db.kysely.selectFrom('alerts').select('incident_id').where('dedup_key', '=', 'doomed-retry').executeTakeFirst();
        if (alert?.incident_id) break;
        await sleep(25);
      }
      const alert = await env.db.kysely.selectFrom('alerts').select('incident_id').where('dedup_key', '=', 'doomed-retry').executeTakeFirst();
      assert.ok(alert?.incident_id, 'the retried signal was applied');
      assert.equal((await failed()).data.some((s) => s.id === Number(signal.id)), false, 'no longer listed');
      const audit = await env.db.kysely.selectFrom('audit_log').select(['action', 'entity_id']).where('action', '=', 'signal.retried').execute();
      assert.ok(audit.some((a) => a.entity_id === String(signal.id)));

      // It is no longer set aside: another retry is a conflict; an unknown id is not found.
      const again = await t.app.inject({ method: 'POST', url: `/api/v1/signals/${signal.id}/retry`, headers: t.auth.admin });
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().error.code, 'CONFLICT');
      const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/signals/999999999/retry', headers: t.auth.admin });
      assert.equal(unknown.statusCode, 404);
    });

    test('pages of set-aside signals go back in time by next_before; bad paging is refused', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) {
        const { id } = await env.db.kysely
          .insertInto('signals')
          .values({ integration_id: 'database-monitoring', received_at: env.clock.now(), kind: 'alert', event_action: 'trigger', dedup_key: `paged-${i}`, payload: '{}', work: '[]', processed_at: env.clock.now(), error: `failure ${i}` })
          .returning('id')
          .executeTakeFirstOrThrow();
        ids.push(Number(id));
      }
      const first = await failed('?limit=2');
      assert.deepEqual(first.data.map((s) => s.id), [ids[2], ids[1]]);
      assert.equal(first.next_before, ids[1]);
      const second = await failed(`?limit=2&before=${first.next_before}`);
      assert.equal(second.data[0].id, ids[0]);
      for (const bad of ['?limit=0', '?limit=201', '?before=-1', '?limit=abc', '?unknown=1']) {
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/signals/failed${bad}`, headers: t.auth.responder });
        assert.equal(res.statusCode, 400, `${bad}: ${res.body}`);
      }
      const viewer = await t.app.inject({ method: 'GET', url: '/api/v1/signals/failed', headers: t.auth.viewer });
      assert.equal(viewer.statusCode, 403, 'payloads are for responders');
    });
  });
}
