import { sql, type Selectable } from 'kysely';
import type { ConfigStore } from '../../config/store.ts';
import type { Database } from '../../db/create-db.ts';
import type { NotificationsTable } from '../../db/schema.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import type { Clock } from '../../lib/clock.ts';
import { chunks } from '../../lib/chunks.ts';
import { formatDuration } from '../../lib/duration.ts';
import type { Logger } from '../../lib/logger.ts';
import { systemActor, type Ctx } from '../context.ts';
import { recordChanges } from '../incidents/index.ts';
import { raiseInternalAlert } from '../signals/index.ts';
import { resolveDestination } from './destinations.ts';
import { isPreparedDestination, sendPrepared, SUBSCRIBER_PREFIX } from './prepared.ts';
import type { NotificationMessage, SendResult } from './provider.ts';
import { sendVia } from './providers/index.ts';
import { TokenBuckets } from './token-buckets.ts';

type NotificationRow = Selectable<NotificationsTable>;

export interface DispatcherDeps {
  db: Database;
  config: ConfigStore;
  clock: Clock;
  logger: Logger;
  nodeId: string;
}

export interface DispatcherOptions {
  /** How often to look for due messages when nothing pokes the dispatcher. */
  pollMs?: number;
  /** Messages held on this node at once (sending or waiting for their destination). */
  maxInFlight?: number;
  /** Sends in flight to one destination at once: a hanging provider holds at most this many slots. */
  perDestination?: number;
  /** How often finished attempts are written (one transaction for all of them). */
  flushMs?: number;
}

/**
 * A finished attempt, a deferral (the destination's rate limit), or a cancellation found at send
 * time (a status page subscriber who unsubscribed); the last two are not attempts.
 */
type Outcome =
  | { row: NotificationRow; type: 'attempt'; result: SendResult; at: number; latencyMs: number }
  | { row: NotificationRow; type: 'defer'; until: number }
  | { row: NotificationRow; type: 'cancel'; reason: string; at: number };

/** A lease outlives the attempts it may wait behind by this much before another node may take the message. */
const LEASE_MARGIN_MS = 15_000;
/** Transactions a flush of finished attempts uses at once on PostgreSQL. */
const FLUSH_TRANSACTIONS = 4;
/** A claim takes at most this many sends' worth per destination, so one busy destination cannot fill it. */
const CLAIM_ROUNDS = 4;
/** Retry-After is honoured up to this long. */
const MAX_RETRY_AFTER_MS = 60 * 60_000;

/**
 * Sends queued notifications (the transactional outbox). Claims due messages with a lease (on
 * PostgreSQL nodes skip each other's rows), sends each through its provider concurrently with a
 * timeout, and writes every attempt: status, latency, error, on the incident's timeline too.
 * Failures retry with exponential backoff and full jitter until the destination's give-up time,
 * then an internal alert says so. Each destination has its own rate limit and in-flight cap, so a
 * failing or hanging provider never delays the others. Status page subscribers' messages
 * (`subscriber:<id>`, see prepared.ts) take the same path but belong to no incident: no
 * timeline entry, no internal alert, only a log line when one fails for good.
 */
