import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { IncidentEvent } from '../api/types.ts';

/**
 * The live connection: one EventSource on /api/v1/stream for the whole console. Events say what
 * changed, not the data: pages read the API again (the server owns what the page shows).
 * EventSource reconnects by itself (the server asks for 2 s) and sends Last-Event-ID, so missed
 * events are replayed; when the browser gives up (the stream was refused) or was offline, a fresh
 * connection is made and every page reloads its data ("reset").
 */

export type LiveStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';
export type LiveMessage = { type: 'incident'; event: IncidentEvent } | { type: 'reset' };

/** After a refusal: 2 s, then doubling up to 15 s, until a connection opens. */
const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 15_000;
/** Reconnecting for longer than this is called what it is: offline. */
const OFFLINE_AFTER_MS = 30_000;

class LiveConnection {
  status: LiveStatus = 'connecting';
  private source: EventSource | null = null;
  private retryTimer: number | null = null;
  private offlineTimer: number | null = null;
  private retryMs = RETRY_FIRST_MS;
  private connectedOnce = false;
  private running = false;
  private statusListeners = new Set<() => void>();
  private handlers = new Set<(m: LiveMessage) => void>();

  constructor() {
    window.addEventListener('offline', () => {
      if (!this.running) return;
      this.setStatus('offline');
    });
    window.addEventListener('online', () => {
      // Do not wait for the browser's own retry: connect now and reload what was missed.
      if (!this.running) return;
      this.setStatus('reconnecting');
      this.connect();
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop(): void {
    this.running = false;
    this.connectedOnce = false;
    this.clearRetry();
    this.source?.close();
    this.source = null;
    this.setStatus('connecting');
  }

  private connect(): void {
    this.clearRetry();
    this.source?.close();
    const es = new EventSource('/api/v1/stream');
    this.source = es;
    if (!navigator.onLine) this.setStatus('offline');
    else if (this.connectedOnce) this.failing();
    es.addEventListener('open', () => {
      if (es !== this.source) return;
      this.retryMs = RETRY_FIRST_MS;
      this.setStatus('connected');
    });
    es.addEventListener('ready', () => {
      if (es !== this.source) return;
      this.setStatus('connected');
      // After any gap, reload: a fresh EventSource has no Last-Event-ID to resume from.
      if (this.connectedOnce) this.emit({ type: 'reset' });
      this.connectedOnce = true;
    });
    es.addEventListener('reset', () => this.emit({ type: 'reset' }));
    es.addEventListener('incident', (e) => {
      try {
        this.emit({ type: 'incident', event: JSON.parse((e as MessageEvent<string>).data) as IncidentEvent });
      } catch {
        // A malformed frame changes nothing; the next event or reset will.
      }
    });
    es.addEventListener('error', () => {
      if (es !== this.source) return;
      if (!navigator.onLine) {
        this.setStatus('offline');
      } else if (es.readyState === EventSource.CLOSED) {
        // Refused (a server error, a node shutting down): the browser will not retry; we do, more slowly.
        this.failing();
        this.retryTimer = window.setTimeout(() => this.running && this.connect(), this.retryMs);
        this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
      } else {
        this.failing();
      }
    });
  }

  /** A failed attempt: reconnecting, unless it has been long enough to say offline (that stays). */
  private failing(): void {
    if (this.status !== 'offline') this.setStatus('reconnecting');
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private setStatus(s: LiveStatus): void {
    if (s === this.status) return;
    if (this.offlineTimer !== null) clearTimeout(this.offlineTimer);
    this.offlineTimer = s === 'reconnecting' ? window.setTimeout(() => this.setStatus('offline'), OFFLINE_AFTER_MS) : null;
    this.status = s;
    this.statusListeners.forEach((fn) => fn());
  }

  private emit(m: LiveMessage): void {
    this.handlers.forEach((h) => h(m));
  }

  subscribeStatus = (fn: () => void): (() => void) => {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  };

  onMessage(fn: (m: LiveMessage) => void): () => void {
    this.handlers.add(fn);
    return () => this.handlers.delete(fn);
  }
}

export const live = new LiveConnection();

/** The connection's state, for the indicator. */
export function useLiveStatus(): LiveStatus {
  return useSyncExternalStore(live.subscribeStatus, () => live.status);
}

/**
 * Calls `reload` when an incident event passes `wanted`, and on every reset. Events are coalesced:
 * the first schedules one reload `delayMs` later and those until then ride along, so a busy
 * stream means at most one reload per `delayMs`, never one per event (nor none at all).
 */
export function useLiveReload(reload: () => void, wanted: (e: IncidentEvent) => boolean = () => true, delayMs = 200): void {
  const latest = useRef({ reload, wanted });
  latest.current = { reload, wanted };
  useEffect(() => {
    let timer: number | null = null;
    const off = live.onMessage((m) => {
      if (m.type === 'incident' && !latest.current.wanted(m.event)) return;
      if (timer !== null) return;
      timer = window.setTimeout(() => {
        timer = null;
        latest.current.reload();
      }, delayMs);
    });
    return () => {
      off();
      if (timer !== null) clearTimeout(timer);
    };
  }, [delayMs]);
}
