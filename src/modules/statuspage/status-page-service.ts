import { sql } from 'kysely';
import { q, withTransaction } from '../../db/transaction.ts';
import type { Logger } from '../../lib/logger.ts';
import { repeatEvery } from '../../lib/repeat.ts';
import type { Ctx } from '../context.ts';
import { deriveComponentStatuses, loadStatusInputs, syncComponentStatuses } from './component-status.ts';
import { StatusPageCache } from './status-cache.ts';
import { notifyComponentSubscribers } from './subscriber-notify.ts';
import { pruneUnconfirmedSubscribers } from './subscribers.ts';

/** Unconfirmed subscriptions past their link's expiry are deleted this often. */
const PRUNE_EVERY_MS = 10 * 60_000;
/** A snapshot is read again at least this often, changes or not. */
const MAX_SNAPSHOT_AGE_MS = 60_000;

/**
 * This node's status page: the cache the public routes read, and a loop that keeps it true. Each
 * pass (every `refreshMs`) derives the component statuses from their sources (a few indexed
 * reads) and, only when they differ from the stored ones, syncs them in a transaction (telling
 * webhook subscribers what changed); it drops the cached page when anything that feeds it moved
 * (a cheap fingerprint of the newest event, monitor change and component change), when statuses
 * changed, when the config was reloaded, and at least every minute. Deriving every pass rather
 * than trusting the fingerprint alone matters on PostgreSQL, where an id can commit after a
 * higher one and a poll between the two would never see the change. Requests never wait for it.
 */
export class StatusPageService {
  readonly cache: StatusPageCache;
  private fingerprint = '';
  private loop: { stop(): Promise<void> } | null = null;
  private stopped = false;
  private prunedAt = 0;

  constructor(
    readonly ctx: Ctx,
    private readonly logger: Logger,
    private readonly opts: { refreshMs?: number } = {},
  ) {
    this.cache = new StatusPageCache(ctx, logger);
    // Components, names, templates or mapping may have changed: read and sync again.
    ctx.config.onChange(() => {
      if (this.stopped) return;
      this.cache.invalidate({ uptime: true });
      this.changed().catch((err) => this.logger.error({ err }, 'status page: refresh after reload failed'));
    });
  }

  /** Whether the config publishes a status page at all. */
  enabled(): boolean {
    return this.ctx.config.current.status_page.enabled;
  }

  start(): void {
    this.stopped = false;
    this.loop = repeatEvery(this.opts.refreshMs ?? 1000, () => this.refresh().catch((err) => this.logger.error({ err }, 'status page: refresh failed')));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop?.stop();
  }

  /** Logs a failure of work done for the page (routes have no logger of their own here). */
  logFailure(err: unknown, message: string): void {
    this.logger.error({ err }, message);
  }

  /** A write through this node's API: sync and drop the cache now, so the next read sees it. */
  async changed(): Promise<void> {
    await this.refresh(true);
  }

  /** One pass: sync statuses when their sources moved, drop the cache when anything changed. */
  async refresh(force = false): Promise<void> {
    const fp = await fingerprint(this.ctx);
    let dirty = force || fp !== this.fingerprint;
    if (await statusesOutOfDate(this.ctx)) {
      await withTransaction(this.ctx, async (tx) => {
        const changes = await syncComponentStatuses(tx);
        if (changes.length) await notifyComponentSubscribers(tx, changes);
      });
      dirty = true;
    }
    const builtAt = this.cache.builtAt();
    // Time moves even when nothing changes: "today" on the uptime bars, times on the page.
    if (builtAt !== null && this.ctx.clock.now() - builtAt > MAX_SNAPSHOT_AGE_MS) dirty = true;
    if (dirty) this.cache.invalidate();
    // Only now: a pass that failed above is retried by the next one.
    this.fingerprint = fp;
    if (this.ctx.clock.now() - this.prunedAt > PRUNE_EVERY_MS) {
      this.prunedAt = this.ctx.clock.now();
      const pruned = await pruneUnconfirmedSubscribers(this.ctx);
      if (pruned) this.logger.info({ pruned }, 'status page: expired unconfirmed subscriptions deleted');
    }
  }
}

/** Whether what incidents, monitors, maintenance and overrides say differs from the stored statuses (reads only). */
async function statusesOutOfDate(ctx: Ctx): Promise<boolean> {
  const config = ctx.config.current;
  if (!config.status_page.components.length) return false;
  const wanted = deriveComponentStatuses(config, await loadStatusInputs(ctx));
  const stored = new Map((await q(ctx).selectFrom('status_components').select(['id', 'status']).execute()).map((r) => [r.id, r.status]));
  for (const [id, status] of wanted) if (stored.get(id) !== status) return true;
  return false;
}

/** The newest event, monitor change and component change: any change to the page moves one of them. */
async function fingerprint(ctx: Ctx): Promise<string> {
  const row = await sql<{ e: number | null; m: number | null; c: number | null }>`
    select (select max(id) from outbox) as e, (select max(id) from monitor_changes) as m, (select max(id) from status_component_changes) as c`.execute(q(ctx));
  const r = row.rows[0];
  return `${r?.e ?? 0}/${r?.m ?? 0}/${r?.c ?? 0}`;
}
