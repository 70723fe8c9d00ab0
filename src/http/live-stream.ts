import type { ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger.ts';
import type { Ctx } from '../modules/context.ts';
import { newestEventId, readIncidentEvents, type IncidentEventSummary } from '../modules/events/index.ts';

/**
 * Server-Sent Events for the console: every incident event, as it is committed on any node, to
 * every signed-in browser of this node. One poll of the outbox serves all of them (every 300 ms,
 * only while someone listens); each event carries its outbox id, so a browser that reconnects with
 * `Last-Event-ID` gets what it missed, or `reset` (reload everything) when that is too much.
 * Events say what changed, not the data: the console reads the API again, so the server stays the
 * owner of what the page shows.
 */

const POLL_MS = 300;
const HEARTBEAT_MS = 15_000;
/** A browser further behind than this reloads instead of replaying. */
const MAX_REPLAY = 500;
/**
 * On PostgreSQL an event with a lower id can commit after a higher one: each poll re-reads this
 * many ids below the cursor and drops those already sent.
 */
const MARGIN = 200;

interface Client {
  res: ServerResponse;
  closeTimer: NodeJS.Timeout | null;
}

export class LiveStream {
  private clients = new Set<Client>();
  private cursor = 0;
  private sent = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly logger: Logger,
  ) {}

  /** Starts streaming to one response (already authenticated). `lastEventId`: where the browser left off. */
  async open(res: ServerResponse, opts: { lastEventId: number | null; maxSeconds: number | null }): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    if (!this.clients.size) await this.restart();
    const newest = this.cursor;
    // Reconnect: replay what was missed, or ask for a reload when that is too much.
    if (opts.lastEventId !== null && opts.lastEventId < newest) {
      if (newest - opts.lastEventId > MAX_REPLAY) res.write(`event: reset\ndata: {}\n\n`);
      else for (const e of await readIncidentEvents(this.ctx, opts.lastEventId, MAX_REPLAY)) if (e.id <= this.cursor) res.write(frame(e));
    }
    res.write(`event: ready\ndata: ${JSON.stringify({ last_id: newest })}\nretry: 2000\n\n`);
    const client: Client = { res, closeTimer: null };
    this.clients.add(client);
    res.on('close', () => this.drop(client));
    if (opts.maxSeconds !== null) client.closeTimer = setTimeout(() => res.end(), opts.maxSeconds * 1000);
    this.ensureRunning();
  }

  /** Ends every stream (shutdown): browsers reconnect to whichever node is up. */
  close(): void {
    // Ended and its connection closed: a stream's socket would otherwise hold shutdown open.
    for (const c of this.clients) c.res.end(() => c.res.destroy());
    this.clients.clear();
    this.stopTimers();
  }

  private drop(client: Client): void {
    if (client.closeTimer) clearTimeout(client.closeTimer);
    this.clients.delete(client);
    if (!this.clients.size) this.stopTimers();
  }

  private ensureRunning(): void {
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), POLL_MS);
      this.timer.unref();
    }
    if (!this.heartbeat) {
      // Proxies close idle connections; a comment line keeps them open and shows a dead one.
      this.heartbeat = setInterval(() => {
        for (const c of this.clients) c.res.write(': ping\n\n');
      }, HEARTBEAT_MS);
      this.heartbeat.unref();
    }
  }

  private stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.timer = null;
    this.heartbeat = null;
  }

  /** The first listener: start from the newest event, counting the margin below it as sent. */
  private async restart(): Promise<void> {
    this.cursor = await newestEventId(this.ctx);
    this.sent = new Set((await readIncidentEvents(this.ctx, Math.max(0, this.cursor - MARGIN), MARGIN)).map((e) => e.id));
  }

  private async poll(): Promise<void> {
    if (this.polling || !this.clients.size) return;
    this.polling = true;
    try {
      const events = await readIncidentEvents(this.ctx, Math.max(0, this.cursor - MARGIN), MARGIN + MAX_REPLAY);
      for (const e of events) {
        if (this.sent.has(e.id)) continue;
        this.sent.add(e.id);
        const text = frame(e);
        for (const c of this.clients) c.res.write(text);
      }
      if (events.length) this.cursor = Math.max(this.cursor, events.at(-1)!.id);
      // Remember only the ids the margin can still bring back.
      for (const id of this.sent) if (id <= this.cursor - MARGIN) this.sent.delete(id);
    } catch (err) {
      this.logger.warn({ err }, 'live stream: could not read events');
    } finally {
      this.polling = false;
    }
  }
}

const frame = (e: IncidentEventSummary) => `event: incident\nid: ${e.id}\ndata: ${JSON.stringify({ incident_id: e.incident_id, ref: e.ref, topic: e.topic, at: new Date(e.at).toISOString() })}\n\n`;
