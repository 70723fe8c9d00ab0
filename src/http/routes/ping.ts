import { z } from 'zod';
import { DomainError } from '../../lib/errors.ts';
import { recordPing, PING_BODY_MAX, PingRateLimits, type PingInput, type PingKind, type PingOutcome } from '../../modules/monitors/index.ts';
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
          const outcome = await recordPing(ctx, params.key, pingInput(req, 'success', query), limits);
          return ok(reply, outcome, req);
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
          const outcome = await recordPing(ctx, params.key, { ...pingInput(req, kind ?? 'success', query), ...(exit !== undefined ? { exitCode: exit } : {}) }, limits);
          return ok(reply, outcome, req);
        },
      }),
    );
  }
  return routes;
}

function pingInput(req: { method: string; ip: string; headers: Record<string, string | string[] | undefined>; body?: unknown }, kind: PingKind, query: { rid?: string } & Record<string, unknown>): PingInput {
  const body = typeof req.body === 'string' ? req.body : req.body === undefined || req.body === null ? undefined : JSON.stringify(req.body);
  const ua = req.headers['user-agent'];
  const recovery = recoveryFields(query, req.body);
  return { kind, method: req.method, remoteAddr: req.ip, userAgent: typeof ua === 'string' ? ua : undefined, body: body === '' ? undefined : body, ...(query.rid ? { rid: query.rid } : {}), ...(recovery ? { recovery } : {}) };
}

/**
 * A backup's restorable point and size: `?restorable_at=…&size_bytes=…`, or the same fields in a
 * JSON object body (sent as JSON or as text). A body that is not such an object is only a log.
 */
function recoveryFields(query: Record<string, unknown>, rawBody: unknown): PingInput['recovery'] | undefined {
  let body: unknown = rawBody;
  if (typeof rawBody === 'string' && rawBody.trimStart().startsWith('{')) {
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
  }
  const fromBody = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const pick = (name: string): unknown => {
    const q = query[name];
    if (q !== undefined) return Array.isArray(q) ? q[q.length - 1] : q;
    return Object.hasOwn(fromBody, name) ? fromBody[name] : undefined;
  };
  const restorable_at = pick('restorable_at');
  const size_bytes = pick('size_bytes');
  if (restorable_at === undefined && size_bytes === undefined) return undefined;
  return { ...(restorable_at !== undefined ? { restorable_at } : {}), ...(size_bytes !== undefined ? { size_bytes } : {}) };
}

/** "OK", with a line per restorable point or size that was refused (the ping itself counted). */
function ok(reply: { type(t: string): unknown }, outcome: PingOutcome, req: { log: { warn(obj: object, msg: string): void } }) {
  reply.type('text/plain; charset=utf-8');
  if (!outcome.recovery_problems?.length) return 'OK';
  req.log.warn({ monitor_id: outcome.monitor_id, problems: outcome.recovery_problems }, 'heartbeat ping: recovery point refused');
  return `OK\n${outcome.recovery_problems.join('\n')}\n`;
}
