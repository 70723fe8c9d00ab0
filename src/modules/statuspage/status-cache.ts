import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Logger } from '../../lib/logger.ts';
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
/** Rendered bodies kept per snapshot (incident pages are rendered on demand). */
const MAX_BODIES = 1000;

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
  private generation = 0;
  private bodies = new Map<string, CachedBody>();
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
    if (opts.uptime) this.uptime = null;
  }

  /** The current snapshot, built if there is none (concurrent callers share one build). */
  async current(): Promise<PageSnapshot> {
    if (this.snapshot) return this.snapshot;
    if (!this.building) {
      const generation = this.generation;
      this.building = this.build()
        .then((s) => {
          // An invalidation during the build means the data read may be stale: serve it to the
          // callers waiting on it, but do not keep it.
          if (generation === this.generation) this.snapshot = s;
          return s;
        })
        .finally(() => {
          this.building = null;
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
    const hit = this.bodies.get(key);
    if (hit && this.snapshot === snapshot) return hit;
    const text = await render(snapshot);
    if (text === null) return null;
    const body = Buffer.from(text);
    const zipped = body.length > 1024 ? gzipSync(body) : null;
    const entry: CachedBody = {
      body,
      gzip: zipped && zipped.length < body.length ? zipped : null,
      etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`,
      contentType,
    };
    if (this.snapshot === snapshot) {
      if (this.bodies.size >= MAX_BODIES) this.bodies.clear();
      this.bodies.set(key, entry);
    }
    return entry;
  }

  private async build(): Promise<PageSnapshot> {
    const now = this.ctx.clock.now();
    const day = Math.floor(now / 86_400_000);
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
