import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../lib/errors.ts';
import { errorHandler } from '../error-handler.ts';
import { STATUS_CACHE_CONTROL } from '../status-fast-path.ts';
import {
  loadHistoryPage,
  loadPublicIncident,
  renderAtom,
  renderBadge,
  renderHistoryPage,
  renderIncidentPage,
  renderRss,
  renderStatusPage,
  V2_ENDPOINTS,
  type CachedBody,
  type StatusPageService,
} from '../../modules/statuspage/index.ts';

const HTML = 'text/html; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
/** Readers may keep a copy this long: short, because during an outage every minute counts. */
const CACHE_CONTROL = STATUS_CACHE_CONTROL;
/** Public ids are short base32; anything else cannot exist and is refused before a lookup. */
const PUBLIC_ID = /^[a-z0-9]{1,40}$/;
const MAX_HISTORY_PAGE = 1000;

/**
 * The public status page: HTML, the Statuspage v2 JSON, feeds and the badge. No sign-in, no
 * session lookup, no per-request logging: everything is served from the page cache, so a refresh
 * storm during an outage never reaches the database. When `status_page.host` is set, that host's
 * `/` serves the page as well (see build-app's URL rewrite).
 */
export function statusPageRoutes(service: StatusPageService) {
  return async function statusPage(app: FastifyInstance): Promise<void> {
    // One quiet logger for the scope: a per-route log level would build a child logger per request.
    const quiet = app.log.child({ scope: 'status-page' }, { level: 'warn' });
    app.setChildLoggerFactory(() => quiet);
    const cache = service.cache;
    const enabled = (req: FastifyRequest) => {
      if (!service.enabled()) throw new DomainError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
    };
    const page = async (req: FastifyRequest, reply: FastifyReply) => {
      enabled(req);
      return send(req, reply, await cache.body('page.html', HTML, renderStatusPage));
    };
    app.get('/status', page);
    app.get('/status/', page);

    app.get<{ Params: { id: string } }>('/status/incidents/:id', async (req, reply) => {
      enabled(req);
      const { id } = req.params;
      const body = PUBLIC_ID.test(id)
        ? await cache.body(`incident:${id}`, HTML, async (s) => {
            const found = [...s.incidents, ...s.unresolved, ...s.maintenances, ...s.upcoming, ...s.active].find((i) => i.id === id) ?? (await loadPublicIncident(service.ctx, id));
            return found ? renderIncidentPage(s, found) : null;
          })
        : null;
      if (!body) throw new DomainError('NOT_FOUND', 'no such incident on this status page');
      return send(req, reply, body);
    });

    app.get<{ Querystring: { page?: string } }>('/status/history', async (req, reply) => {
      enabled(req);
      const raw = req.query.page ?? '1';
      const number = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
      if (!(number >= 1 && number <= MAX_HISTORY_PAGE)) throw new DomainError('VALIDATION_FAILED', `page must be a whole number from 1 to ${MAX_HISTORY_PAGE}`);
      const body = await cache.body(`history:${number}`, HTML, async (s) => {
        const { incidents, hasNext } = await loadHistoryPage(service.ctx, number);
        return renderHistoryPage(s, incidents, { number, hasNext });
      });
      return send(req, reply, body);
    });

    for (const path of ['/status/history.rss', '/history.rss']) app.get(path, async (req, reply) => (enabled(req), send(req, reply, await cache.body('history.rss', 'application/rss+xml; charset=utf-8', renderRss))));
    for (const path of ['/status/history.atom', '/history.atom']) app.get(path, async (req, reply) => (enabled(req), send(req, reply, await cache.body('history.atom', 'application/atom+xml; charset=utf-8', renderAtom))));

    app.get('/status/badge.svg', async (req, reply) => {
      enabled(req);
      return send(req, reply, await cache.body('badge', 'image/svg+xml', (s) => renderBadge(s)));
    });
    app.get<{ Params: { id: string } }>('/status/components/:id/badge.svg', async (req, reply) => {
      enabled(req);
      const { id } = req.params;
      const body = /^[a-z0-9][a-z0-9_-]{0,62}$/.test(id) ? await cache.body(`badge:${id}`, 'image/svg+xml', (s) => renderBadge(s, id)) : null;
      if (!body) throw new DomainError('NOT_FOUND', 'no such component on this status page');
      return send(req, reply, body);
    });

    for (const [path, render] of Object.entries(V2_ENDPOINTS)) {
      app.get(`/api/v2/${path}`, async (req, reply) => {
        enabled(req);
        // Widgets read these from other sites' pages.
        reply.header('access-control-allow-origin', '*');
        return send(req, reply, await cache.body(`v2:${path}`, JSON_TYPE, (s) => JSON.stringify(render(s))));
      });
    }
    app.setErrorHandler(errorHandler);
  };
}

/** Sends a cached body: 304 when the reader has it, gzipped when the reader takes it. */
function send(req: FastifyRequest, reply: FastifyReply, entry: CachedBody | null): FastifyReply {
  if (!entry) throw new DomainError('NOT_FOUND', 'not found');
  reply.header('content-type', entry.contentType).header('cache-control', CACHE_CONTROL).header('etag', entry.etag).header('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === entry.etag) return reply.code(304).send();
  const accepts = req.headers['accept-encoding'];
  if (entry.gzip && typeof accepts === 'string' && accepts.includes('gzip')) return reply.header('content-encoding', 'gzip').send(entry.gzip);
  return reply.send(entry.body);
}