export class NotificationDispatcher {
  private readonly opts: Required<DispatcherOptions>;
  private readonly buckets = new TokenBuckets();
  /** Per destination: sends in flight and the claimed messages waiting for a slot. */
  private readonly destinations = new Map<string, { busy: number; waiting: NotificationRow[] }>();
  private inFlight = 0;
  private subscriberInFlight = 0;
  private outcomes: Outcome[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private stopped = true;
  private sends = new Set<Promise<void>>();
  private readonly ctx: Ctx;

  constructor(
    private readonly deps: DispatcherDeps,
    opts: DispatcherOptions = {},
  ) {
    this.opts = { pollMs: opts.pollMs ?? 100, maxInFlight: opts.maxInFlight ?? 256, perDestination: opts.perDestination ?? 16, flushMs: opts.flushMs ?? 20 };
    this.ctx = { db: deps.db, config: deps.config, clock: deps.clock, requestId: 'notifications', actor: systemActor('notifications') };
  }

  async start(): Promise<void> {
    this.stopped = false;
    // SQLite has one node: leases left by a previous run of this process are stale.
    if (this.deps.db.dialect.name === 'sqlite') {
      await q(this.ctx).updateTable('notifications').set({ lease_owner: null, lease_until: null }).where('status', '=', 'pending').where('lease_owner', 'is not', null).execute();
    }
    this.schedule(0);
  }

  /** Look for due messages now (called after something was queued on this node). */
  poke(): void {
    if (!this.stopped) this.schedule(0);
  }

  /** Stops claiming, waits for sends in flight and writes their attempts. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    await Promise.allSettled([...this.sends]);
    await this.flush();
  }

  /** One claim-and-send pass, then waits for its sends and writes them: for tests with a manual clock. */
  async runOnce(): Promise<number> {
    const n = await this.claimAndSend();
    while (this.sends.size) await Promise.allSettled([...this.sends]);
    await this.flush();
    return n;
  }

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.polling) return this.schedule(this.opts.pollMs);
      this.polling = this.claimAndSend()
        .catch((err) => this.deps.logger.error({ err }, 'notifications: claim failed'))
        .then(() => {
          this.polling = null;
          if (!this.stopped) this.schedule(this.opts.pollMs);
        });
    }, delay);
    this.timer.unref();
  }

  /**
   * Two lanes: status page subscribers (anyone on the internet can add thousands, each its own
   * destination, some slow) get at most a quarter of the sends in flight, so a post to a large
   * subscriber list can never hold up a page to the person on call.
   */
  private async claimAndSend(): Promise<number> {
    const subscriberSlots = Math.max(1, Math.floor(this.opts.maxInFlight / 4));
    const pagingRoom = this.opts.maxInFlight - subscriberSlots - (this.inFlight - this.subscriberInFlight);
    const subscriberRoom = subscriberSlots - this.subscriberInFlight;
    const rows = [...(pagingRoom > 0 ? await this.claim(pagingRoom, 'paging') : []), ...(subscriberRoom > 0 ? await this.claim(subscriberRoom, 'subscribers') : [])];
    for (const row of rows) this.enqueue(row);
    return rows.length;
  }

  /**
   * Leases due messages, oldest first, but at most CLAIM_ROUNDS × perDestination per destination
   * (a window over each destination's queue), so a destination with a thousand waiting messages
   * cannot crowd the others out of a claim.
   */
  private async claim(limit: number, lane: 'paging' | 'subscribers'): Promise<NotificationRow[]> {
    const now = this.deps.clock.now();
    const perDestination = this.opts.perDestination * CLAIM_ROUNDS;
    // Waiting behind up to CLAIM_ROUNDS attempts of its destination, each bounded by the timeout.
    const leaseUntil = now + (CLAIM_ROUNDS + 1) * this.deps.config.current.notifications.attempt_timeout + LEASE_MARGIN_MS;
    return withTransaction(this.ctx, async (tx) => {
      const due = q(tx)
        .selectFrom('notifications')
        .select((eb) => ['id', 'next_attempt_at', eb.fn.agg<number>('row_number', []).over((ob) => ob.partitionBy('destination').orderBy('next_attempt_at').orderBy('id')).as('place')])
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .where('destination', lane === 'subscribers' ? 'like' : 'not like', `${SUBSCRIBER_PREFIX}%`)
        .as('due');
      let select = q(tx)
        .selectFrom('notifications')
        .select('id')
        .where('id', 'in', q(tx).selectFrom(due).select('due.id').where('due.place', '<=', perDestination).orderBy('due.next_attempt_at').limit(limit))
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]));
      if (tx.db.dialect.supportsSkipLocked) select = select.forUpdate().skipLocked();
      const ids = (await select.execute()).map((r) => r.id);
      if (!ids.length) return [];
      return q(tx).updateTable('notifications').set({ lease_owner: this.deps.nodeId, lease_until: leaseUntil }).where('id', 'in', ids).returningAll().execute();
    });
  }

  /** Holds a claimed message for its destination: sent now when a slot is free, else next in line. */
  private enqueue(row: NotificationRow): void {
    this.inFlight++;
    if (isPreparedDestination(row.destination)) this.subscriberInFlight++;
    const d = this.destinations.get(row.destination) ?? { busy: 0, waiting: [] };
    this.destinations.set(row.destination, d);
    if (d.busy < this.opts.perDestination) this.launch(row, d);
    else d.waiting.push(row);
  }

  private launch(row: NotificationRow, d: { busy: number; waiting: NotificationRow[] }): void {
    d.busy++;
    const send = this.sendOne(row)
      .catch((err): Outcome => {
        this.deps.logger.error({ err, notification: row.id }, 'notifications: send failed unexpectedly');
        return { row, type: 'attempt', result: { ok: false, retryable: true, error: 'internal error while sending' }, at: this.deps.clock.now(), latencyMs: 0 };
      })
      .then((outcome) => {
        this.inFlight--;
        if (isPreparedDestination(row.destination)) this.subscriberInFlight--;
        d.busy--;
        const next = d.waiting.shift();
        if (next) this.launch(next, d);
        else if (d.busy === 0) this.destinations.delete(row.destination);
        this.outcomes.push(outcome);
        this.scheduleFlush();
      });
    this.sends.add(send);
    void send.finally(() => this.sends.delete(send));
  }

  private async sendOne(row: NotificationRow): Promise<Outcome> {
    const config = this.deps.config.current;
    const now = this.deps.clock.now();
    if (isPreparedDestination(row.destination)) return this.sendPreparedOne(row, now);
    let fallbackEmail: string | null = null;
    if (row.user_handle && !config.users.some((u) => u.handle === row.user_handle)) {
      fallbackEmail = (await q(this.ctx).selectFrom('users').select('email').where('handle', '=', row.user_handle).executeTakeFirst())?.email ?? null;
    }
    const resolved = resolveDestination(config, row.destination, fallbackEmail);
    if (!resolved.ok) return { row, type: 'attempt', result: { ok: false, retryable: false, error: resolved.error }, at: now, latencyMs: 0 };
    const wait = this.buckets.take(row.destination, resolved.limits.perMinute, now);
    if (wait > 0) return { row, type: 'defer', until: now + wait };
    const message = JSON.parse(row.message) as NotificationMessage;
    const started = performance.now();
    const result = await sendVia(resolved.destination, message, { timeoutMs: config.notifications.attempt_timeout, ...(config.notifications.smtp ? { smtp: config.notifications.smtp } : {}), now: () => this.deps.clock.now() });
    return { row, type: 'attempt', result, at: this.deps.clock.now(), latencyMs: Math.round(performance.now() - started) };
  }

  /** A status page subscriber's message: rendered when queued, addressed now. */
  private async sendPreparedOne(row: NotificationRow, now: number): Promise<Outcome> {
    const config = this.deps.config.current;
    const wait = this.buckets.take(row.destination, config.notifications.rate_limit.per_minute, now);
    if (wait > 0) return { row, type: 'defer', until: now + wait };
    const started = performance.now();
    const outcome = await sendPrepared(this.ctx, row, { timeoutMs: config.notifications.attempt_timeout, now: () => this.deps.clock.now() });
    const at = this.deps.clock.now();
    if ('cancelled' in outcome) return { row, type: 'cancel', reason: outcome.cancelled, at };
    return { row, type: 'attempt', result: outcome, at, latencyMs: Math.round(performance.now() - started) };
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, this.opts.flushMs);
    this.flushTimer.unref();
  }

  /** Writes every finished attempt and deferral: one transaction (a few at once on PostgreSQL). */
  private flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = this.outcomes;
      this.outcomes = [];
      if (!batch.length) return;
      // PostgreSQL: a few transactions at once (each attempt is several round trips); SQLite has one writer.
      const parts = this.deps.db.dialect.supportsSkipLocked ? chunks(batch, Math.max(25, Math.ceil(batch.length / FLUSH_TRANSACTIONS))) : [batch];
      await Promise.all(
        parts.map(async (part) => {
          try {
            await withTransaction(this.ctx, (tx) => this.record(tx, part));
          } catch (err) {
            // The leases expire and the messages are sent again: receivers dedupe on the idempotency key.
            this.deps.logger.error({ err, count: part.length }, 'notifications: could not record attempts');
          }
        }),
      );
      // Room again, and what is left may already be due: look now rather than at the next poll.
      if (!this.stopped) this.schedule(0);
    });
    return this.flushing;
  }

  /**
   * Writes a batch of outcomes: deferrals, then every attempt in one insert, each message's new
   * status (guarded: one cancelled meanwhile keeps its status), and the timeline entries in one
   * multi-row write. Few statements per batch: on PostgreSQL each is a round trip.
   */
  private async record(tx: Ctx, batch: Outcome[]): Promise<void> {
    const config = tx.config.current;
    const attempts: Extract<Outcome, { type: 'attempt' }>[] = [];
    for (const o of batch) {
      if (o.type === 'defer') {
        await q(tx).updateTable('notifications').set({ next_attempt_at: o.until, lease_owner: null, lease_until: null }).where('id', '=', o.row.id).where('status', '=', 'pending').execute();
      } else if (o.type === 'cancel') {
        await q(tx)
          .updateTable('notifications')
          .set({ status: 'cancelled', next_attempt_at: null, lease_owner: null, lease_until: null, last_error: o.reason, updated_at: o.at })
          .where('id', '=', o.row.id)
          .where('status', '=', 'pending')
          .execute();
      } else attempts.push(o);
    }
    if (!attempts.length) return;
    await q(tx)
      .insertInto('notification_attempts')
      .values(attempts.map(({ row, result, at, latencyMs }) => ({ notification_id: row.id, at, ok: result.ok ? 1 : 0, status_code: result.status ?? null, latency_ms: latencyMs, error: result.ok ? null : result.error.slice(0, 500), node: this.deps.nodeId })))
      .execute();
    const outcomes = attempts.map(({ row, result, at, latencyMs }) => {
      const attempt = row.attempts + 1;
      let status: string;
      let next: number | null = null;
      if (result.ok) status = 'sent';
      else if (!result.retryable) status = 'failed';
      else {
        const backoff = retryDelay(attempt, config.notifications.retry.initial, config.notifications.retry.max);
        next = at + Math.max(backoff, Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
        status = next >= row.give_up_at ? 'gave_up' : 'pending';
        if (status === 'gave_up') next = null;
      }
      return { row, result, at, latencyMs, attempt, status, next };
    });
    const updated = await updateStatuses(tx, outcomes.map((o) => ({ id: o.row.id, status: o.status, attempts: o.attempt, next: o.next, error: o.result.ok ? null : o.result.error.slice(0, 500), sentAt: o.result.ok ? o.at : null, at: o.at })));
    const changes: Parameters<typeof recordChanges>[1] = [];
    for (const { row, result, at, latencyMs, attempt, status, next } of outcomes) {
      // Cancelled while in flight (acknowledged, resolved): the attempt is kept, the status is not changed.
      if (!updated.has(row.id)) continue;
      if (isPreparedDestination(row.destination)) {
        // A subscriber's endpoint is theirs, not ours: its failures are logged, never paged or put on a timeline.
        if (status === 'gave_up' || status === 'failed') {
          this.deps.logger.warn({ notification: row.id, destination: row.destination, kind: row.kind, status, attempts: attempt, error: result.ok ? '' : result.error }, 'notifications: status page subscriber is failing');
        }
        continue;
      }
      const message = JSON.parse(row.message) as NotificationMessage;
      if (row.incident_id) {
        changes.push({
          ctx: tx,
          incident: { id: row.incident_id, number: Number(message.incident.ref.replace(/^INC-/, '')) },
          change: {
            kind: 'notification',
            body: describeAttempt(row, message, result, latencyMs, status, next === null ? null : next - at, attempt),
            data: { notification: row.id, destination: row.destination, provider: row.provider, kind: row.kind, status, attempt, ok: result.ok, status_code: result.status ?? null, latency_ms: latencyMs, error: result.ok ? null : result.error },
          },
        });
      }
      if (status === 'gave_up' || status === 'failed') await this.alertUndeliverable(tx, row, message, status, attempt, result.ok ? '' : result.error);
    }
    await recordChanges(tx, changes, { touch: false });
  }

  /** A message that will never arrive raises one of Firebreak's own alerts, per destination. */
  private async alertUndeliverable(tx: Ctx, row: NotificationRow, message: NotificationMessage, status: string, attempts: number, error: string): Promise<void> {
    const serviceId = message.incident.services[0] ?? tx.config.current.services[0]?.id;
    this.deps.logger.error({ notification: row.id, destination: row.destination, status, attempts }, 'notifications: message undeliverable');
    if (!serviceId) return;
    await raiseInternalAlert(tx, {
      dedupKey: `firebreak/notifications/${row.destination}`,
      serviceId,
      summary: `Notifications to ${row.destination} are not getting through: ${status === 'gave_up' ? `gave up after ${attempts} attempts` : 'refused'} (${error})`,
      severity: 'P2',
      details: { destination: row.destination, provider: row.provider, notification: row.id, incident: message.incident.ref, kind: row.kind, attempts, error },
    });
  }
}

