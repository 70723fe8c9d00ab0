import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { formatPath } from '../../config/load.ts';
import { DomainError } from '../../lib/errors.ts';
import type { Ctx } from '../../modules/context.ts';
import { findIntegrationByKey, ingestChange, ingestEvent, integrationActor, type IntegrationRateLimits } from '../../modules/signals/index.ts';
import type { Intake } from '../intake.ts';
import type { AppDeps } from '../build-app.ts';
import { assertStorableText } from '../storable-text.ts';

/** PagerDuty's own payload limit. */
export const EVENTS_BODY_LIMIT = 512 * 1024;

/** PagerDuty's response shape, which senders parse; these routes never answer `{ error: … }`. */
interface PdResponse {
  status: string;
  message: string;
  dedup_key?: string;
  errors?: string[];
}

class PdError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: string[],
    /** The response's `status` word. */
    readonly word = 'invalid event',
    /** Seconds, sent as `Retry-After`. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

const invalid = (errors: string[]) => new PdError(400, 'Event object is invalid', errors);

/**
 * The PagerDuty Events API v2 (`POST /v2/enqueue`, `POST /v2/change/enqueue`), in a plugin scope of its own: its own body
 * limit and error shape. The routing key in the body is the credential, so there is no session or
 * token; the key is never logged, stored or echoed.
 */
export function eventsApiRoutes(deps: AppDeps, intake: Intake) {
  return async function eventsApi(app: FastifyInstance): Promise<void> {
    app.setErrorHandler(pdErrorHandler);
    app.post('/v2/enqueue', { bodyLimit: EVENTS_BODY_LIMIT }, async (req, reply): Promise<PdResponse> => {
      const { ctx, integration, body } = authenticate(deps, intake.limits, req);
      const result = await ingestEvent(ctx, integration.id, body);
      await intake.accepted(result.signal_id);
      reply.status(202);
      return { status: 'success', message: 'Event processed', dedup_key: result.dedup_key };
    });
    app.post('/v2/change/enqueue', { bodyLimit: EVENTS_BODY_LIMIT }, async (req, reply): Promise<PdResponse> => {
      const { ctx, integration, body } = authenticate(deps, intake.limits, req);
      await ingestChange(ctx, integration.id, body);
      reply.status(202);
      return { status: 'success', message: 'Change event processed' };
    });
  };
}

/**
 * The routing key in the body is the credential: finds its integration and the context to act in,
 * after counting the request against the integration's rate limit (429 over it, nothing stored).
 */
function authenticate(deps: AppDeps, limits: IntegrationRateLimits, req: FastifyRequest) {
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid(['the body must be a JSON object']);
  const key = (body as { routing_key?: unknown }).routing_key;
  if (typeof key !== 'string' || key === '') throw invalid(['routing_key: required, a string']);
  const integration = findIntegrationByKey(deps.config.current, key);
  if (!integration) throw new PdError(404, 'Routing key not found: no integration has this key', ['routing_key: unknown integration key']);
  const retryAfter = limits.hit(integration, deps.clock.now());
  if (retryAfter > 0) throw new PdError(429, 'Requests for this routing key are being throttled', [`retry after ${retryAfter} seconds`], 'throttle event', retryAfter);
  assertStorableText('body', body);
  const ctx: Ctx = { db: deps.db, clock: deps.clock, config: deps.config, requestId: req.id, actor: integrationActor(integration) };
  return { ctx, integration, body };
}

function toPdError(err: unknown): { status: number; body: PdResponse; retryAfter?: number } {
  const bad = (status: number, message: string, errors: string[]) => ({ status, body: { status: 'invalid event', message, errors } });
  if (err instanceof PdError) return { status: err.status, body: { status: err.word, message: err.message, errors: err.errors }, retryAfter: err.retryAfter };
  if (err instanceof ZodError) return bad(400, 'Event object is invalid', err.issues.map((i) => `${formatPath(i.path) || 'event'}: ${i.message}`));
  if (err instanceof DomainError && err.code === 'VALIDATION_FAILED') {
    const issues = Array.isArray(err.details.issues) ? (err.details.issues as { path: string; message: string }[]) : [];
    return bad(400, 'Event object is invalid', issues.length ? issues.map((i) => `${i.path || 'event'}: ${i.message}`) : [err.message]);
  }
  const fe = err as FastifyError;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bad(413, 'Event object is too large', [`the body must be at most ${EVENTS_BODY_LIMIT} bytes`]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return bad(400, 'Event object is invalid', ['send the event as application/json']);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return bad(400, 'Event object is invalid', ['the body is not valid JSON']);
  }
  // The parser's own message may quote the body (and so the key): never pass it on.
  if (fe instanceof SyntaxError || (fe.statusCode === 400 && /JSON|prototype|constructor/i.test(fe.message))) return bad(400, 'Event object is invalid', ['the body is not valid JSON']);
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return bad(fe.statusCode, 'Event object is invalid', ['the request was refused']);
  return { status: 500, body: { status: 'error', message: 'Internal error; retry later', errors: ['see the server log for this request id'] } };
}

function pdErrorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const { status, body, retryAfter } = toPdError(err);
  if (status >= 500) req.log.error({ err }, 'event ingestion failed');
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return reply.status(status).send(body);
}
