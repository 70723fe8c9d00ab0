import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { formatPath } from '../config/load.ts';
import { DomainError, type ErrorCode } from '../lib/errors.ts';

const STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  PASSWORD_CHANGE_REQUIRED: 403,
  CSRF_REJECTED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_TRANSITION: 409,
  RESOLUTION_NOT_VALIDATED: 409,
  UNKNOWN_SERVICE: 422,
  UNKNOWN_USER: 422,
  RATE_LIMITED: 429,
  SCHEMA_TOO_NEW: 503,
  CONFIG_INVALID: 503,
  NOT_READY: 503,
  INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/** Maps every error to `{ error: { code, message, details } }`; the only place codes become statuses. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  const make = (code: ErrorCode, message: string, details: Record<string, unknown> = {}) => ({ status: STATUS[code], body: { error: { code, message, details } } });
  if (err instanceof DomainError) return make(err.code, err.message, err.details);
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({
      path: formatPath(i.path),
      message: i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : i.message,
    }));
    return make('VALIDATION_FAILED', issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '), { issues });
  }
  const fe = err as FastifyError;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return make('PAYLOAD_TOO_LARGE', 'request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return make('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return make('INVALID_JSON', 'request body is not valid JSON');
  }
  if (fe instanceof SyntaxError || (fe.statusCode === 400 && /JSON|prototype|constructor/i.test(fe.message))) return make('INVALID_JSON', 'request body is not valid JSON');
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return { status: fe.statusCode, body: { error: { code: 'BAD_REQUEST', message: fe.message, details: {} } } };
  return make('INTERNAL', 'internal error; see the server log with this request id');
}

export function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const { status, body } = toErrorResponse(err);
  if (status >= 500) req.log.error({ err }, 'request failed');
  const retryAfter = body.error.details.retry_after;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  return reply.status(status).send(body);
}
