import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { HttpMonitorConfig } from '../../../config/monitors-schema.ts';
import { checkJsonAssertion } from '../../../lib/json-assertion.ts';
import { addPhase, chainExpiry, codedError, degraded, down, guardProbe, timeSocket, unbracket, up, type ProbeContext, type Verdict } from './common.ts';
import type { ProbeOptions, ProbeResult } from './types.ts';

const USER_AGENT = 'Firebreak-Monitor/0.1';
/** Headers that carry credentials: not forwarded when a redirect leaves the origin (as curl and fetch do). */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

interface Hop {
  url: URL;
  method: string;
  body: string | undefined;
  headers: Record<string, string>;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Checks an HTTP(S) endpoint: one fresh connection per hop, phase timings, a capped body read, then the assertions. */
export function probeHttp(cfg: HttpMonitorConfig, opts: ProbeOptions = {}): Promise<ProbeResult> {
  return guardProbe(cfg.timeout, opts.signal, async (ctx) => {
    const headers: Record<string, string> = { ...cfg.headers };
    if (!hasHeader(headers, 'user-agent')) headers['User-Agent'] = USER_AGENT;
    const url = new URL(cfg.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return down('error', `unsupported URL scheme ${url.protocol}`);
    let hop: Hop = { url, method: cfg.method, body: cfg.body, headers };
    for (let redirects = 0; ; redirects++) {
      const reply = await exchange(hop, cfg, ctx);
      if (!followable(cfg, reply.status, reply.headers)) return judge(reply, cfg, ctx);
      if (redirects >= cfg.max_redirects) return down('redirects', `more than ${cfg.max_redirects} redirects`);
      const next = nextHop(hop, reply.status, reply.headers.location ?? '');
      if (typeof next === 'string') return down('redirects', next);
      hop = next;
    }
  });
}

/** A redirect this probe follows (304 Not Modified and a 3xx without Location are final answers). */
function followable(cfg: HttpMonitorConfig, status: number, headers: IncomingHttpHeaders): boolean {
  return cfg.follow_redirects && status >= 300 && status <= 399 && status !== 304 && Boolean(headers.location);
}

/** The request a redirect leads to, or why its Location cannot be followed. */
function nextHop(prev: Hop, status: number, location: string): Hop | string {
  let url: URL;
  try {
    url = new URL(location, prev.url);
  } catch {
    return `status ${status} with an invalid Location`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `status ${status} redirects to a ${url.protocol} URL`;
  // 301/302/303 turn into a GET without a body, as browsers do; HEAD stays HEAD, 307/308 keep everything.
  const toGet = (status === 301 || status === 302 || status === 303) && prev.method !== 'HEAD';
  const crossOrigin = url.origin !== prev.url.origin;
  const headers = Object.fromEntries(
    Object.entries(prev.headers).filter(([name]) => {
      const lower = name.toLowerCase();
      if (toGet && (lower === 'content-type' || lower === 'content-length')) return false;
      return !crossOrigin || (lower !== 'host' && !CREDENTIAL_HEADERS.has(lower));
    }),
  );
  return { url, method: toGet ? 'GET' : prev.method, body: toGet ? undefined : prev.body, headers };
}

/** Sends one request on a fresh connection and reads at most max_body_bytes of the reply. */
function exchange(hop: Hop, cfg: HttpMonitorConfig, ctx: ProbeContext): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const secure = hop.url.protocol === 'https:';
    const host = unbracket(hop.url.hostname);
    const headers = { ...hop.headers };
    if (hop.body !== undefined && !hasHeader(headers, 'content-length')) headers['Content-Length'] = String(Buffer.byteLength(hop.body));
    const options: https.RequestOptions = {
      host,
      port: hop.url.port || (secure ? 443 : 80),
      path: `${hop.url.pathname}${hop.url.search}`,
      method: hop.method,
      headers,
      // A fresh connection per check, so every phase is really measured and nothing lingers.
      agent: false,
      rejectUnauthorized: cfg.verify_tls,
    };
    if (hop.url.username || hop.url.password) options.auth = `${decodeURIComponent(hop.url.username)}:${decodeURIComponent(hop.url.password)}`;
    const req: ClientRequest = (secure ? https : http).request(options);
    ctx.defer(() => req.destroy());
    let sentAt = -1;
    req.on('error', reject);
    req.on('socket', (socket: Socket) => {
      timeSocket(socket, ctx, host);
      if (secure) socket.once('secureConnect', () => (ctx.certExpiresAt = earliest(ctx.certExpiresAt, chainExpiry((socket as TLSSocket).getPeerCertificate(true)))));
    });
    req.on('finish', () => {
      sentAt = ctx.elapsed();
      ctx.stage = 'waiting for the response';
    });
    req.on('response', (res: IncomingMessage) => {
      const firstByte = ctx.elapsed();
      if (sentAt >= 0) addPhase(ctx.phases, 'processing', firstByte - sentAt);
      ctx.httpStatus = res.statusCode ?? 0;
      ctx.stage = 'reading the body';
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        addPhase(ctx.phases, 'transfer', ctx.elapsed() - firstByte);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, size) });
      };
      // A redirect's body is never read: the connection is dropped and the next hop starts.
      const cap = followable(cfg, res.statusCode ?? 0, res.headers) ? 0 : cfg.max_body_bytes;
      res.on('data', (chunk: Buffer) => {
        if (done) return;
        const take = Math.min(chunk.length, cap - size);
        if (take > 0) {
          chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
          size += take;
        }
        if (size >= cap) {
          // Enough read: drop the connection rather than draining a body we would throw away.
          finish();
          req.destroy();
        }
      });
      res.on('end', finish);
      res.on('error', (err) => (done ? undefined : reject(err)));
      res.on('close', () => (done ? undefined : reject(codedError('ECONNRESET', 'connection closed before the response was complete'))));
      if (cap === 0) {
        finish();
        req.destroy();
      }
    });
    req.end(hop.body);
  });
}

