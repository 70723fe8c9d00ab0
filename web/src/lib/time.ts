import { useSyncExternalStore } from 'react';

/** Times in the viewer's own time zone, UTC on hover, and relative times that move on every 30 s. */

const TICK_MS = 30_000;
let now = Date.now();
const tickers = new Set<() => void>();
let timer: number | null = null;

function subscribe(fn: () => void): () => void {
  tickers.add(fn);
  if (timer === null) {
    now = Date.now();
    timer = window.setInterval(() => {
      now = Date.now();
      tickers.forEach((t) => t());
    }, TICK_MS);
  }
  return () => {
    tickers.delete(fn);
    if (!tickers.size && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** The current time, updated every 30 s (one timer for the whole page). */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}

const local = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const localWithZone = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });

export const formatLocal = (iso: string) => local.format(new Date(iso));
export const formatLocalLong = (iso: string) => localWithZone.format(new Date(iso));
/** "2026-06-01 02:13:05 UTC": for the title attribute. */
export const formatUtc = (iso: string) => `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** A span of time in words: "45 s", "12 min", "3 h 5 min", "2 days 4 h". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} days ${h % 24} h` : `${d} days`;
}

/** A measured duration, precise where it is short: "12 ms", "4.2 s", then as formatDuration. */
export function formatMeasured(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms);
}

/** "just now", "12 min ago", "in 5 min". */
export function formatRelative(iso: string, at: number): string {
  const diff = at - Date.parse(iso);
  if (Math.abs(diff) < 60_000) return 'just now';
  return diff > 0 ? `${formatDuration(diff)} ago` : `in ${formatDuration(-diff)}`;
}
