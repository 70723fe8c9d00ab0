import type { SendResult } from '../provider.ts';

/**
 * One HTTP POST for the webhook-style providers, classified into a SendResult. Webhook URLs are
 * credentials, so no error string built here ever contains the URL, a header value or a token: we
 * map errors to fixed phrases and redact known secrets from the short body excerpt we keep.
 */

/** Most of a response body we read; the rest is dropped unread. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
const EXCERPT_CHARS = 200;
const USER_AGENT = 'Firebreak';
/** Headers fetch manages itself or that would make the request ambiguous. */
const DROPPED_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer']);

export interface PostRequest {
  url: string;
  /** The raw body, sent as is (the webhook signature covers these exact bytes). */
  body: string;
  /** Header names are compared case-insensitively; later ones win. `content-type` defaults to JSON. */
  headers?: Record<string, string>;
  timeoutMs: number;
  now: () => number;
  /** Tokens, keys and custom header values to redact from body excerpts, besides the URL and Authorization (always redacted). */
  secrets?: string[];
}

/** A response that arrived: its status, headers and at most MAX_RESPONSE_BYTES of body. */
export interface PostReply {
  status: number;
  headers: Headers;
  body: string;
  truncated: boolean;
  /** Why the body could not be read in full (a timeout mid-body), if it could not. */
  bodyError?: string;
}

/** Sends one POST and classifies the answer: 2xx ok, 408/425/429/5xx and network errors retryable. Never throws. */
export async function postJson(req: PostRequest): Promise<SendResult> {
  const outcome = await httpPost(req);
  return 'headers' in outcome ? classifyReply(outcome, req) : outcome;
}

/** Sends one POST (redirects not followed, body capped, all of it bounded by the timeout); a failure before any reply is a SendResult. Never throws. */
export async function httpPost(req: PostRequest): Promise<PostReply | Extract<SendResult, { ok: false }>> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return { ok: false, retryable: false, error: 'invalid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, retryable: false, error: `unsupported URL scheme ${url.protocol.slice(0, 20)}` };
  const headers = normaliseHeaders(req.headers ?? {});
  // fetch refuses URLs with credentials; send them as Basic auth, as curl would.
  if (url.username || url.password) {
    headers.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  headers['content-type'] ??= 'application/json';
  headers['user-agent'] ??= USER_AGENT;
  const signal = AbortSignal.timeout(req.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body: req.body, headers, redirect: 'manual', signal });
  } catch (e) {
    return networkFailure(e, signal, req.timeoutMs);
  }
  const { body, truncated, error } = await readCapped(res, signal, req.timeoutMs);
  return { status: res.status, headers: res.headers, body, truncated, ...(error ? { bodyError: error } : {}) };
}

