/**
 * What one check of a monitor found. Probes never throw: every failure of the target (timeout,
 * reset, refused, garbage, a 10 MB body, a bad certificate) is a result with a reason.
 */
export type ProbeStatus = 'up' | 'degraded' | 'down';

/**
 * Stable, short failure reasons: they are metric label values and API fields, so never free text.
 * `degraded` results carry `slow` (HTTP response time above `degraded_after`) or `cert_expiring`
 * (TLS days left below `warn_days`).
 */
export const PROBE_REASONS = [
  'timeout',
  'refused',
  'reset',
  'dns',
  'tls',
  'cert_expiring',
  'cert_expired',
  'status',
  'body',
  'json',
  'header',
  'slow',
  'redirects',
  'expect',
  'rcode',
  'answer',
  'protocol',
  'error',
] as const;
export type ProbeReason = (typeof PROBE_REASONS)[number];

/** Phase timings in milliseconds, as curl and the blackbox exporter name them. */
export interface ProbePhases {
  resolve?: number;
  connect?: number;
  tls?: number;
  /** Request sent → first byte of the response. */
  processing?: number;
  /** First byte → last byte read. */
  transfer?: number;
}

export interface ProbeResult {
  status: ProbeStatus;
  /** Start to finish, milliseconds. */
  durationMs: number;
  /** Null when up. */
  reason: ProbeReason | null;
  /** One line for people (never the response body beyond a short excerpt, never a secret header). */
  message: string | null;
  httpStatus?: number;
  phases?: ProbePhases;
  /** Earliest notAfter of the peer's certificate chain, ms since the epoch (HTTPS and TLS monitors). */
  certExpiresAt?: number;
}

/** Every probe takes its monitor's config and a signal that aborts it (shutdown); it enforces `timeout` itself. */
export interface ProbeOptions {
  signal?: AbortSignal;
}
