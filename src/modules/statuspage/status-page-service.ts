import { sql } from 'kysely';
import { q, withTransaction } from '../../db/transaction.ts';
import type { Logger } from '../../lib/logger.ts';
import { repeatEvery } from '../../lib/repeat.ts';
import type { Ctx } from '../context.ts';
import { syncComponentStatuses } from './component-status.ts';
import { StatusPageCache } from './status-cache.ts';
import { notifyComponentSubscribers } from './subscriber-notify.ts';

/** A snapshot is read again at least this often, changes or not. */
const MAX_SNAPSHOT_AGE_MS = 60_000;

/**
 * This node's status page: the cache the public routes read, and a loop that notices changes
 * made anywhere (this node, another node, a monitor) by a cheap fingerprint of the tables that
 * feed the page, brings component statuses up to date (telling webhook subscribers what changed)
 * and drops the cached page. Requests never wait for the loop; it runs every `refreshMs`.
 */
export class StatusPageService {
  readonly cache: StatusPageCache;
  private fingerprint = '';
  private loop: { stop(): Promise<void> } | null = null;

  constructor(
    readonly ctx: Ctx,
    private readonly logger: Logger,
    private readonly opts: { refreshMs?: number } = {},
  ) {
    this.cache = new StatusPageCache(ctx, logger);
  }

  /** Whether the config publishes a status page at all. */
  enabled(): boolean {
    return this.ctx.config.current.status_page.enabled;
  }

  start(): void {
    this.loop = repeatEvery(this.opts.refreshMs ?? 1000, () => this.refresh().catch((err) => this.logger.error({ err }, 'status page: refresh failed')));
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }

  /** A write through this node's API: sync and drop the cache now, so the next read sees it. */
  async changed(): Promise<void> {
    await this.refresh(true);
  }

  /** Syncs component statuses and invalidates the cache when anything that feeds the page changed. */
  async refresh(force = false): Promise<void> {
    const fp = await fingerprint(this.ctx);
    if (!force && fp === this.fingerprint) {
      // Nothing changed, but time moves: "today" on the uptime bars, relative times on the page.
      const builtAt = this.cache.builtAt();
      if (builtAt !== null && this.ctx.clock.now() - builtAt > MAX_SNAPSHOT_AGE_MS) this.cache.invalidate();
      return;
    }
    this.fingerprint = fp;
    await withTransaction(this.ctx, async (tx) => {
      const changes = await syncComponentStatuses(tx);
      if (changes.length) await notifyComponentSubscribers(tx, changes);
    });
    this.cache.invalidate({ uptime: force });
  }
}

/** The newest event, monitor change and component change: any change to the page moves one of them. */
async function fingerprint(ctx: Ctx): Promise<string> {
  const row = await sql<{ e: number | null; m: number | null; c: number | null }>`
    select (select max(id) from outbox) as e, (select max(id) from monitor_changes) as m, (select max(id) from status_component_changes) as c`.execute(q(ctx));
  const r = row.rows[0];
  return `${r?.e ?? 0}/${r?.m ?? 0}/${r?.c ?? 0}`;
}
