/** Stable domain error codes. HTTP status mapping lives only in the HTTP error handler. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_JSON'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'PASSWORD_CHANGE_REQUIRED'
  | 'CSRF_REJECTED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INVALID_TRANSITION'
  | 'RESOLUTION_NOT_VALIDATED'
  | 'UNKNOWN_SERVICE'
  | 'UNKNOWN_USER'
  | 'RATE_LIMITED'
  | 'SCHEMA_TOO_NEW'
  | 'CONFIG_INVALID'
  | 'NOT_READY'
  | 'BAD_REQUEST'
  | 'INTERNAL';

/** An error the domain raises on purpose; `details` must never carry secrets. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, ref: string) =>
  new DomainError('NOT_FOUND', `${what} ${ref} not found`, { ref });

export const forbidden = (message = 'You are not allowed to do this') => new DomainError('FORBIDDEN', message);

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
