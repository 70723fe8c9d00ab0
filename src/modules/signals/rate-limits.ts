import type { IntegrationConfig } from '../../config/schema.ts';
import { DomainError } from '../../lib/errors.ts';
import { RateLimiter } from '../auth/rate-limiter.ts';

/**
 * Per-integration request limits, in memory and per node (like the sign-in limiter): one
 * fixed-window limiter per integration id, made on first use and made afresh when a reload changes
 * that integration's `rate_limit.per_minute`. Each HTTP request counts once, however many alerts
 * it carries. Checked after the key and before anything is stored, so a refused request leaves
 * nothing and the sender retries; an unknown or wrong key never reaches it.
 */
export class IntegrationRateLimits {
  private limiters = new Map<string, { perMinute: number; limiter: RateLimiter }>();

  /** Counts one request; returns the whole seconds to wait (at least 1) when over the limit, else 0. */
  hit(integration: Pick<IntegrationConfig, 'id' | 'rate_limit'>, now: number): number {
    const perMinute = integration.rate_limit.per_minute;
    let entry = this.limiters.get(integration.id);
    if (entry?.perMinute !== perMinute) {
      entry = { perMinute, limiter: new RateLimiter(perMinute, 60_000) };
      this.limiters.set(integration.id, entry);
    }
    const wait = entry.limiter.hit(integration.id, now);
    return wait > 0 ? Math.max(1, Math.ceil(wait / 1000)) : 0;
  }

  /** Counts one request; over the limit, throws `RATE_LIMITED` (429) with `details.retry_after` in seconds. */
  enforce(integration: Pick<IntegrationConfig, 'id' | 'rate_limit'>, now: number): void {
    const retryAfter = this.hit(integration, now);
    if (retryAfter > 0) {
      throw new DomainError('RATE_LIMITED', `Requests for integration ${integration.id} are being throttled; retry after ${retryAfter} seconds`, { retry_after: retryAfter });
    }
  }
}
