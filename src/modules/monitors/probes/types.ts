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
  'lag',
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
  /** The newest point the data can be restored to (backup_status, replication_lag), ms since the epoch. */
  restorableAt?: number;
  /** Size of that backup in bytes, when the tool reports it. */
  sizeBytes?: number;
  /** A replica's lag behind its primary, milliseconds (replication_lag). */
  lagMs?: number;
  /** What the restorable point is (snapshot id, stanza and label), for the recovery-point record. */
  pointDetail?: Record<string, unknown>;
}

/** Every probe takes its monitor's config and a signal that aborts it (shutdown); it enforces `timeout` itself. */
export interface ProbeOptions {
  signal?: AbortSignal;
  /** The monitor's service's RPO: replication_lag's default thresholds (80% degraded, over it down). */
  rpoMs?: number;
}
