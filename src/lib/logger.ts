import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Paths that may carry secrets; pino replaces them before anything is written. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  'password',
  'token',
  // Events API routing keys are credentials carried in the body.
  '*.routing_key',
  'routing_key',
];

/**
 * A request URL with the value of every `key` query parameter (however its name is escaped)
 * replaced: generic webhooks may carry the integration key there. A heartbeat's ping key is the
 * path segment after /ping/, replaced too.
 */
export function redactKeyInUrl(url: string): string {
  url = url.replace(/^(\/ping\/)[^/?#]*/i, '$1[redacted]');
  // One-click links: the path is the credential.
  url = url.replace(/^(\/a\/)[^?#]*/i, '$1[redacted]');
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      const rawName = eq < 0 ? part : part.slice(0, eq);
      let name: string;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        name = rawName;
      }
      // `key` for integrations, `token` for calendar feeds.
      const lower = name.trim().toLowerCase();
      return lower === 'key' || lower === 'token' ? `${rawName}=[redacted]` : part;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}

/** Fastify's request serializer, with the URL's key redacted. */
const serializers = {
  req: (req: { method?: string; url?: string; headers?: Record<string, unknown>; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
    method: req.method,
    url: typeof req.url === 'string' ? redactKeyInUrl(req.url) : req.url,
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
};

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'firebreak' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}
