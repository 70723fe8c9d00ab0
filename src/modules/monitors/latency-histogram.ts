/**
 * Check latencies in fixed buckets, so roll-ups of any period merge exactly (counts add) and still
 * give percentiles: p50/p95 of an hour or a year come from the merged buckets, interpolated within
 * one bucket (as Prometheus's histogram_quantile does), never from averaging percentiles.
 */
export const LATENCY_BOUNDS_MS = [5, 10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10_000, 30_000, 60_000] as const;
const BUCKETS = LATENCY_BOUNDS_MS.length + 1;

export type Histogram = number[];

export const emptyHistogram = (): Histogram => new Array<number>(BUCKETS).fill(0);

export function observe(h: Histogram, ms: number): void {
  let i = 0;
  while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]) i++;
  h[i]++;
}

export function merge(into: Histogram, from: Histogram): void {
  for (let i = 0; i < BUCKETS; i++) into[i] += from[i] ?? 0;
}

/** Compact text for storage: trailing zero buckets dropped. */
export function encodeHistogram(h: Histogram): string {
  let end = h.length;
  while (end > 0 && h[end - 1] === 0) end--;
  return h.slice(0, end).join(',');
}

export function decodeHistogram(text: string): Histogram {
  const h = emptyHistogram();
  if (text === '') return h;
  text.split(',').forEach((n, i) => {
    if (i < BUCKETS) h[i] = Number(n) || 0;
  });
  return h;
}

/** The q-quantile (0–1) in ms, interpolated within its bucket and never above `max`. */
export function quantile(h: Histogram, q: number, max: number): number {
  const total = h.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    if (h[i] === 0) continue;
    if (seen + h[i] >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1];
      const upper = i < LATENCY_BOUNDS_MS.length ? LATENCY_BOUNDS_MS[i] : max;
      const value = lower + ((upper - lower) * (rank - seen)) / h[i];
      return Math.round(Math.min(value, max));
    }
    seen += h[i];
  }
  return max;
}
