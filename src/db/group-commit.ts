import type { Kysely, Transaction } from 'kysely';
import { savepoint, type BeforeCommitStep } from './before-commit.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { isBusyError } from './dialect.ts';
import type { DB } from './schema.ts';

interface Unit {
  fn: (trx: Transaction<DB>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Most units one commit carries; bounds the latency a unit can add to the others in its batch. */
const MAX_BATCH = 64;

/**
 * Group commit for SQLite. SQLite has one writer and, with synchronous=FULL, one fsync per commit;
 * so concurrent transactions are queued and run one after another inside a single BEGIN…COMMIT,
 * each under its own savepoint. A unit that fails rolls back to its savepoint and fails alone;
 * the others are answered only after the shared COMMIT is on disk, so "durable before 2xx" holds
 * while N requests share one fsync.
 */
export class GroupCommitter {
  private queue: Unit[] = [];
  private running = false;

  constructor(
    private readonly kysely: Kysely<DB>,
    private readonly beforeCommit: BeforeCommitStep,
  ) {}

  run<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /**
   * better-sqlite3 is synchronous, so a batch started at once would finish (fsync included) before
   * the server reads the next request, and every batch would hold one unit. Starting each batch
   * from setImmediate lets pending I/O (more requests) join the queue first.
   */
  private schedule(): void {
    if (this.running) return;
    this.running = true;
    setImmediate(() => void this.drainOnce());
  }

  private async drainOnce(): Promise<void> {
    try {
      await this.runBatch();
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private async runBatch(): Promise<void> {
    let trx;
    try {
      trx = await this.begin();
    } catch (e) {
      for (const unit of this.queue.splice(0)) unit.reject(e);
      return;
    }
    const done: { unit: Unit; value: unknown }[] = [];
    // Set when SQLite rolled the whole transaction back (RAISE(ROLLBACK), disk full, I/O error):
    // everything done so far in this batch is gone, and later units must wait for the next batch,
    // or they would run outside any transaction.
    let lostWith: unknown = null;
    for (let taken = 0; this.queue.length > 0 && taken < MAX_BATCH && lostWith === null; taken++) {
      const unit = this.queue.shift()!;
      try {
        await savepoint(trx, 'begin', 'unit');
      } catch (e) {
        unit.reject(e);
        lostWith = e;
        break;
      }
      try {
        const value = await unit.fn(trx);
        await savepoint(trx, 'release', 'unit');
        done.push({ unit, value });
      } catch (e) {
        try {
          await savepoint(trx, 'rollback', 'unit');
          await savepoint(trx, 'release', 'unit');
        } catch {
          lostWith = e;
        }
        unit.reject(e);
      }
    }
    // Once per batch, when a unit asked for it (see BeforeCommitStep); with no unit done, nothing is committed.
    let afterCommit: (() => void) | void = undefined;
    if (lostWith === null && done.length > 0) {
      const outcome = await this.beforeCommit.runIfRequested(trx);
      if ('lost' in outcome) lostWith = outcome.lost;
      else afterCommit = outcome.afterCommit;
    }
    if (lostWith !== null) {
      await trx.rollback().execute().catch(() => {});
      for (const d of done) d.unit.reject(lostWith);
      return;
    }
    try {
      await trx.commit().execute();
      // Before the units hear back, so that what they do next already sees its effects.
      afterCommit?.();
      for (const d of done) d.unit.resolve(d.value);
    } catch (e) {
      await trx.rollback().execute().catch(() => {});
      for (const d of done) d.unit.reject(e);
    }
  }

  /** BEGIN IMMEDIATE, retried while another process holds the write lock beyond busy_timeout. */
  private async begin() {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.kysely.startTransaction().execute();
      } catch (e) {
        if (!isBusyError(e) || attempt >= 5) throw e;
        await sleep(20 * attempt);
      }
    }
  }
}
