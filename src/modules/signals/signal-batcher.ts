import { sql, type Insertable } from 'kysely';
import type { Database } from '../../db/create-db.ts';
import type { SignalsTable } from '../../db/schema.ts';
import type { Ctx } from '../context.ts';
import { withTransaction } from '../../db/transaction.ts';
import { insertSignal } from './repository.ts';

/** Signals one batch stores at most; bounds the latency one request can add to the others. */
const MAX_BATCH = 64;
/**
 * Batches in flight at once. One at a time would hold every receiver behind the batch applying
 * signals (a dozen round trips); the others store and commit meanwhile (only one applies at a
 * time: the processor lock).
 */
const MAX_IN_FLIGHT = 4;

type SignalInsert = Omit<Insertable<SignalsTable>, 'id'>;

interface Pending {
  row: SignalInsert;
  resolve: (id: number) => void;
  reject: (e: unknown) => void;
}

/**
 * PostgreSQL: the signals receivers store at the same moment, stored together. On its own each
 * would be a transaction (BEGIN, INSERT, COMMIT: three round trips and a WAL flush); queued for the
 * moment and written as one multi-row INSERT in one transaction, they share the round trips and the
 * flush, and the database's before-commit step (the signal processor's) can apply them before that
 * commit, as SQLite's group commit does. Each receiver hears back once the batch is committed, so
 * "durable before 2xx" holds. A batch that fails is stored again one signal per transaction, so one
 * bad row cannot fail the others.
 */
export class SignalBatcher {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly db: Database) {}

  store(row: SignalInsert): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.schedule();
    });
  }

  /** From setImmediate, so that requests read in the same poll phase join the batch. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= MAX_IN_FLIGHT) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (!batch.length) return;
    this.inFlight++;
    const ids: number[] = [];
    try {
      await this.storeTogether(batch, ids);
    } catch {
      // The commit may have happened although its answer was lost (a dropped connection): rows that
      // are there are stored (and may be applied already); only the others are stored again.
      const there = ids.length ? await this.existing(ids).catch(() => null) : new Set<number>();
      await Promise.all(batch.map((p, i) => (there === null ? p.reject(new Error('signals could not be stored, and whether they were is unknown')) : there.has(ids[i]) ? p.resolve(ids[i]) : this.storeAlone(p))));
    } finally {
      this.inFlight--;
      if (this.queue.length) this.schedule();
    }
  }

  /**
   * `ids` gets the batch's ids as soon as they are drawn, so a failure can tell what was stored.
   * withTransaction runs the before-commit step the transaction asks for, and its after-commit
   * part before the receivers hear back.
   */
  private async storeTogether(batch: Pending[], ids: number[]): Promise<void> {
    await withTransaction({ db: this.db }, async (tx) => {
      // Ids first, from the table's own sequence: they pair each row with its receiver whatever
      // order the database inserts or returns rows in.
      const { rows } = await sql<{ id: string | number }>`select nextval(pg_get_serial_sequence('signals', 'id')) as id from generate_series(1, ${batch.length})`.execute(tx.trx);
      ids.push(...rows.map((r) => Number(r.id)));
      await tx.trx
        .insertInto('signals')
        .values(batch.map((p, i) => ({ ...p.row, id: ids[i] })))
        .execute();
      this.db.beforeCommit.request(tx.trx);
    });
    batch.forEach((p, i) => p.resolve(ids[i]));
  }

  private async existing(ids: number[]): Promise<Set<number>> {
    const rows = await this.db.kysely.selectFrom('signals').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((r) => Number(r.id)));
  }

  private async storeAlone(p: Pending): Promise<void> {
    try {
      p.resolve(await storeSignal({ db: this.db }, p.row));
    } catch (e) {
      p.reject(e);
    }
  }
}

/**
 * Stores one signal in its own transaction (or the caller's), asking for the before-commit step,
 * so the signal processor applies it before the commit when it can.
 */
export function storeSignal(ctx: Pick<Ctx, 'db' | 'trx'>, row: SignalInsert): Promise<number> {
  return withTransaction(ctx, (tx) => {
    tx.db.beforeCommit.request(tx.trx);
    return insertSignal(tx, row);
  });
}

const batchers = new WeakMap<Database, SignalBatcher>();

/** The database's signal batcher (PostgreSQL), made on first use. */
export function signalBatcher(db: Database): SignalBatcher {
  let batcher = batchers.get(db);
  if (!batcher) {
    batcher = new SignalBatcher(db);
    batchers.set(db, batcher);
  }
  return batcher;
}