/** Exponential backoff with full jitter: uniformly between half and all of min(max, initial·2^(n-1)). */
export function retryDelay(attempt: number, initial: number, max: number, random = Math.random): number {
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function describeAttempt(row: NotificationRow, message: NotificationMessage, result: SendResult, latencyMs: number, status: string, retryIn: number | null, attempt: number): string {
  const to = row.user_handle ? `${row.user_handle} via ${row.destination.split(':')[2]} (${row.provider})` : `${row.destination.slice('channel:'.length)} (${row.provider})`;
  const what = { page: 'Page', acknowledged: 'Acknowledgement', resolved: 'Resolution', stakeholder: 'Stakeholder notice', update: 'Update', reminder: 'Reminder', test: 'Test' }[message.kind] ?? message.kind;
  if (result.ok) return `${what} to ${to} delivered${result.status ? ` (HTTP ${result.status}` : ' ('}${result.status ? ', ' : ''}${latencyMs} ms)`;
  const why = `${result.status ? `HTTP ${result.status}: ` : ''}${result.error}`;
  if (status === 'pending') return `${what} to ${to} failed (attempt ${attempt}: ${why}); retrying in ${formatDuration(retryIn ?? 0)}`;
  if (status === 'gave_up') return `${what} to ${to} given up after ${attempt} attempts: ${why}`;
  return `${what} to ${to} failed and will not be retried: ${why}`;
}

/**
 * Each message's new status in one statement per 100 (UPDATE … FROM VALUES, on both engines),
 * only where it is still pending; returns the ids it changed.
 */
async function updateStatuses(tx: Ctx, rows: { id: string; status: string; attempts: number; next: number | null; error: string | null; sentAt: number | null; at: number }[]): Promise<Set<string>> {
  const changed = new Set<string>();
  for (let i = 0; i < rows.length; i += 100) {
    const values = sql.join(
      rows.slice(i, i + 100).map((r) => sql`(cast(${r.id} as text), cast(${r.status} as text), cast(${r.attempts} as integer), cast(${r.next} as bigint), cast(${r.error} as text), cast(${r.sentAt} as bigint), cast(${r.at} as bigint))`),
    );
    const result = await sql<{ id: string }>`
      update notifications set status = v.column2, attempts = v.column3, next_attempt_at = v.column4, lease_owner = null, lease_until = null,
        last_error = v.column5, sent_at = v.column6, updated_at = v.column7
      from (values ${values}) as v
      where notifications.id = v.column1 and notifications.status = 'pending'
      returning notifications.id`.execute(q(tx));
    for (const r of result.rows) changed.add(r.id);
  }
  return changed;
}