/** Runs the assertions in order — status, body, json, headers — then the slowness check. */
function judge(reply: Reply, cfg: HttpMonitorConfig, ctx: ProbeContext): Verdict {
  const { expect } = cfg;
  if (!expect.status.some((m) => statusMatches(reply.status, m))) return down('status', `status ${reply.status}, expected ${expect.status.join(', ')}`);
  const body = reply.body.toString('utf8');
  if (expect.body_contains !== undefined && !body.includes(expect.body_contains)) return down('body', `body does not contain "${expect.body_contains}"`);
  if (expect.body_not_contains !== undefined && body.includes(expect.body_not_contains)) return down('body', `body contains "${expect.body_not_contains}"`);
  if (expect.body_matches !== undefined && !expect.body_matches.test(body)) return down('body', `body does not match /${expect.body_matches.source}/`);
  if (expect.json.length > 0) {
    let doc: unknown;
    try {
      doc = JSON.parse(body.replace(/^\uFEFF/, ''));
    } catch (e) {
      return down('json', `body is not JSON: ${(e as Error).message}`);
    }
    for (const assertion of expect.json) {
      const failed = checkJsonAssertion(assertion, doc);
      if (failed !== null) return down('json', failed);
    }
  }
  for (const [name, wanted] of Object.entries(expect.headers)) {
    const value = reply.headers[name.toLowerCase()];
    if (value === undefined) return down('header', `no ${name} header`);
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (!text.includes(wanted)) return down('header', `${name} is "${text.slice(0, 100)}", expected it to contain "${wanted}"`);
  }
  const took = ctx.elapsed();
  if (expect.degraded_after !== undefined && took > expect.degraded_after) return degraded('slow', `took ${Math.round(took)} ms, more than ${expect.degraded_after} ms`);
  return up();
}

/** `200` exactly, `"2xx"` a class, `"200-299"` an inclusive range (`"200"` is a code too). */
export function statusMatches(status: number, matcher: number | string): boolean {
  if (typeof matcher === 'number') return status === matcher;
  if (/^[1-5]xx$/.test(matcher)) return Math.floor(status / 100) === Number(matcher[0]);
  const range = /^(\d{3})-(\d{3})$/.exec(matcher);
  if (range) return status >= Number(range[1]) && status <= Number(range[2]);
  return status === Number(matcher);
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((h) => h.toLowerCase() === name);
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
