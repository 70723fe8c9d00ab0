import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { insertSignal } from '../../src/modules/signals/repository.ts';
import { pruneSignals } from '../../src/modules/signals/signal-retention.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

for (const { name, skip } of DIALECTS) {
  describe(`signal retention [${name}]`, { skip }, () => {
    let env: TestEnv;
    before(async () => {
      env = await createTestEnv(name, import.meta.url, { seedUsers: false });
    });
    after(async () => {
      await env?.close();
    });

    /** A signal received `ageMs` ago, applied or still pending. */
    const signal = (ageMs: number, applied: boolean, tag: string) =>
      insertSignal(env.ctx(), {
        integration_id: 'database-monitoring',
        received_at: env.clock.now() - ageMs,
        kind: 'alert',
        event_action: 'trigger',
        dedup_key: tag,
        payload: '{}',
        work: applied ? null : '[]',
        processed_at: applied ? env.clock.now() - ageMs : null,
        error: null,
      });
    const left = async (tags: string[]) => (await env.db.kysely.selectFrom('signals').select('dedup_key').where('dedup_key', 'in', tags).orderBy('id').execute()).map((r) => r.dedup_key);

    test('applied signals older than the retention (30 days by default) are deleted; newer ones and pending ones of any age stay', async () => {
      await env.db.kysely.deleteFrom('signals').execute();
      const tags = ['old-applied-1', 'old-pending', 'old-applied-2', 'young-applied', 'young-pending'];
      await signal(40 * DAY, true, tags[0]);
      await signal(35 * DAY, false, tags[1]);
      await signal(31 * DAY, true, tags[2]);
      await signal(29 * DAY, true, tags[3]);
      await signal(HOUR, false, tags[4]);
      assert.equal(await pruneSignals(env.ctx()), 2);
      assert.deepEqual(await left(tags), ['old-pending', 'young-applied', 'young-pending']);
      assert.equal(await pruneSignals(env.ctx()), 0, 'nothing more to do');
    });

    test('a backlog is deleted in batches, and a pass stops at its limit', async () => {
      await env.db.kysely.deleteFrom('signals').execute();
      const tags = Array.from({ length: 25 }, (_, i) => `backlog-${i}`);
      for (const tag of tags) await signal(60 * DAY, true, tag);
      await signal(35 * DAY, false, 'backlog-pending');
      await signal(HOUR, true, 'backlog-young');
      assert.equal(await pruneSignals(env.ctx(), { batch: 10, batches: 2 }), 20, 'two batches of ten');
      assert.equal(await pruneSignals(env.ctx(), { batch: 10 }), 5);
      assert.deepEqual(await left([...tags, 'backlog-pending', 'backlog-young']), ['backlog-pending', 'backlog-young']);
    });

    test('the retention comes from the config', async () => {
      await env.db.kysely.deleteFrom('signals').execute();
      await signal(3 * DAY, true, 'three-days');
      await signal(HOUR / 2, true, 'half-hour');
      const base = env.config.current;
      env.config.current = { ...base, ingest: { ...base.ingest, signal_retention: 2 * DAY } };
      try {
        assert.equal(await pruneSignals(env.ctx()), 1);
        assert.deepEqual(await left(['three-days', 'half-hour']), ['half-hour']);
      } finally {
        env.config.current = base;
      }
    });
  });
}
