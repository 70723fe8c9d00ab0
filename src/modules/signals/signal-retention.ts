import { q, withTransaction } from '../../db/transaction.ts';
import type { Logger } from '../../lib/logger.ts';
import { repeatEvery } from '../../lib/repeat.ts';
import type { Ctx } from '../context.ts';

/** Rows one delete removes at most: each transaction stays short (SQLite has one writer). */
const PRUNE_BATCH = 1000;
/** Deletes per pass: a backlog (say, the first start after a long time) is worked off over several passes. */
const PRUNE_BATCHES_PER_PASS = 20;
/** How often the server prunes. */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * Deletes applied signals (the raw events as received) received more than
 * `ingest.signal_retention` ago, oldest first, a batch per transaction. A signal still waiting to
 * be applied is never deleted, whatever its age. The alerts and incidents the signals made stay.
 *
 * Ids grow with arrival, so the walk goes up the primary key from the oldest row and stops at the
 * first one inside the retention: a pass costs a few rows' reading when there is nothing to prune,
 * with no index on the receipt time to keep up on the hot insert path.
 */
export async function pruneSignals(ctx: Pick<Ctx, 'db' | 'clock' | 'config'>, opts: { batch?: number; batches?: number } = {}): Promise<number> {
  const batch = opts.batch ?? PRUNE_BATCH;
  const cutoff = ctx.clock.now() - ctx.config.current.ingest.signal_retention;
  let after = 0;
  let deleted = 0;
  for (let i = 0; i < (opts.batches ?? PRUNE_BATCHES_PER_PASS); i++) {
    const rows = await q(ctx).selectFrom('signals').select(['id', 'received_at', 'processed_at']).where('id', '>', after).orderBy('id').limit(batch).execute();
    const old = [];
    for (const r of rows) {
      if (Number(r.received_at) >= cutoff) break;
      old.push(r);
    }
    const ids = old.filter((r) => r.processed_at !== null).map((r) => Number(r.id));
    if (ids.length) {
      await withTransaction({ db: ctx.db }, (tx) => q(tx).deleteFrom('signals').where('id', 'in', ids).where('processed_at', 'is not', null).execute());
      deleted += ids.length;
    }
    // Reached the retention (or the end of the table): done for this pass.
    if (old.length < rows.length || rows.length < batch) break;
    after = Number(old[old.length - 1].id);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return deleted;
}

/** Prunes once a minute until stopped; one pass at a time. */
export function startSignalRetention(ctx: Pick<Ctx, 'db' | 'clock' | 'config'>, logger: Logger, intervalMs = PRUNE_INTERVAL_MS): { stop(): Promise<void> } {
  return repeatEvery(intervalMs, () =>
    pruneSignals(ctx)
      .then((n) => n > 0 && logger.info({ deleted: n }, 'applied signals past their retention deleted'))
      .catch((err) => logger.error({ err }, 'pruning old signals failed; will retry')),
  );
}
