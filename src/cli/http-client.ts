import { CliError } from './io.ts';

export const DEFAULT_URL = 'http://localhost:8080';
const TIMEOUT_MS = 30_000;

/** An error the API answered with: `{ error: { code, message, details } }`, printed as "CODE: message". */
export class ApiError extends CliError {
  constructor(
    readonly code: string,
    readonly apiMessage: string,
    readonly details: Record<string, unknown>,
    readonly status: number,
  ) {
    super(`${code}: ${apiMessage}${hint(code, details)}`, 1);
  }
}

function hint(code: string, details: Record<string, unknown>): string {
  if (code === 'UNKNOWN_SERVICE' && Array.isArray(details.known)) return ` (known: ${details.known.join(', ')})`;
  if (code === 'RESOLUTION_NOT_VALIDATED' && Array.isArray(details.checks)) {
    // Every check on its own line, so the responder sees what passed as well as what did not.
    const mark: Record<string, string> = { passed: '✓', failed: '✗', skipped: '–' };
    const lines = (details.checks as { name?: unknown; outcome?: unknown; summary?: unknown }[]).map((c) => `  ${mark[String(c.outcome)] ?? '?'} ${String(c.name).replace('_', ' ')}: ${String(c.summary)}`);
    return `\n${lines.join('\n')}\n(--override-reason "why" resolves it anyway, recorded on the timeline)`;
  }
  return '';
}

/** A small JSON client for the Firebreak API. The token goes in a header and never into any message. */
export interface ApiClient {
  readonly baseUrl: string;
  request<T = unknown>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

export interface ClientFlags {
  url?: string;
  token?: string;
}

/** Builds a client from --url/--token or FIREBREAK_URL/FIREBREAK_TOKEN. */
export function createApiClient(flags: ClientFlags, env: Readonly<Record<string, string | undefined>>): ApiClient {
  const raw = flags.url ?? env.FIREBREAK_URL ?? DEFAULT_URL;
  let base: URL;
  try {
    base = new URL(raw);
  } catch {
    throw new CliError(`--url "${raw}" is not a URL (expected e.g. ${DEFAULT_URL})`, 2);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new CliError(`--url must be http:// or https://, not ${base.protocol}`, 2);
  const baseUrl = base.toString().replace(/\/+$/, '');
  const token = flags.token ?? env.FIREBREAK_TOKEN ?? '';
  if (!token) throw new CliError('no API token: pass --token or set FIREBREAK_TOKEN (an admin can make one with "firebreak token create")');

  return {
    baseUrl,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const url = `${baseUrl}${path}`;
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${token}`,
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (e) {
        throw new CliError(unreachable(baseUrl, e));
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = undefined;
      }
      if (!res.ok) {
        const err = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null | undefined)?.error;
        if (err && typeof err.code === 'string') {
          throw new ApiError(err.code, String(err.message ?? ''), (err.details as Record<string, unknown>) ?? {}, res.status);
        }
        throw new CliError(`HTTP ${res.status} from ${baseUrl}, and not a Firebreak API error; is --url pointing at Firebreak?`);
      }
      if (json === undefined) throw new CliError(`${baseUrl} answered with something that is not JSON; is --url pointing at Firebreak?`);
      return json as T;
    },
  };
}

function unreachable(baseUrl: string, e: unknown): string {
  const err = e as { name?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `the Firebreak server at ${baseUrl} did not answer within ${TIMEOUT_MS / 1000}s`;
  const code = err.cause?.code;
  const why =
    code === 'ECONNREFUSED' ? 'connection refused'
    : code === 'ENOTFOUND' ? 'host not found'
    : code === 'ECONNRESET' ? 'connection reset'
    : code ?? err.cause?.message ?? (e as Error).message;
  return `cannot reach the Firebreak server at ${baseUrl} (${why}). Is it running? Point to it with --url or FIREBREAK_URL.`;
}

/** Path segment for an incident reference ("INC-42", "42" or an id). */
export const refPath = (ref: string) => `/api/v1/incidents/${encodeURIComponent(ref)}`;
