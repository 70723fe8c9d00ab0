import { z } from 'zod';
import { DomainError } from '../../lib/errors.ts';
import { recordPing, PING_BODY_MAX, PingRateLimits, type PingKind } from '../../modules/monitors/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/** A Map, not an object: a path segment such as `__proto__` must never find anything. */
const ACTIONS = new Map<string, PingKind>([
  ['start', 'start'],
  ['fail', 'fail'],
  ['log', 'log'],
]);
const keyParam = z.string().max(128);
const ridQuery = z.object({ rid: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 characters of A–Z a–z 0–9 _ . : -').optional() }).passthrough();

/**
 * Heartbeat pings with healthchecks.io's URLs and semantics: `/ping/<key>` (success),
 * `/ping/<key>/start`, `/ping/<key>/fail`, `/ping/<key>/log`, `/ping/<key>/<exit code 0–255>`, each
 * by GET or POST (body kept up to 10 KB, larger is 413), `?rid=` pairing a start with its finish.
 * No session: the key is the credential, and an unknown key is 404. The answer is a plain "OK".
 */
export function pingRoutes(): RouteDef[] {
  const limits = new PingRateLimits();
  const routes: RouteDef[] = [];
  for (const method of ['GET', 'POST'] as const) {
    routes.push(
      defineRoute({
        method,
        url: '/ping/:key',
        access: 'public',
        tag: 'heartbeats',
        summary: 'Heartbeat: the job succeeded',
        bodyLimit: PING_BODY_MAX,
        params: z.object({ key: keyParam }),
        query: ridQuery,
        handler: async ({ ctx, params, query, req, reply }) => {
          await recordPing(ctx, params.key, pingInput(req, 'success', query.rid), limits);
          return ok(reply);
        },
      }),
      defineRoute({
        method,
        url: '/ping/:key/:action',
        access: 'public',
        tag: 'heartbeats',
        summary: 'Heartbeat: start, fail, log, or an exit code (0 success, 1–255 failure)',
        bodyLimit: PING_BODY_MAX,
        params: z.object({ key: keyParam, action: z.string().max(16) }),
        query: ridQuery,
        handler: async ({ ctx, params, query, req, reply }) => {
          const kind = ACTIONS.get(params.action);
          const exit = /^\d{1,3}$/.test(params.action) && Number(params.action) <= 255 ? Number(params.action) : undefined;
          if (!kind && exit === undefined) throw new DomainError('NOT_FOUND', 'no such ping action (use start, fail, log or an exit code 0–255)');
          await recordPing(ctx, params.key, { ...pingInput(req, kind ?? 'success', query.rid), ...(exit !== undefined ? { exitCode: exit } : {}) }, limits);
          return ok(reply);
        },
      }),
    );
  }
  return routes;
}

function pingInput(req: { method: string; ip: string; headers: Record<string, string | string[] | undefined>; body?: unknown }, kind: PingKind, rid: string | undefined) {
  const body = typeof req.body === 'string' ? req.body : req.body === undefined || req.body === null ? undefined : JSON.stringify(req.body);
  const ua = req.headers['user-agent'];
  return { kind, method: req.method, remoteAddr: req.ip, userAgent: typeof ua === 'string' ? ua : undefined, body: body === '' ? undefined : body, ...(rid ? { rid } : {}) };
}

function ok(reply: { type(t: string): unknown }) {
  reply.type('text/plain; charset=utf-8');
  return 'OK';
}
