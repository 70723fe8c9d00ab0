import type { IncidentListParams } from '../api/client.ts';
import type { IncidentState, IncidentView, Severity } from '../api/types.ts';
import { SEVERITY_LEVELS } from './config-data.ts';

/** The list's filters live in the URL query, so a reload or a shared link shows the same thing. */
export interface IncidentFilters {
  state: IncidentState[];
  severity: Severity[];
  service: string;
  /** '24h' | '7d' | '30d' | 'custom' | '' (any time). */
  period: string;
  /** Local dates (YYYY-MM-DD) for a custom period, on the time the incident was triggered. */
  from: string;
  to: string;
}

export const STATES: IncidentState[] = ['triggered', 'acknowledged', 'investigating', 'identified', 'monitoring', 'resolved', 'closed'];
export const OPEN_STATES: IncidentState[] = ['triggered', 'acknowledged', 'investigating', 'identified', 'monitoring'];
export const PERIODS: { value: string; label: string; ms?: number }[] = [
  { value: '', label: 'Any time' },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
  { value: 'custom', label: 'Between dates' },
];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const list = <T extends string>(raw: string | null, allowed: readonly T[]): T[] =>
  (raw ?? '').split(',').filter((x): x is T => (allowed as readonly string[]).includes(x));

export function readFilters(q: URLSearchParams): IncidentFilters {
  const period = q.get('period') ?? '';
  return {
    state: list(q.get('state'), STATES),
    severity: list(q.get('severity'), SEVERITY_LEVELS),
    service: q.get('service') ?? '',
    period: PERIODS.some((p) => p.value === period) ? period : '',
    from: DATE.test(q.get('from') ?? '') ? q.get('from')! : '',
    to: DATE.test(q.get('to') ?? '') ? q.get('to')! : '',
  };
}

/** The URL for a set of filters (empty ones left out, in a stable order). */
export function filtersUrl(f: IncidentFilters): string {
  const q = new URLSearchParams();
  if (f.state.length) q.set('state', f.state.join(','));
  if (f.severity.length) q.set('severity', SEVERITY_LEVELS.filter((s) => f.severity.includes(s)).join(','));
  if (f.service) q.set('service', f.service);
  if (f.period) q.set('period', f.period);
  if (f.period === 'custom' && f.from) q.set('from', f.from);
  if (f.period === 'custom' && f.to) q.set('to', f.to);
  // Commas are fine in a query and easier to read than %2C.
  const s = q.toString().replace(/%2C/gi, ',');
  return s ? `/incidents?${s}` : '/incidents';
}

export const hasFilters = (f: IncidentFilters) => filtersUrl(f) !== '/incidents';

/** A local date's midnight as an ISO instant (the API wants an offset; UTC is one). */
const localMidnight = (date: string, addDays = 0) => {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y, m - 1, d + addDays).toISOString();
};

/** The API's parameters for these filters, read at `now` (relative periods move with it). */
export function apiParams(f: IncidentFilters, now = Date.now()): IncidentListParams {
  const p: IncidentListParams = {};
  if (f.state.length) p.state = f.state.join(',');
  if (f.severity.length) p.severity = f.severity.join(',');
  if (f.service) p.service = f.service;
  const preset = PERIODS.find((x) => x.value === f.period)?.ms;
  if (preset) p.since = new Date(now - preset).toISOString();
  if (f.period === 'custom') {
    if (f.from) p.since = localMidnight(f.from);
    // "To" is inclusive: up to the end of that local day.
    if (f.to) p.until = localMidnight(f.to, 1);
  }
  return p;
}

/**
 * What needs attention first: unacknowledged (triggered) before the rest, then by severity (P0
 * first), then the oldest first (the one waiting longest).
 */
export function byAttention(a: IncidentView, b: IncidentView): number {
  const unacked = (i: IncidentView) => (i.state === 'triggered' ? 0 : 1);
  return (
    unacked(a) - unacked(b) ||
    SEVERITY_LEVELS.indexOf(a.severity) - SEVERITY_LEVELS.indexOf(b.severity) ||
    Date.parse(a.triggered_at) - Date.parse(b.triggered_at) ||
    a.number - b.number
  );
}
