import { CompiledQuery, type Transaction } from 'kysely';
import type { DB } from './schema.ts';

/**
 * Work to run once at the end of a transaction that asked for it, inside the transaction and
 * before its commit. What it returns runs after the commit.
 */
export type BeforeCommit = (trx: Transaction<DB>) => Promise<(() => void) | void>;

/**
 * Savepoint statements, written out rather than through Kysely's savepoint builder: the group
 * commit takes two for every unit, on the hottest path there is (each accepted signal is a unit).
 */
const SAVEPOINT_SQL = {
  begin: (name: string) => CompiledQuery.raw(`savepoint "${name}"`),
  release: (name: string) => CompiledQuery.raw(`release savepoint "${name}"`),
  rollback: (name: string) => CompiledQuery.raw(`rollback to savepoint "${name}"`),
};
export const savepoint = (trx: Transaction<DB>, verb: keyof typeof SAVEPOINT_SQL, name: 'unit' | 'before_commit') => trx.executeQuery(SAVEPOINT_SQL[verb](name));

/**
 * One database's before-commit step (the signal processor's: apply the signals a transaction
 * stored before it commits). A transaction asks for it with `request`; whoever commits that
 * transaction runs it once (the group commit once per batch on SQLite, withTransaction on
 * PostgreSQL), under a savepoint of its own: when it fails, only its changes are undone and the
 * transaction commits what it did before.
 */
export class BeforeCommitStep {
  /** Steps set, the last one in force: an app built on a database another app uses (tests) takes over, and gives back when it stops. */
  private steps: { fn: BeforeCommit; onError: (e: unknown) => void; ready: () => boolean }[] = [];
  private asked = new WeakSet<Transaction<DB>>();

  /**
   * Sets the step; the last set is the one that runs. `ready` is asked first, and the step (with
   * its savepoint, a round trip on PostgreSQL) is skipped when it says no.
   */
  set(fn: BeforeCommit, onError: (e: unknown) => void = () => {}, ready: () => boolean = () => true): void {
    this.steps.push({ fn, onError, ready });
  }

  /** Removes `fn`; the step set before it, if any, is in force again. */
  clear(fn: BeforeCommit): void {
    this.steps = this.steps.filter((s) => s.fn !== fn);
  }

  /** Called inside a transaction: run the step before `trx` commits. */
  request(trx: Transaction<DB>): void {
    this.asked.add(trx);
  }

  /**
   * Runs the step if it was requested in `trx` (and forgets the request). `lost` when the
   * transaction itself is gone with the step's failure (SQLite rolled all of it back).
   */
  async runIfRequested(trx: Transaction<DB>): Promise<{ afterCommit: (() => void) | void } | { lost: unknown }> {
    if (!this.asked.has(trx)) return { afterCommit: undefined };
    this.asked.delete(trx);
    const step = this.steps.at(-1);
    if (!step?.ready()) return { afterCommit: undefined };
    try {
      await savepoint(trx, 'begin', 'before_commit');
    } catch (e) {
      return { lost: e };
    }
    try {
      const afterCommit = await step.fn(trx);
      await savepoint(trx, 'release', 'before_commit');
      return { afterCommit };
    } catch (e) {
      step.onError(e);
      try {
        await savepoint(trx, 'rollback', 'before_commit');
        await savepoint(trx, 'release', 'before_commit');
        return { afterCommit: undefined };
      } catch {
        return { lost: e };
      }
    }
  }
}
