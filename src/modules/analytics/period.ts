import type { Severity } from '../../config/defaults.ts';
import { DomainError } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import type { Ctx } from '../context.ts';
import { analyticsQuery, type AnalyticsQueryInput } from './schemas.ts';

export const DAY = 86_400_000;
/** Without `from`, a report covers this long before `to`. */
export const DEFAULT_PERIOD = 30 * DAY;
/** Longer periods are refused: they answer no operational question and only cost a full scan. */
export const MAX_PERIOD = 3 * 366 * DAY;

/** What every KPI query filters on: incidents triggered in [from, to), not merged into another. */
export interface AnalyticsFilter {
  from: number;
  to: number;
  severities: Severity[] | null;
  service: string | null;
  /** The report's "now": open incidents are measured up to it, postmortems are overdue by it. */
  now: number;
  /** How many rows the ranked lists keep. */
  limit: number;
}

const invalid = (path: string, message: string) => new DomainError('VALIDATION_FAILED', `${path}: ${message}`, { issues: [{ path, message }] });

/** Parses and checks the query: dates, their order and span, and that the service is configured. */
export function resolveFilter(ctx: Ctx, input: AnalyticsQueryInput): AnalyticsFilter {
  const q = analyticsQuery.parse(input);
  const now = ctx.clock.now();
  const to = q.to ? Date.parse(q.to) : now;
  const from = q.from ? Date.parse(q.from) : to - DEFAULT_PERIOD;
  if (from > to) throw invalid('from', 'must not be after to');
  if (to - from > MAX_PERIOD) throw invalid('from', 'the period must not be longer than 3 years');
  if (q.service && !ctx.config.current.services.some((s) => s.id === q.service)) throw invalid('service', `unknown service "${q.service}"`);
  return { from, to, severities: q.severity ?? null, service: q.service ?? null, now, limit: q.limit ?? 10 };
}

export const periodView = (f: AnalyticsFilter) => ({ from: isoTime(f.from), to: isoTime(f.to), severity: f.severities, service: f.service });

/** A fraction rounded to 4 places, or null without a denominator. */
export const ratio = (count: number, of: number): number | null => (of > 0 ? Math.round((count / of) * 1e4) / 1e4 : null);
