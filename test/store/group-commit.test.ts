import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BeforeCommit, GroupCommitter } from '../../src/db/group-commit.ts';
import { withTransaction } from '../../src/db/transaction.ts';
import { writeAudit } from '../../src/modules/audit/index.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';

// SQLite only: PostgreSQL runs each transaction on its own connection, with no group commit.
describe('group commit [sqlite]', () => {
  let env: TestEnv;
  let committer: GroupCommitter;
  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url, { seedUsers: false });
    committer = env.db.groupCommit!;
  });
  after(async () => {
    await env?.close();
  });

  const count = async (action: string) =>
    Number((await env.db.kysely.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', action).executeTakeFirstOrThrow()).n);
  const audit = (action: string, opts: { ask?: boolean; fail?: boolean } = {}) =>
    withTransaction(env.ctx(), async (tx) => {
      if (opts.ask) tx.db.groupCommit!.requestBeforeCommit();
      await writeAudit(tx, { action, entityType: 'test', entityId: null });
      if (opts.fail) throw new Error(`unit ${action} fails`);
      return action;
    });

  test('concurrent transactions share a commit; one that fails is rolled back alone', async () => {
    const results = await Promise.allSettled([audit('gc.a'), audit('gc.b', { fail: true }), audit('gc.c')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual([await count('gc.a'), await count('gc.b'), await count('gc.c')], [1, 0, 1]);
  });

  test('the before-commit step runs once per batch in which a unit asked for it, inside the transaction, and its after-commit part before the units hear back', async () => {
    const events: string[] = [];
    const hook: BeforeCommit = async (trx) => {
      events.push('before-commit');
      await writeAudit({ ...env.ctx(), trx }, { action: 'gc.hook', entityType: 'test', entityId: null });
      return () => void events.push('after-commit');
    };
    committer.setBeforeCommit(hook);
    try {
      const batch = [audit('gc.ask-1', { ask: true }), audit('gc.ask-2', { ask: true }), audit('gc.plain')].map((p) => p.then((v) => events.push(`resolved ${v}`)));
      await Promise.all(batch);
      assert.deepEqual(events, ['before-commit', 'after-commit', 'resolved gc.ask-1', 'resolved gc.ask-2', 'resolved gc.plain']);
      assert.equal(await count('gc.hook'), 1);
      // A batch in which nobody asks does not run it.
      events.length = 0;
      await audit('gc.plain-2');
      assert.deepEqual(events, []);
      assert.equal(await count('gc.hook'), 1);
    } finally {
      committer.clearBeforeCommit(hook);
    }
  });

  test('a failing before-commit step undoes only its own changes: the batch commits, the error is reported', async () => {
    const errors: unknown[] = [];
    const hook: BeforeCommit = async (trx) => {
      await writeAudit({ ...env.ctx(), trx }, { action: 'gc.hook-doomed', entityType: 'test', entityId: null });
      throw new Error('hook fails');
    };
    committer.setBeforeCommit(hook, (e) => errors.push(e));
    try {
      assert.equal(await audit('gc.kept', { ask: true }), 'gc.kept');
      assert.equal(await count('gc.kept'), 1);
      assert.equal(await count('gc.hook-doomed'), 0);
      assert.equal(errors.length, 1);
      assert.match(String(errors[0]), /hook fails/);
    } finally {
      committer.clearBeforeCommit(hook);
    }
  });

  test('a cleared before-commit step no longer runs; clearing another leaves it', async () => {
    let ran = 0;
    const hook = async () => {
      ran++;
    };
    committer.setBeforeCommit(hook);
    committer.clearBeforeCommit(async () => {});
    await audit('gc.other-cleared', { ask: true });
    assert.equal(ran, 1);
    committer.clearBeforeCommit(hook);
    await audit('gc.after-clear', { ask: true });
    assert.equal(ran, 1, 'not run again');
    assert.equal(await count('gc.after-clear'), 1);
  });
});
