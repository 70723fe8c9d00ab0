import { availability } from '../monitors/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { toCsv } from './csv.ts';
import { periodView, resolveFilter } from './period.ts';
import type { AnalyticsQueryInput, AvailabilityReport } from './schemas.ts';

const HOUR = 3_600_000;
const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Failures over checks against the share the target allows: 1.0 spends the budget exactly over the period. */
function budget(checks: number, failures: number, target: number) {
  const allowed = 1 - target / 100;
  const down = checks ? failures / checks : null;
  return {
    down,
    burn: down === null || allowed <= 0 ? null : round4(down / allowed),
    remaining: down === null || allowed <= 0 ? null : round4(1 - down / allowed),
  };
}

/**
 * Availability per service from its probe monitors' roll-ups (as /services/:id/uptime), against
 * the service's target: error budget remaining over the period and burn rates over the period,
 * its last hour and its last 24 hours. Severity does not apply.
 */
export async function availabilityReport(ctx: Ctx, input: AnalyticsQueryInput): Promise<AvailabilityReport> {
  requireRole(ctx, 'viewer');
  const f = resolveFilter(ctx, input);
  const config = ctx.config.current;
  const end = Math.min(f.to, f.now);
  const services: AvailabilityReport['services'] = [];
  for (const service of config.services.filter((s) => !f.service || s.id === f.service)) {
    const monitors = config.monitors.filter((m) => m.service === service.id && m.type !== 'heartbeat').map((m) => m.id);
    const whole = await availability(ctx, monitors, f.from, f.to);
    const window = async (ms: number) => {
      const a = await availability(ctx, monitors, Math.max(f.from, end - ms), end);
      return { checks: a.checks, failures: a.failures, availability: a.uptime, burn_rate: budget(a.checks, a.failures, service.availability_target).burn };
    };
    const b = budget(whole.checks, whole.failures, service.availability_target);
    services.push({
      service: service.id,
      target: service.availability_target,
      monitors,
      checks: whole.checks,
      failures: whole.failures,
      availability: whole.uptime,
      meets_target: whole.uptime === null ? null : whole.uptime >= service.availability_target,
      downtime_share: b.down === null ? null : Math.round(b.down * 1e6) / 1e6,
      error_budget_remaining: b.remaining,
      burn_rate: b.burn,
      last_1h: await window(HOUR),
      last_24h: await window(24 * HOUR),
    });
  }
  return { period: periodView(f), services };
}

export function availabilityCsv(r: AvailabilityReport): string {
  return toCsv(
    ['from', 'to', 'service', 'target', 'monitors', 'checks', 'failures', 'availability', 'meets_target', 'error_budget_remaining', 'burn_rate', 'burn_rate_1h', 'burn_rate_24h'],
    r.services.map((s) => [r.period.from, r.period.to, s.service, s.target, s.monitors.join(' '), s.checks, s.failures, s.availability, s.meets_target, s.error_budget_remaining, s.burn_rate, s.last_1h.burn_rate, s.last_24h.burn_rate]),
  );
}
