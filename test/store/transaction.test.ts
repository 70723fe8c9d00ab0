import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { isBusyError } from '../../src/db/dialect.ts';
import { q, withTransaction } from '../../src/db/transaction.ts';
import { writeAudit } from '../../src/modules/audit/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';

for (const { name, skip } of DIALECTS) {
  describe(`withTransaction [${name}]`, { skip }, () => {
    let env: TestEnv;
    before(async () => {
      env = await createTestEnv(name, import.meta.url, { seedUsers: false });
    });
    after(async () => {
      await env?.close();
    });

    const auditCount = async (action: string) =>
      Number((await env.db.kysely.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', action).executeTakeFirstOrThrow()).n);
    const counterValue = async () => Number((await env.db.kysely.selectFrom('counters').select('value').where('name', '=', 'incident_number').executeTakeFirstOrThrow()).value);

    test('commits every write when fn returns, and returns its value', async () => {
      const ctx = env.ctx();
      const result = await withTransaction(ctx, async (tx) => {
        assert.ok(tx.trx, 'fn gets the open transaction');
        await writeAudit(tx, { action: 'test.commit', entityType: 'test', entityId: '1' });
        await writeAudit(tx, { action: 'test.commit', entityType: 'test', entityId: '2' });
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal(await auditCount('test.commit'), 2);
    });

    test('rolls back every write when fn throws, and rethrows the same error', async () => {
      const ctx = env.ctx();
      const counterBefore = await counterValue();
      const boom = new Error('boom');
      await assert.rejects(
        withTransaction(ctx, async (tx) => {
          await writeAudit(tx, { action: 'test.rollback', entityType: 'test', entityId: '1' });
          await q(tx).updateTable('counters').set({ value: 999 }).where('name', '=', 'incident_number').execute();
          // Inside the transaction the writes are visible...
          assert.equal(Number((await q(tx).selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', 'test.rollback').executeTakeFirstOrThrow()).n), 1);
          throw boom;
        }),
        (e) => e === boom,
      );
      // ...and after the throw none of them are.
      assert.equal(await auditCount('test.rollback'), 0);
      assert.equal(await counterValue(), counterBefore);
    });

    test('a database error mid-transaction rolls back the earlier writes', async () => {
      const ctx = env.ctx();
      await assert.rejects(
        withTransaction(ctx, async (tx) => {
          await writeAudit(tx, { action: 'test.db-error', entityType: 'test', entityId: '1' });
          // Primary key violation: the counter row already exists.
          await q(tx).insertInto('counters').values({ name: 'incident_number', value: 1 }).execute();
        }),
      );
      assert.equal(await auditCount('test.db-error'), 0);
    });

    test('a nested call reuses the outer transaction', async () => {
      const ctx = env.ctx();
      await withTransaction(ctx, async (outer) => {
        await withTransaction(outer, async (inner) => {
          assert.equal(inner.trx, outer.trx, 'same transaction object');
          await writeAudit(inner, { action: 'test.nested-ok', entityType: 'test', entityId: 'inner' });
        });
        await writeAudit(outer, { action: 'test.nested-ok', entityType: 'test', entityId: 'outer' });
      });
      assert.equal(await auditCount('test.nested-ok'), 2);
    });

    test('an inner failure rolls back the outer work too, even if the outer catches it', async () => {
      const ctx = env.ctx();
      await assert.rejects(
        withTransaction(ctx, async (outer) => {
          await writeAudit(outer, { action: 'test.nested-fail', entityType: 'test', entityId: 'outer-before' });
          await withTransaction(outer, async (inner) => {
            await writeAudit(inner, { action: 'test.nested-fail', entityType: 'test', entityId: 'inner' });
            throw new Error('inner failed');
          });
        }),
        /inner failed/,
      );
      assert.equal(await auditCount('test.nested-fail'), 0);

      // The outer transaction failing after a successful inner call undoes the inner writes.
      await assert.rejects(
        withTransaction(ctx, async (outer) => {
          await withTransaction(outer, (inner) => writeAudit(inner, { action: 'test.nested-fail-2', entityType: 'test', entityId: 'inner' }));
          throw new Error('outer failed');
        }),
        /outer failed/,
      );
      assert.equal(await auditCount('test.nested-fail-2'), 0);
    });

    test('a non-busy error is not retried', async () => {
      const ctx = env.ctx();
      let calls = 0;
      await assert.rejects(
        withTransaction(ctx, async () => {
          calls++;
          throw Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT_UNIQUE' });
        }),
        /constraint/,
      );
      assert.equal(calls, 1);
    });

    test('isBusyError recognises SQLITE_BUSY and its extended codes only', () => {
      assert.equal(isBusyError(Object.assign(new Error('x'), { code: 'SQLITE_BUSY' })), true);
      assert.equal(isBusyError(Object.assign(new Error('x'), { code: 'SQLITE_BUSY_SNAPSHOT' })), true);
      assert.equal(isBusyError(Object.assign(new Error('x'), { code: 'SQLITE_LOCKED' })), false);
      assert.equal(isBusyError(Object.assign(new Error('x'), { code: '40001' })), false);
      assert.equal(isBusyError(null), false);
      assert.equal(isBusyError('SQLITE_BUSY'), false);
    });

    test('SQLite: a writer in another connection makes the transaction retry, and it succeeds once released', { skip: name !== 'sqlite' && 'SQLite only' }, async () => {
      const ctx = env.ctx();
      // In one process, SQLite's busy handler would block the event loop, so the other
      // connection could never release; with no wait, BEGIN IMMEDIATE fails at once with
      // SQLITE_BUSY and withTransaction's own retry is what gets exercised.
      await sql`pragma busy_timeout = 0`.execute(env.db.kysely);
      const other = new BetterSqlite3(env.db.location);
      try {
        other.exec('BEGIN IMMEDIATE');
        other.prepare(`insert into audit_log (at, actor_type, actor_name, action, entity_type, data) values (1, 'system', 'other', 'test.other-writer', 'test', '{}')`).run();

        // Sanity: while the lock is held, a plain write fails with SQLITE_BUSY.
        await assert.rejects(sql`insert into counters (name, value) values ('probe', 0)`.execute(env.db.kysely), (e) => isBusyError(e));

        let calls = 0;
        let settled = false;
        const started = Date.now();
        const pending = withTransaction(ctx, async (tx) => {
          calls++;
          await writeAudit(tx, { action: 'test.after-busy', entityType: 'test', entityId: '1' });
          return 'written';
        }).finally(() => (settled = true));

        // The retry backoff totals at least ~350 ms over its 8 attempts; releasing the lock at
        // 30 ms is due before every retry after the first few, so the outcome is deterministic.
        await new Promise((r) => setTimeout(r, 30));
        assert.equal(settled, false, 'still retrying while the other connection holds the lock');
        assert.equal(calls, 0, 'fn never ran: BEGIN IMMEDIATE itself was refused');
        other.exec('COMMIT');

        assert.equal(await pending, 'written');
        assert.equal(calls, 1, 'fn ran exactly once, after the lock was released');
        assert.ok(Date.now() - started >= 30);
        assert.equal(await auditCount('test.after-busy'), 1);
        assert.equal(await auditCount('test.other-writer'), 1, 'the other connection committed its own write');
      } finally {
        if (other.inTransaction) other.exec('ROLLBACK');
        other.close();
        await sql`pragma busy_timeout = 5000`.execute(env.db.kysely);
      }
    });

    test('SQLite: gives up with SQLITE_BUSY when the lock is never released', { skip: name !== 'sqlite' && 'SQLite only' }, async () => {
      const ctx = env.ctx();
      await sql`pragma busy_timeout = 0`.execute(env.db.kysely);
      const other = new BetterSqlite3(env.db.location);
      try {
        other.exec('BEGIN IMMEDIATE');
        let calls = 0;
        await assert.rejects(
          withTransaction(ctx, async () => {
            calls++;
          }),
          (e) => isBusyError(e),
        );
        assert.equal(calls, 0);
      } finally {
        if (other.inTransaction) other.exec('ROLLBACK');
        other.close();
        await sql`pragma busy_timeout = 5000`.execute(env.db.kysely);
      }
    });

    test('PostgreSQL: concurrent transactions on the pool are isolated until commit', { skip: name !== 'postgres' && 'PostgreSQL only' }, async () => {
      const ctx = env.ctx();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let wrote!: () => void;
      const written = new Promise<void>((r) => (wrote = r));
      const writer = withTransaction(ctx, async (tx) => {
        await writeAudit(tx, { action: 'test.isolated', entityType: 'test', entityId: '1' });
        wrote();
        await gate;
      });
      await written;
      // A separate transaction (another pool connection) does not see the uncommitted row.
      assert.equal(await auditCount('test.isolated'), 0);
      release();
      await writer;
      assert.equal(await auditCount('test.isolated'), 1);
    });
  });
}