/** The default meaning of a status: 2xx ok; 3xx, 408, 425, 429, 5xx retryable; other 4xx final. */
export function classifyReply(reply: PostReply, req: Pick<PostRequest, 'url' | 'headers' | 'secrets' | 'now'>): SendResult {
  const { status } = reply;
  if (status >= 200 && status <= 299) return { ok: true, status, ...(reply.bodyError ? { detail: `response body not read: ${reply.bodyError}` } : {}) };
  if (status >= 300 && status <= 399) return { ok: false, retryable: true, status, error: `redirected (HTTP ${status}), not followed` };
  const excerpt = bodyExcerpt(reply.body, secretsOf(req));
  const retryable = status === 408 || status === 425 || status === 429 || status >= 500 || status < 200;
  const error = `${status === 429 ? 'rate limited (HTTP 429)' : `HTTP ${status}`}${excerpt ? `: ${excerpt}` : ''}`;
  if (!retryable) return { ok: false, retryable: false, status, error };
  const retryAfterMs = parseRetryAfter(reply.headers.get('retry-after'), req.now()) ?? jsonRetryAfter(reply.body);
  return { ok: false, retryable: true, status, error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/** Retry-After as delay-seconds or an HTTP-date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Discord (and some others) say `{"retry_after": 1.5}` in seconds in the body of a 429. */
function jsonRetryAfter(body: string): number | undefined {
  if (!body.trimStart().startsWith('{')) return undefined;
  try {
    const v = (JSON.parse(body) as { retry_after?: unknown }).retry_after;
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/** A short, single-line, secret-free excerpt of a response body ('' when empty). */
export function bodyExcerpt(body: string, secrets: string[] = []): string {
  let text = body.slice(0, 4 * EXCERPT_CHARS);
  // Longest first, so a URL is redacted whole before its path segments.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s.length >= 6) text = text.split(s).join('[redacted]');
  text = text.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
  return text.length <= EXCERPT_CHARS ? text : `${text.slice(0, EXCERPT_CHARS - 1)}…`;
}

/** Everything in a request that could be a credential: the URL and its parts, Authorization, given secrets. */
function secretsOf(req: Pick<PostRequest, 'url' | 'headers' | 'secrets'>): string[] {
  const out = [...(req.secrets ?? [])];
  for (const [name, value] of Object.entries(req.headers ?? {})) if (name.toLowerCase() === 'authorization') out.push(value, value.replace(/^\S+\s+/, ''));
  out.push(req.url);
  try {
    const u = new URL(req.url);
    out.push(u.href, `${u.host}${u.pathname}`, u.pathname, u.search, u.username, u.password);
    for (const seg of u.pathname.split('/')) out.push(seg, safeDecode(seg));
    for (const [, v] of u.searchParams) out.push(v);
  } catch {
    // Not a URL: only the raw string is redacted.
  }
  return out.filter((s) => s.length >= 6);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Lower-cased names, later duplicates winning, transport-level headers dropped. */
function normaliseHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!DROPPED_HEADERS.has(lower)) out[lower] = value;
  }
  return out;
}

/** Reads at most MAX_RESPONSE_BYTES and cancels the rest; a timeout mid-body keeps what arrived. */
async function readCapped(res: Response, signal: AbortSignal, timeoutMs: number): Promise<{ body: string; truncated: boolean; error?: string }> {
  if (!res.body) return { body: '', truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  let error: string | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, MAX_RESPONSE_BYTES - size);
      if (take > 0) chunks.push(take === value.length ? value : value.subarray(0, take));
      size += take;
      if (take < value.length || size >= MAX_RESPONSE_BYTES) {
        truncated = true;
        break;
      }
    }
  } catch (e) {
    error = (networkFailure(e, signal, timeoutMs) as { error: string }).error;
  }
  // Drop whatever is left unread (a huge or endless body), without waiting for it.
  if (truncated || error) reader.cancel().catch(() => {});
  return { body: Buffer.concat(chunks, size).toString('utf8'), truncated, ...(error ? { error } : {}) };
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  EAI_NONAME: 'host not found (DNS)',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for the response headers',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the response body',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'response body length mismatch',
  HPE_INVALID_CONSTANT: 'the server did not answer with HTTP',
};

/** A fixed phrase for an error thrown by fetch; never its message, which may carry the URL. */
function networkFailure(e: unknown, signal: AbortSignal, timeoutMs: number): Extract<SendResult, { ok: false }> {
  const name = (e as { name?: unknown } | null)?.name;
  if (signal.aborted || name === 'TimeoutError' || name === 'AbortError') return { ok: false, retryable: true, error: `timed out after ${timeoutMs} ms` };
  const code = errorCode(e);
  if (code && NETWORK_ERRORS[code]) return { ok: false, retryable: true, error: NETWORK_ERRORS[code] };
  if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) return { ok: false, retryable: true, error: `TLS error (${code})` };
  if (code?.startsWith('HPE_')) return { ok: false, retryable: true, error: `invalid HTTP response (${code})` };
  if (code) return { ok: false, retryable: true, error: `network error (${code})` };
  const cause = (e as { cause?: { message?: unknown } } | null)?.cause;
  if (cause?.message === 'bad port') return { ok: false, retryable: false, error: 'port not allowed for HTTP requests' };
  // fetch rejects with a TypeError other than "fetch failed" when it cannot build the request.
  if (e instanceof TypeError && e.message !== 'fetch failed') return { ok: false, retryable: false, error: 'invalid request (a header name or value is not allowed)' };
  return { ok: false, retryable: true, error: 'network error' };
}

/** The first error code along the cause chain (and inside an AggregateError), if it looks like one. */
function errorCode(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 5) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,60}$/.test(code)) return code;
  const nested = (e as { errors?: unknown }).errors;
  if (Array.isArray(nested)) for (const inner of nested) {
    const c = errorCode(inner, depth + 1);
    if (c) return c;
  }
  return errorCode((e as { cause?: unknown }).cause, depth + 1);
}
