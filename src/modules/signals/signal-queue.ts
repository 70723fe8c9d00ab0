import { sql, type Transaction } from 'kysely';
import { lockNames } from '../../db/dialect.ts';
import type { DB } from '../../db/schema.ts';
import type { Logger } from '../../lib/logger.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import type { Clock } from '../../lib/clock.ts';
import type { ConfigStore } from '../../config/store.ts';
import type { Database } from '../../db/create-db.ts';
import { systemActor, type Ctx } from '../context.ts';
import { applyWork, ingestTransaction, type NotificationPlan, type WorkItem } from './alert-lifecycle.ts';
import { integrationActor } from './integrations.ts';
import { findOwnIncidents } from './correlate.ts';
import { signalBatcher, storeSignal } from './signal-batcher.ts';
import { SignalRound } from './signal-round.ts';

/** An accepted notification: its signal, and how many alerts it carries. */
export interface AcceptedSignal {
  signal_id: number;
  alerts: number;
}

/**
 * Stores a checked signal with its work, durably, and returns its id: on SQLite in a group commit
 * shared with the other requests of the moment, on PostgreSQL in a batch of them (SignalBatcher);
 * either way the signal processor applies it before that commit when it can. This is all a
 * receiver does before it may answer 2xx: a crash after that loses nothing, because the signal
 * processor applies every stored signal that has not been applied, after a restart too.
 */
export async function acceptSignal(ctx: Ctx, integrationId: string, signal: NotificationPlan['signal'], work: WorkItem[]): Promise<number> {
  const row = {
    integration_id: integrationId,
    received_at: signal.receivedAt,
    kind: 'alert',
    event_action: signal.eventAction,
    dedup_key: signal.dedupKey,
    payload: signal.payload,
    work: JSON.stringify(work),
    processed_at: null,
    error: null,
  };
  return ctx.db.dialect.name === 'postgres' && !ctx.trx ? signalBatcher(ctx.db).store(row) : storeSignal(ctx, row);
}

/**
 * Signals applied per round; on SQLite one round shares one commit. Small, because a round holds
 * the event loop (better-sqlite3 is synchronous) and receivers must keep answering during a storm.
 */
const BATCH = 64;
/**
 * Receivers waiting for their signal beyond which new ones do not wait: the queue is long, so the
 * sender gets its 2xx as soon as the signal is durable instead of queueing behind the storm.
 */
const STORM_WAITERS = 64;
/**
 * Attempts before a signal whose work keeps failing is set aside with its error (and logged), and
 * the first retry's delay (each next one waits 4× longer: 50 ms, 200 ms, 800 ms). While the
 * database itself is down, setting aside fails too, so the signal stays queued until it is back.
 */
const MAX_ATTEMPTS = 4;
const RETRY_MS = 50;
/** PostgreSQL: ids applied in the accepting transaction, kept for their receivers to find. */
const APPLIED_INLINE_KEPT = 4096;
/** PostgreSQL: how soon a round that found another transaction applying tries again, while receivers wait. */
const BUSY_RETRY_MS = 5;

/**
 * Applies stored signals in the order they were accepted: dedup, suppression, correlation,
 * classification, a round of up to 64 in one transaction (ADR 0013). Normally in the transaction
 * that stored them (applyInline, the database's before-commit step); otherwise in rounds of its
 * own, kicked by accepts and polled for signals that another node accepted or that a crash left
 * behind. A round that fails is applied again one signal at a time, to set the failing one aside.
 * On PostgreSQL one transaction applies at a time (a transaction-scoped advisory lock), which keeps
 * every key's events in order across nodes.
 */
export class SignalProcessor {
  private waiters = new Map<number, () => void>();
  private attempts = new Map<number, number>();
  /** A signal whose work failed is not tried again before this (monotonic ms): kicks by new accepts must not skip the backoff. */
  private retryNotBefore = new Map<number, number>();
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private poll: NodeJS.Timeout | undefined;
  /** SQLite: every signal up to this id is applied (set by applyInline, under the write lock). */
  private appliedThrough = 0;
  /**
   * PostgreSQL: signals applyInline applied, until their receiver asks (other transactions may
   * still hold lower ids, so there is no "everything up to"). Bounded: ids applied for receivers of
   * other nodes are never asked about here.
   */
  private readonly appliedInline = new Set<number>();
  /** PostgreSQL: a batch of this node is applying in its transaction (several batches are in flight at once). */
  private inlineRunning = false;
  /** Off after applyInline failed, until a round gets through: the failing signal is the rounds' to retry or set aside. */
  private inline = true;

