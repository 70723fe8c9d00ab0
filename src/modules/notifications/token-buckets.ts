/**
 * Per-destination rate limits on this node: a bucket of ten seconds' worth of messages (at least
 * one) refilled continuously. A message that finds the bucket empty waits for its token; nothing
 * is dropped. Limits are per node: two nodes may together send twice the rate.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Takes a token for `key`; returns 0 when granted, else how many ms until one is available. */
  take(key: string, perMinute: number, now: number): number {
    const capacity = Math.max(1, Math.ceil(perMinute / 6));
    const perMs = perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + Math.max(0, now - b.at) * perMs);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / perMs);
  }
}
