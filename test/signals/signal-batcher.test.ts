import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/lib/logger.ts';
import { signalBatcher } from '../../src/modules/signals/signal-batcher.ts';
import { SignalProcessor } from '../../src/modules/signals/signal-queue.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, injectInsertFailure, type TestEnv } from '../helpers/env.ts';

const pg = DIALECTS.find((d) => d.name === 'postgres')!;

// PostgreSQL only: SQLite's receivers share the group commit instead.
describe('signal batcher [postgres]', { skip: pg.skip }, () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv('postgres', import.meta.url, { seedUsers: false });
  });
  after(async () => {
    await env?.close();
  });

  const row = (dedupKey: string) => ({
    integration_id: 'database-monitoring',
    received_at: env.clock.now(),
    kind: 'alert',
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: JSON.stringify({ dedup_key: dedupKey }),
    work: '[]',
    processed_at: null,
    error: null,
  });
  const stored = (ids: number[]) => env.db.kysely.selectFrom('signals').select(['id', 'dedup_key']).where('id', 'in', ids).execute();

  test('receivers storing at the same moment each get the id of their own signal', async () => {
    const keys = Array.from({ length: 150 }, (_, i) => `batch-${i}`);
    const ids = await Promise.all(keys.map((k) => signalBatcher(env.db).store(row(k))));
    assert.equal(new Set(ids).size, keys.length, 'distinct ids');
    const byId = new Map((await stored(ids)).map((r) => [Number(r.id), r.dedup_key]));
    keys.forEach((k, i) => assert.equal(byId.get(ids[i]), k, `the id returned for ${k} is its row`));
  });

  test('with the signal processor idle, a batch is applied in its own transaction: the alert and its incident exist when the store resolves', async () => {
    // The earlier tests' signals (work '[]') are not this test's business: out of the queue.
    await env.db.kysely.updateTable('signals').set({ processed_at: env.clock.now() }).where('processed_at', 'is', null).execute();
    const processor = new SignalProcessor({ db: env.db, config: env.config, clock: env.clock, logger: createLogger({ level: 'silent' }) });
    // No poll during the test; the round start() kicks finds nothing and ends.
    processor.start(3_600_000);
    try {
      await processor.whenIdle();
      const firing = { dedupKey: 'inline-pg', serviceId: 'database', summary: 'Primary down', source: 'db-1', sourceSeverity: 'critical', severity: 'P1', detectedAt: env.clock.now(), details: {}, labels: {} };
      const id = await signalBatcher(env.db).store({ ...row('inline-pg'), work: JSON.stringify([{ status: 'firing', firing }]) });
      const alert = await env.db.kysely.selectFrom('alerts').select(['incident_id']).where('dedup_key', '=', 'inline-pg').executeTakeFirst();
      assert.ok(alert?.incident_id, 'applied before the store resolved');
      const signal = await env.db.kysely.selectFrom('signals').select(['processed_at', 'work']).where('id', '=', id).executeTakeFirstOrThrow();
      assert.notEqual(signal.processed_at, null);
      assert.equal(signal.work, null, 'the work is dropped once applied');
      // Its receiver does not wait.
      const t0 = performance.now();
      await processor.accepted(id, 5_000);
      assert.ok(performance.now() - t0 < 1_000);
    } finally {
      await processor.stop();
    }
  });

  test('a signal that cannot be stored fails alone: the others of its batch are stored', async () => {
    const heal = await injectInsertFailure(env, 'signals', "new.dedup_key = 'doomed'");
    try {
      const keys = ['ok-1', 'ok-2', 'doomed', 'ok-3', 'ok-4'];
      const results = await Promise.allSettled(keys.map((k) => signalBatcher(env.db).store(row(k))));
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      );
      assert.match(String((results[2] as PromiseRejectedResult).reason), /boom: injected failure/);
      const ids = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      assert.deepEqual((await stored(ids)).map((r) => r.dedup_key).sort(), ['ok-1', 'ok-2', 'ok-3', 'ok-4']);
      assert.equal((await env.db.kysely.selectFrom('signals').select('id').where('dedup_key', '=', 'doomed').execute()).length, 0);
    } finally {
      await heal();
    }
  });
});
