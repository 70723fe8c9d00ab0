import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BeforeCommit, BeforeCommitStep } from '../../src/db/before-commit.ts';
import { withTransaction } from '../../src/db/transaction.ts';
import { writeAudit } from '../../src/modules/audit/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';

for (const { name, skip } of DIALECTS) {
  describe(`transactions and the before-commit step [${name}]`, { skip }, () => {
    let env: TestEnv;
    let step: BeforeCommitStep;
    before(async () => {
      env = await createTestEnv(name, import.meta.url, { seedUsers: false });
      step = env.db.beforeCommit;
    });
    after(async () => {
      await env?.close();
    });

    const count = async (action: string) =>
      Number((await env.db.kysely.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', action).executeTakeFirstOrThrow()).n);
    const audit = (action: string, opts: { ask?: boolean; fail?: boolean } = {}) =>
      withTransaction(env.ctx(), async (tx) => {
        if (opts.ask) tx.db.beforeCommit.request(tx.trx);
        await writeAudit(tx, { action, entityType: 'test', entityId: null });
        if (opts.fail) throw new Error(`unit ${action} fails`);
        return action;
      });

    test('concurrent transactions commit or fail each on their own (on SQLite, sharing one commit)', async () => {
      const results = await Promise.allSettled([audit('bc.a'), audit('bc.b', { fail: true }), audit('bc.c')]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.deepEqual([await count('bc.a'), await count('bc.b'), await count('bc.c')], [1, 0, 1]);
    });

    test('the step runs when a transaction asked for it, inside it, and its after-commit part runs before the caller hears back', async () => {
      const events: string[] = [];
      const hook: BeforeCommit = async (trx) => {
        events.push('before-commit');
        await writeAudit({ ...env.ctx(), trx }, { action: 'bc.hook', entityType: 'test', entityId: null });
        return () => void events.push('after-commit');
      };
      step.set(hook);
      try {
        await audit('bc.ask', { ask: true }).then((v) => events.push(`resolved ${v}`));
        assert.deepEqual(events, ['before-commit', 'after-commit', 'resolved bc.ask']);
        assert.equal(await count('bc.hook'), 1);
        // A transaction that does not ask does not run it.
        events.length = 0;
        await audit('bc.plain');
        assert.deepEqual(events, []);
        assert.equal(await count('bc.hook'), 1);
      } finally {
        step.clear(hook);
      }
    });

    test('SQLite: the step runs once for a batch of transactions that share a commit', { skip: name !== 'sqlite' && 'SQLite only (group commit)' }, async () => {
      const events: string[] = [];
      const hook: BeforeCommit = async () => {
        events.push('before-commit');
        return () => void events.push('after-commit');
      };
      step.set(hook);
      try {
        const batch = [audit('bc.ask-1', { ask: true }), audit('bc.ask-2', { ask: true }), audit('bc.plain-2')].map((p) => p.then((v) => events.push(`resolved ${v}`)));
        await Promise.all(batch);
        assert.deepEqual(events, ['before-commit', 'after-commit', 'resolved bc.ask-1', 'resolved bc.ask-2', 'resolved bc.plain-2']);
      } finally {
        step.clear(hook);
      }
    });

    test('a failing step undoes only its own changes: the transaction commits, the error is reported', async () => {
      const errors: unknown[] = [];
      const hook: BeforeCommit = async (trx) => {
        await writeAudit({ ...env.ctx(), trx }, { action: 'bc.hook-doomed', entityType: 'test', entityId: null });
        throw new Error('hook fails');
      };
      step.set(hook, (e) => errors.push(e));
      try {
        assert.equal(await audit('bc.kept', { ask: true }), 'bc.kept');
        assert.equal(await count('bc.kept'), 1);
        assert.equal(await count('bc.hook-doomed'), 0);
        assert.equal(errors.length, 1);
        assert.match(String(errors[0]), /hook fails/);
      } finally {
        step.clear(hook);
      }
    });

    test('a newer step takes over, and clearing it gives the older one back', async () => {
      const ran: string[] = [];
      const older: BeforeCommit = async () => void ran.push('older');
      const newer: BeforeCommit = async () => void ran.push('newer');
      step.set(older);
      step.set(newer);
      try {
        await audit('bc.newer', { ask: true });
        step.clear(newer);
        await audit('bc.older', { ask: true });
        assert.deepEqual(ran, ['newer', 'older']);
      } finally {
        step.clear(older);
        step.clear(newer);
      }
    });

    test('a cleared step no longer runs; clearing another leaves it', async () => {
      let ran = 0;
      const hook: BeforeCommit = async () => {
        ran++;
      };
      step.set(hook);
      step.clear(async () => {});
      await audit('bc.other-cleared', { ask: true });
      assert.equal(ran, 1);
      step.clear(hook);
      await audit('bc.after-clear', { ask: true });
      assert.equal(ran, 1, 'not run again');
      assert.equal(await count('bc.after-clear'), 1);
    });
  });
}
