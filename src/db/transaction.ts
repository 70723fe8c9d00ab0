import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely, Transaction } from 'kysely';
import { isBusyError } from './dialect.ts';
import type { Database } from './create-db.ts';
import type { DB } from './schema.ts';

/** What a transaction needs from a context: the database and, when nested, the open transaction. */
export interface TxContext {
  db: Database;
  trx?: Transaction<DB>;
}

/** The query builder to use: the open transaction when there is one. */
export const q = (ctx: TxContext): Kysely<DB> => ctx.trx ?? ctx.db.kysely;

/**
 * Runs `fn` in a transaction. An outer transaction is reused, so verbs compose; SQLITE_BUSY (a
 * writer in another process) is retried with backoff, since the whole transaction rolled back.
 * On SQLite, concurrent transactions share one durable commit (see group-commit.ts).
 */
export async function withTransaction<C extends TxContext, T>(ctx: C, fn: (ctx: C & { trx: Transaction<DB> }) => Promise<T>): Promise<T> {
  if (ctx.trx) return fn(ctx as C & { trx: Transaction<DB> });
  for (let attempt = 1; ; attempt++) {
    try {
      if (ctx.db.groupCommit) return await ctx.db.groupCommit.run((trx) => fn({ ...ctx, trx }));
      // PostgreSQL: the before-commit step (when asked for) runs at the end of the transaction,
      // and what it returns after the commit.
      let afterCommit: (() => void) | void = undefined;
      const value = await ctx.db.kysely.transaction().execute(async (trx) => {
        const result = await fn({ ...ctx, trx });
        const outcome = await ctx.db.beforeCommit.runIfRequested(trx);
        if ('lost' in outcome) throw outcome.lost;
        afterCommit = outcome.afterCommit;
        return result;
      });
      (afterCommit as (() => void) | void)?.();
      return value;
    } catch (e) {
      if (!isBusyError(e) || attempt >= 8) throw e;
      await sleep(Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random()));
    }
  }
}