  constructor(private readonly deps: { db: Database; config: ConfigStore; clock: Clock; logger: Logger }) {}

  /** Starts polling (and applies whatever waits now, e.g. signals accepted before a crash). */
  start(pollMs = 1000): void {
    this.poll = setInterval(() => this.kick(), pollMs);
    this.poll.unref();
    this.deps.db.beforeCommit.set(
      this.applyInline,
      (err) => {
        this.inline = false;
        this.deps.logger.warn({ err }, 'signals could not be applied in the commit that accepted them; the signal processor takes them');
      },
      // PostgreSQL: not while a round or another batch of this node is applying (one holds the processor lock).
      () => this.inline && !this.stopped && (this.deps.db.dialect.name === 'sqlite' || (!this.running && !this.inlineRunning)),
    );
    this.kick();
  }

  /** Resolves when no round is running (one kicked meanwhile may start after). */
  async whenIdle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.db.beforeCommit.clear(this.applyInline);
    clearInterval(this.poll);
    await this.running;
    for (const wake of this.waiters.values()) wake();
    this.waiters.clear();
  }

  /**
   * A receiver stored this signal: resolves at once when it was applied in the transaction that
   * stored it (the usual case), else kicks a round and waits for it (see settle).
   */
  accepted(id: number, waitMs: number): Promise<void> {
    if (id <= this.appliedThrough || this.appliedInline.delete(id)) return Promise.resolve();
    const settled = this.settle(id, waitMs);
    this.kick();
    return settled;
  }

  /**
   * The before-commit step of the transaction that stored receivers' signals (SQLite's group
   * commit, PostgreSQL's SignalBatcher): applies the oldest pending signals, those just stored
   * among them, inside that transaction. One commit then covers storing and applying, and the 2xx
   * comes after the incident exists. On PostgreSQL only when no other transaction holds the
   * processor lock (taken without waiting); otherwise the receivers wait for a round. On SQLite,
   * under the write lock, every older signal is committed or in this transaction, so all up to the
   * last applied are done.
   */
  private applyInline = async (trx: Transaction<DB>): Promise<(() => void) | void> => {
    const tx = { db: this.deps.db, trx, clock: this.deps.clock, config: this.deps.config, requestId: 'signals', actor: systemActor('signals') };
    this.inlineRunning = true;
    let ids;
    try {
      ids = await applyOldestPending(tx, BATCH);
    } finally {
      this.inlineRunning = false;
    }
    if (ids === 'busy' || !ids.length) return;
    const sqlite = this.deps.db.dialect.name === 'sqlite';
    return () => {
      if (sqlite) this.appliedThrough = Math.max(this.appliedThrough, ids[ids.length - 1]);
      else this.rememberApplied(ids);
      for (const id of ids) this.wake(id);
    };
  };

  /** PostgreSQL: ids applyInline applied, kept (boundedly, oldest out first) for their receivers to find. */
  private rememberApplied(ids: number[]): void {
    for (const id of ids) this.appliedInline.add(id);
    for (const id of this.appliedInline) {
      if (this.appliedInline.size <= APPLIED_INLINE_KEPT) break;
      this.appliedInline.delete(id);
    }
  }

  /** Asks for a round soon; cheap to call on every accept (rounds coalesce). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = new Promise<void>((done) => setImmediate(() => void this.drain().finally(done)));
  }

  /**
   * Resolves once the signal has been applied by this node, or after `ms`, whichever is first, or
   * at once when many receivers are waiting already: receivers wait a little so that, unless a
   * storm is queueing work, the sender's 2xx comes after the incident exists; the signal is
   * durable either way.
   */
  settle(id: number, ms: number): Promise<void> {
    if (this.waiters.size >= STORM_WAITERS || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve();
      }, ms);
      this.waiters.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.again = false;
        const n = await this.round();
        if (n >= BATCH) this.again = true;
        // Let requests in between rounds: a storm must not starve the receivers.
        if (this.again) await new Promise((r) => setImmediate(r));
      } while (this.again && !this.stopped);
    } catch (err) {
      this.deps.logger.error({ err }, 'signal processing round failed; will retry');
    } finally {
      this.running = null;
    }
  }

  private async round(): Promise<number> {
    const base = { db: this.deps.db, clock: this.deps.clock, config: this.deps.config, requestId: 'signals', actor: systemActor('signals') };
    // Only receivers already waiting now: their signals were committed before this query starts,
    // so the query sees them (one that commits during the query would look applied).
    const waiting = [...this.waiters.keys()];
    const rows = await oldestPending(base, BATCH);
    // Everything below the oldest waiting signal has been applied, by this node or another.
    this.wakeBelow(waiting, rows.length ? Number(rows[0].id) : Infinity);
    if (!rows.length) return 0;
    // The oldest signal failed a moment ago: it (and, to keep order, everything after it) waits for its retry.
    const notBefore = this.retryNotBefore.get(Number(rows[0].id));
    if (notBefore !== undefined && performance.now() < notBefore) return 0;
    // The round in one transaction, in order: on SQLite one savepoint in a shared commit, on
    // PostgreSQL one commit round trip; either way one placement lookup per service and one
    // alert_added entry per incident (see SignalRound).
    const outcome = await this.applyRoundAtOnce(base, rows);
    if (outcome === 'busy') {
      // Another transaction is applying (PostgreSQL): soon again while receivers wait, or they would wait for the poll.
      if (this.waiters.size) setTimeout(() => this.kick(), BUSY_RETRY_MS).unref();
      return 0;
    }
    if (outcome === 'done') this.inline = true;
    if (outcome === 'failed') {
      // The round failed somewhere: one signal at a time, to find (and set aside) the failing one.
      for (const row of rows) {
        // Another node is applying signals, or this one failed: stop here, or later ones would go first.
        if ((await this.apply({ ...base, requestId: `signal-${row.id}` }, row)) === 'busy') return 0;
      }
    }
    for (const row of rows) this.wake(Number(row.id));
    return rows.length;
  }

  private wake(id: number): void {
    this.waiters.get(id)?.();
    this.waiters.delete(id);
  }

  private wakeBelow(candidates: number[], id: number): void {
    for (const waiting of candidates) if (waiting < id) this.wake(waiting);
  }

  /** The whole round in one transaction; on any failure nothing of it stays. */
  private async applyRoundAtOnce(base: Ctx, rows: SignalRow[]): Promise<'done' | 'busy' | 'failed'> {
    try {
      return await ingestTransaction(base, (tx) => applySignals(tx, rows));
    } catch (err) {
      this.deps.logger.warn({ err }, 'a round of signals failed; applying them one by one');
      return 'failed';
    }
  }

  private async apply(base: Ctx, signal: SignalRow): Promise<'done' | 'busy'> {
    const row = { ...signal, id: Number(signal.id) };
    try {
      const outcome = await ingestTransaction(base, (tx) => applySignals(tx, [row]));
      this.attempts.delete(row.id);
      this.retryNotBefore.delete(row.id);
      return outcome;
    } catch (err) {
      const attempts = (this.attempts.get(row.id) ?? 0) + 1;
      this.attempts.set(row.id, attempts);
      this.deps.logger.error({ err, signal: row.id, attempts }, 'signal could not be applied');
      // Tried again on a later round; later signals wait for it, so every key's events stay in order.
      if (attempts < MAX_ATTEMPTS) {
        const delay = RETRY_MS * 4 ** (attempts - 1);
        this.retryNotBefore.set(row.id, performance.now() + delay);
        setTimeout(() => this.kick(), delay).unref();
        return 'busy';
      }
      this.attempts.delete(row.id);
      this.retryNotBefore.delete(row.id);
      // Set aside, with why: kept (and visible) rather than retried for ever ahead of every other signal.
      const message = err instanceof Error ? err.message : String(err);
      await withTransaction(base, (tx) => q(tx).updateTable('signals').set({ processed_at: tx.clock.now(), error: message.slice(0, 2000) }).where('id', '=', row.id).where('processed_at', 'is', null).execute());
      return 'done';
    }
  }
}

