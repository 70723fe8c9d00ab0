import { isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { PeerCertificate } from 'node:tls';
import type { ProbePhases, ProbeReason, ProbeResult, ProbeStatus } from './types.ts';

/**
 * What every probe shares: the deadline and abort handling that turns a hung target into a result,
 * the error → reason mapping, phase timing from socket events, and certificate chain expiry.
 */

/** A result before its duration and the fields gathered along the way are filled in. */
export interface Verdict {
  status: ProbeStatus;
  reason: ProbeReason | null;
  message: string | null;
}

/** State one probe run accumulates; a timeout result still carries what was learned before it. */
export interface ProbeContext {
  readonly phases: ProbePhases;
  httpStatus?: number;
  certExpiresAt?: number;
  /** What the probe is doing now, for the timeout message ("waiting for the response"). */
  stage: string;
  /** Replaces the plain timeout verdict (a TCP probe waiting for its `expect` text fails with `expect`). */
  onTimeout?: () => Verdict;
  /** Milliseconds since the probe started. */
  elapsed(): number;
  /** Registers teardown (destroy a socket, cancel a resolver); everything registered runs on every path. */
  defer(fn: () => void): void;
}

const MESSAGE_MAX = 300;

/** A one-line message of at most 300 characters. */
export function oneLine(text: string, max = MESSAGE_MAX): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

export const up = (): Verdict => ({ status: 'up', reason: null, message: null });
/** A down verdict with a one-line message. */
export const down = (reason: ProbeReason, message: string): Verdict => ({ status: 'down', reason, message: oneLine(message) });
/** A degraded verdict with a one-line message. */
export const degraded = (reason: ProbeReason, message: string): Verdict => ({ status: 'degraded', reason, message: oneLine(message) });

const round = (ms: number): number => Math.round(ms * 100) / 100;

/**
 * Runs one probe under its deadline and the caller's abort signal. Whatever happens — the work
 * resolves, throws, hangs past the timeout or is aborted — the timer is cleared, the teardown runs
 * and a result comes back; this never throws.
 */
export async function guardProbe(timeoutMs: number, signal: AbortSignal | undefined, work: (ctx: ProbeContext) => Promise<Verdict>): Promise<ProbeResult> {
  const started = performance.now();
  const teardown: (() => void)[] = [];
  const ctx: ProbeContext = {
    phases: {},
    stage: 'starting',
    elapsed: () => round(performance.now() - started),
    defer: (fn) => void teardown.push(fn),
  };
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  let verdict: Verdict;
  if (signal?.aborted) verdict = down('error', 'aborted');
  else {
    const stopped = new Promise<Verdict>((resolve) => {
      timer = setTimeout(() => resolve(ctx.onTimeout?.() ?? down('timeout', `timed out after ${timeoutMs} ms (${ctx.stage})`)), timeoutMs);
      onAbort = () => resolve(down('error', 'aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // Settles on its own or is abandoned once `stopped` wins; the catch keeps a late rejection handled.
    const attempt = Promise.resolve()
      .then(() => work(ctx))
      .catch((err: unknown) => {
        const { reason, message } = classifyError(err);
        return down(reason, message);
      });
    try {
      verdict = await Promise.race([attempt, stopped]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      for (const fn of teardown) {
        try {
          fn();
        } catch {
          // Teardown is best effort: a socket that is already gone may complain about being destroyed.
        }
      }
    }
  }
  const result: ProbeResult = { ...verdict, durationMs: ctx.elapsed() };
  if (Object.keys(ctx.phases).length > 0) result.phases = { ...ctx.phases };
  if (ctx.httpStatus !== undefined) result.httpStatus = ctx.httpStatus;
  if (ctx.certExpiresAt !== undefined) result.certExpiresAt = ctx.certExpiresAt;
  return result;
}

const TLS_CODE = /^(CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH_EXCEEDED|CRL_|EPROTO$)/;
const REASON_BY_CODE: Record<string, ProbeReason> = {
  ETIMEDOUT: 'timeout',
  ETIMEOUT: 'timeout',
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  ENODATA: 'dns',
};

/** Maps a thrown error (Node system, TLS or HTTP parser error) to a stable reason and a one-line message. */
export function classifyError(err: unknown): { reason: ProbeReason; message: string } {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; reason?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  // OpenSSL errors carry a short `reason` ("wrong version number"); their message is a long internal trace.
  const text = typeof e.reason === 'string' && code.startsWith('ERR_SSL_') ? e.reason : typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  const message = oneLine(code !== '' && !text.includes(code) ? `${code}: ${text}` : text);
  let reason: ProbeReason = REASON_BY_CODE[code] ?? 'error';
  if (TLS_CODE.test(code)) reason = 'tls';
  else if (code.startsWith('HPE_')) reason = 'protocol';
  else if (code === '' && /socket hang up/i.test(text)) reason = 'reset';
  return { reason, message };
}

/** An error with a Node-style code, for probes that detect a failure themselves. */
export function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** `[::1]` → `::1`: URLs and configs bracket IPv6 literals, sockets want them bare. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * Times a fresh socket's phases into ctx.phases as durations (blackbox-exporter style), adding to
 * what earlier hops recorded so a redirect chain's phases sum up: resolve (0 for an IP literal, which
 * emits no 'lookup'), connect, and tls for a TLS socket.
 */
export function timeSocket(socket: Socket, ctx: ProbeContext, host: string): void {
  let mark = ctx.elapsed();
  let resolved = false;
  const lap = (phase: keyof ProbePhases): void => {
    const now = ctx.elapsed();
    addPhase(ctx.phases, phase, now - mark);
    mark = now;
  };
  ctx.stage = isIP(host) ? 'connecting' : 'resolving';
  socket.once('lookup', (err: Error | null) => {
    if (err) return;
    resolved = true;
    lap('resolve');
    ctx.stage = 'connecting';
  });
  socket.once('connect', () => {
    if (!resolved) addPhase(ctx.phases, 'resolve', 0);
    lap('connect');
    ctx.stage = 'encrypted' in socket ? 'in the TLS handshake' : 'connected';
  });
  socket.once('secureConnect', () => {
    lap('tls');
    ctx.stage = 'connected';
  });
}

/** Adds a duration to a phase (phases of successive redirect hops accumulate). */
export function addPhase(phases: ProbePhases, phase: keyof ProbePhases, ms: number): void {
  phases[phase] = round((phases[phase] ?? 0) + Math.max(0, ms));
}

/** Earliest notAfter (ms since the epoch) across a peer's chain; self-signed roots point at themselves, hence the guard. */
export function chainExpiry(cert: PeerCertificate | undefined): number | undefined {
  const seen = new Set<unknown>();
  let earliest: number | undefined;
  let current = cert as (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined;
  while (current && typeof current.valid_to === 'string' && !seen.has(current) && !seen.has(current.fingerprint256) && seen.size < 64) {
    seen.add(current);
    if (current.fingerprint256) seen.add(current.fingerprint256);
    const at = Date.parse(current.valid_to);
    if (Number.isFinite(at) && (earliest === undefined || at < earliest)) earliest = at;
    current = current.issuerCertificate;
  }
  return earliest;
}
