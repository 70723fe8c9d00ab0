import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Logger } from '../../lib/logger.ts';
import { instantToLocal } from '../../lib/zoned-time.ts';
import type { Ctx } from '../context.ts';
import { buildSnapshot } from './build-snapshot.ts';
import type { PageSnapshot, UptimeDay } from './snapshot-types.ts';
import { loadUptimeBars } from './uptime-bars.ts';

/** One rendered response, ready to send as it is. */
export interface CachedBody {
  body: Buffer;
  /** The same body gzipped, when that is smaller. */
  gzip: Buffer | null;
  etag: string;
  contentType: string;
}

/** Uptime bars change slowly; they are re-read this often (and whenever the day changes). */
const UPTIME_TTL_MS = 5 * 60_000;
/** Incident and history pages (rendered on demand, any number of them) kept per snapshot. */
const MAX_PAGES = 500;
/** Keys of bodies rendered on demand, one per incident or history page. */
const ON_DEMAND = /^(incident|history):/;

function cachedBody(text: string, contentType: string): CachedBody {
  const body = Buffer.from(text);
  const zipped = body.length > 1024 ? gzipSync(body) : null;
  return { body, gzip: zipped && zipped.length < body.length ? zipped : null, etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`, contentType };
}

/**
 * The public status page's cache: one snapshot of everything public, and every body rendered from
 * it (HTML, JSON, feeds, badge), each rendered once per snapshot and kept gzipped. Requests never
 * touch the database while the snapshot is current; a change (a write through the API here, or a
 * change another node made, seen by StatusPageWorker) invalidates it and the next request
 * rebuilds it, once, however many requests arrive meanwhile.
 */
export class StatusPageCache {
  private snapshot: PageSnapshot | null = null;
  private building: Promise<PageSnapshot> | null = null;
  private buildingGeneration = -1;
  private generation = 0;
  private bodies = new Map<string, CachedBody>();
  private pages = new Map<string, CachedBody | null>();
  private uptime: { at: number; day: number; bars: Record<string, UptimeDay[]> } | null = null;

  constructor(
    private readonly ctx: Ctx,
    private readonly logger?: Logger,
  ) {}

  /** Drops the snapshot: the next request reads the database again. */
  invalidate(opts: { uptime?: boolean } = {}): void {
    this.generation++;
    this.snapshot = null;
    this.bodies.clear();
    this.pages.clear();
    if (opts.uptime) this.uptime = null;
  }

  /** The current snapshot, built if there is none (concurrent callers share one build). */
  async current(): Promise<PageSnapshot> {
    if (this.snapshot) return this.snapshot;
    // A build that started before the last invalidation may have read what is now stale: a request
    // after the change waits for a build that started after it.
    if (!this.building || this.buildingGeneration !== this.generation) {
      const generation = this.generation;
      this.buildingGeneration = generation;
      this.building = this.build()
        .then((s) => {
          // An invalidation during the build means the data read may be stale: serve it to the
          // callers waiting on it, but do not keep it.
          if (generation === this.generation) this.snapshot = s;
          return s;
        })
        .finally(() => {
          if (this.buildingGeneration === generation) this.building = null;
        });
    }
    return this.building;
  }

  /** When the current snapshot was read, or null when there is none. */
  builtAt(): number | null {
    return this.snapshot?.builtAt ?? null;
  }

  /** A body already rendered from the current snapshot, without waiting (the fast path's read). */
  peek(key: string): CachedBody | undefined {
    return this.snapshot ? this.bodies.get(key) : undefined;
  }

  /**
   * A body rendered from the current snapshot under `key`, rendered at most once per snapshot.
   * `render` returns null for "no such thing" (an unknown incident id), which is not cached; it may
   * read the database (an old incident, a history page), and its result is cached like the rest.
   */
  async body(key: string, contentType: string, render: (s: PageSnapshot) => string | null | Promise<string | null>): Promise<CachedBody | null> {
    const snapshot = await this.current();
    const onDemand = ON_DEMAND.test(key);
    const store = onDemand ? this.pages : this.bodies;
    const hit = store.get(key);
    if (hit !== undefined && this.snapshot === snapshot) {
      if (onDemand) {
        // Least recently used goes first: move this one to the end.
        store.delete(key);
        store.set(key, hit);
      }
      return hit;
    }
    const text = await render(snapshot);
    const entry: CachedBody | null = text === null ? null : cachedBody(text, contentType);
    if (this.snapshot === snapshot && (entry || onDemand)) {
      // Incident and history pages (and ids that do not exist, remembered as null) are kept apart
      // and evicted oldest first, so walking every history page cannot push out the page and JSON.
      if (onDemand && store.size >= MAX_PAGES) store.delete(store.keys().next().value!);
      store.set(key, entry);
    }
    return entry;
  }

  private async build(): Promise<PageSnapshot> {
    const now = this.ctx.clock.now();
    // The bars end today in the page's zone: a new local day means new bars.
    const local = instantToLocal(now, this.ctx.config.current.status_page.time_zone);
    const day = local.year * 10_000 + local.month * 100 + local.day;
    if (!this.uptime || now - this.uptime.at > UPTIME_TTL_MS || this.uptime.day !== day) {
      try {
        this.uptime = { at: now, day, bars: await loadUptimeBars(this.ctx) };
      } catch (err) {
        // The bars are a picture of the past: a failure to read them must not take the page down.
        this.logger?.error({ err }, 'status page: could not read uptime history');
        this.uptime ??= { at: now, day, bars: {} };
      }
    }
    return buildSnapshot(this.ctx, this.uptime.bars);
  }
}