type SignalRow = { id: number | string; integration_id: string; work: string | null };

/** The oldest signals not yet applied, in order (partial index signals_pending). */
const oldestPending = (ctx: Pick<Ctx, 'db' | 'trx'>, limit: number): Promise<SignalRow[]> =>
  q(ctx).selectFrom('signals').select(['id', 'integration_id', 'work']).where('processed_at', 'is', null).orderBy('id').limit(limit).execute();

/**
 * PostgreSQL: one node applies signals at a time (transaction-scoped, so a crash frees it); false
 * when another node holds it. SQLite has one writer anyway.
 */
async function takeProcessorLock(tx: Ctx & { trx: NonNullable<Ctx['trx']> }): Promise<boolean> {
  if (tx.db.dialect.name !== 'postgres') return true;
  const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(hashtext('firebreak.signals.processor')) as ok`.execute(tx.trx);
  return rows[0]?.ok === true;
}

/**
 * Applies stored signals in the caller's transaction, in order, each as its integration, skipping
 * any already applied (by another node, or before a crash), and marks them applied; 'busy' when
 * another node holds the processor lock.
 */
async function applySignals(tx: Ctx & { trx: NonNullable<Ctx['trx']> }, rows: SignalRow[]): Promise<'done' | 'busy'> {
  if (!(await takeProcessorLock(tx))) return 'busy';
  const ids = rows.map((r) => Number(r.id));
  const pending = new Set((await q(tx).selectFrom('signals').select('id').where('id', 'in', ids).where('processed_at', 'is', null).execute()).map((r) => Number(r.id)));
  await applyRows(tx, rows.filter((r) => pending.has(Number(r.id))));
  return 'done';
}

/**
 * Takes the processor lock, then applies the oldest pending signals (up to `limit`) in the
 * caller's transaction: read under the lock, they need no second look. Their ids, or 'busy'.
 */
async function applyOldestPending(tx: Ctx & { trx: NonNullable<Ctx['trx']> }, limit: number): Promise<number[] | 'busy'> {
  if (!(await takeProcessorLock(tx))) return 'busy';
  const rows = await oldestPending(tx, limit);
  await applyRows(tx, rows);
  return rows.map((r) => Number(r.id));
}

/** Applies pending signals, in order, each as its integration, and marks them applied. */
async function applyRows(tx: Ctx & { trx: NonNullable<Ctx['trx']> }, rows: SignalRow[]): Promise<void> {
  if (!rows.length) return;
  const round = new SignalRound();
  const signals = rows.map((r) => ({ id: Number(r.id), integrationId: r.integration_id, work: r.work === null ? [] : (JSON.parse(r.work) as WorkItem[]) }));
  const keys = new Map<string, Set<string>>();
  for (const s of signals) {
    const set = keys.get(s.integrationId) ?? keys.set(s.integrationId, new Set()).get(s.integrationId)!;
    for (const item of s.work) if (item.status === 'firing') set.add(item.firing.dedupKey);
  }
  await round.findNewKeys(tx, keys);
  const services = new Set(signals.flatMap((s) => s.work.map((item) => (item.status === 'firing' ? item.firing.serviceId : item.serviceId))));
  // PostgreSQL, in one round trip: the correlation lock, and every service's, so that neither two
  // triggers nor a trigger and a user report open two alerts for one key or two incidents for one
  // service. Sorted, so two lockers over the same services cannot deadlock. SQLite has one writer.
  await lockNames(q(tx), tx.db.dialect, ['signals:correlation', ...[...services].map((s) => `signals:service:${s}`)].sort());
  await findOwnIncidents(tx, round, [...services]);
  for (const signal of signals) {
    const integration = tx.config.current.integrations.find((i) => i.id === signal.integrationId);
    // An integration removed from the config after the accept: its work is still applied.
    const source = integration ?? { id: signal.integrationId, name: signal.integrationId, auto_resolve: undefined };
    const ctx: Ctx = { ...tx, requestId: `signal-${signal.id}`, actor: integration ? integrationActor(integration) : systemActor(`integration ${signal.integrationId}`) };
    await applyWork(ctx, source, signal.work, round);
  }
  await round.flush(tx);
  // The work is the receiver's plan, needed only until applied (the payload, as received, stays).
  await q(tx).updateTable('signals').set({ processed_at: tx.clock.now(), work: null }).where('id', 'in', signals.map((s) => s.id)).execute();
}
