import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { StatusPageConfig } from '../config/statuspage-schema.ts';
import type { CachedBody, StatusPageService } from '../modules/statuspage/index.ts';
import { V2_ENDPOINTS } from '../modules/statuspage/index.ts';

/**
 * The status page's hottest documents answered before the web framework sees the request. During
 * an outage everyone refreshes the page and every widget polls summary.json: once a body is in the
 * page cache, serving it is a header block and a buffer, and routing, hooks, a per-request logger
 * and promise chains would be most of the cost (bench/statuspage.ts measured it: about 1.6 times
 * the CPU per request). Anything else — another path, a query string, a body not cached yet, a
 * disabled page — goes through the ordinary routes in routes/status-page.ts, which fill the cache.
 */

/** Exact paths and the cache key each is stored under (see routes/status-page.ts). */
const FAST_KEYS: Record<string, string> = {
  '/status': 'page.html',
  '/status/': 'page.html',
  '/status/history.rss': 'history.rss',
  '/history.rss': 'history.rss',
  '/status/history.atom': 'history.atom',
  '/history.atom': 'history.atom',
  '/status/badge.svg': 'badge',
  ...Object.fromEntries(Object.keys(V2_ENDPOINTS).map((p) => [`/api/v2/${p}`, `v2:${p}`])),
};

/** Readers may keep a copy this long (the same as the routes say). */
export const STATUS_CACHE_CONTROL = 'public, max-age=10';

/**
 * On the status page's own host, paths are the page's: `/` is the page, `/incidents/x` an
 * incident; the JSON API, feeds and everything under /status keep their paths.
 */
export function statusHostPath(page: Pick<StatusPageConfig, 'enabled' | 'host'>, host: string | undefined, url: string): string {
  if (!page.enabled || !page.host || !host) return url;
  if (host.toLowerCase().replace(/:\d+$/, '') !== page.host) return url;
  if (/^\/(api\/v2\/|status(\/|\?|$)|history\.(rss|atom)(\?|$))/.test(url)) return url;
  return url === '/' || url.startsWith('/?') ? `/status${url.slice(1)}` : `/status${url}`;
}

/** The headers a cached body is sent with, built once per body (plain and gzipped). */
const prepared = new WeakMap<CachedBody, { plain: OutgoingHttpHeaders; gzip: OutgoingHttpHeaders | null; notModified: OutgoingHttpHeaders }>();

function headersFor(entry: CachedBody, cors: boolean) {
  let h = prepared.get(entry);
  if (!h) {
    const common: OutgoingHttpHeaders = {
      'content-type': entry.contentType,
      'cache-control': STATUS_CACHE_CONTROL,
      etag: entry.etag,
      vary: 'accept-encoding',
      'x-content-type-options': 'nosniff',
      ...(cors ? { 'access-control-allow-origin': '*' } : {}),
    };
    h = {
      plain: { ...common, 'content-length': entry.body.length },
      gzip: entry.gzip ? { ...common, 'content-encoding': 'gzip', 'content-length': entry.gzip.length } : null,
      notModified: common,
    };
    prepared.set(entry, h);
  }
  return h;
}

/**
 * Returns a request listener step: true when it answered the request from the cache, false when
 * the request should go on to the framework. `service` may be null until the app has made it.
 */
export function statusFastPath(service: () => StatusPageService | null, onServed?: (key: string) => void): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'GET') return false;
    const s = service();
    if (!s || !s.enabled()) return false;
    const key = FAST_KEYS[statusHostPath(s.ctx.config.current.status_page, req.headers.host, req.url ?? '/')];
    if (key === undefined) return false;
    const entry = s.cache.peek(key);
    if (!entry) return false;
    const headers = headersFor(entry, key.startsWith('v2:'));
    onServed?.(key);
    if (req.headers['if-none-match'] === entry.etag) {
      res.writeHead(304, headers.notModified);
      res.end();
      return true;
    }
    const accepts = req.headers['accept-encoding'];
    if (headers.gzip && typeof accepts === 'string' && accepts.includes('gzip')) {
      res.writeHead(200, headers.gzip);
      res.end(entry.gzip);
    } else {
      res.writeHead(200, headers.plain);
      res.end(entry.body);
    }
    return true;
  };
}
