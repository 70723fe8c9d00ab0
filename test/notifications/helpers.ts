/**
 * Shared by the notification tests: a realistic message, send options with a fixed clock, and a
 * recording HTTP server on loopback whose routes play the receivers' good and bad behaviours.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { NotificationMessage, SendDestination, SendOptions } from '../../src/modules/notifications/provider.ts';

/** A fake credential in every URL's path: it must never show up in an error. */
export const SECRET_SEGMENT = 'T0SECRET/B0SECRET/XXsecretXXsegmentXX';
export const WEBHOOK_SECRET = 'whsec-0123456789abcdef';
export const NTFY_TOKEN = 'tk_ntfytoken0123456789';
export const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';

export type HttpType = 'slack' | 'teams' | 'discord' | 'webhook' | 'ntfy' | 'pagerduty';
export const HTTP_TYPES: HttpType[] = ['slack', 'teams', 'discord', 'webhook', 'ntfy', 'pagerduty'];

/** A destination of `type` pointing at `url`, with every credential the type has. */
export function destination(type: HttpType, url: string): SendDestination {
  switch (type) {
    case 'webhook':
      return { id: 'hook', type, url, secret: WEBHOOK_SECRET, headers: { 'X-Team': 'db', 'X-Firebreak-Signature': 'forged' } };
    case 'ntfy':
      return { id: 'push', type, url, topic: 'ops-alerts', token: NTFY_TOKEN };
    case 'pagerduty':
      return { id: 'pd', type, url, routing_key: ROUTING_KEY };
    default:
      return { id: type, type, url };
  }
}

export const NOW = Date.parse('2024-05-01T12:00:10.000Z');
export const BIG = 10 * 1024 * 1024;

/** A P0 page for INC-42 with acknowledge/resolve links; `over` replaces top-level fields, `incident` merges. */
export function message(over: Partial<Omit<NotificationMessage, 'incident'>> & { incident?: Partial<NotificationMessage['incident']> } = {}): NotificationMessage {
  const { incident, ...rest } = over;
  return {
    kind: 'page',
    idempotencyKey: 'inc_01HX:page:1:1:ops-slack',
    incident: {
      id: 'inc_01HX',
      ref: 'INC-42',
      title: 'Database down',
      severity: 'P0',
      state: 'triggered',
      services: ['database', 'api'],
      impact: { customer_facing: true, user_share: 0.35, impacted_services: ['api', 'database', 'web'] },
      url: 'https://firebreak.example.com/incidents/INC-42',
      detected_at: '2024-05-01T12:00:00.000Z',
      triggered_at: '2024-05-01T12:00:05.000Z',
      ...incident,
    },
    links: { acknowledge: 'https://firebreak.example.com/l/ack-tok-111', resolve: 'https://firebreak.example.com/l/res-tok-222' },
    escalation: { level: 1, round: 1, reason: 'on call for schedule primary' },
    organisation: 'Example Corp',
    created_at: '2024-05-01T12:00:06.000Z',
    ...rest,
  };
}

/** Send options with a fixed clock. */
export function options(over: Partial<SendOptions> = {}): SendOptions {
  return { timeoutMs: 2000, now: () => NOW, ...over };
}

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Starts a server on 127.0.0.1 with an OS-chosen port and returns the port. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

/** Closes an HTTP server, cutting fetch's kept-alive connections and hung requests first. */
export function closeHttp(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A receiver whose first path segment picks the behaviour (the rest of the path is a fake secret):
 * /ok/<status>, /fail/<status>, /retry-after/<value>, /discord-429, /hang, /half/<status>, /loop,
 * /huge/<status>, /echo-400 (echoes the request path, as careless servers do), /reset.
 */
export function receiver(): { server: http.Server; requests: Recorded[] } {
  const requests: Recorded[] = [];
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      requests.push({ method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const [, route, arg] = path.split('/');
      res.on('error', () => {});
      switch (route) {
        case 'ok': {
          const status = Number(arg) || 200;
          return res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 204 ? undefined : 'ok');
        }
        case 'fail':
          return res.writeHead(Number(arg), { 'content-type': 'text/plain' }).end(`failure\u0000\u001b[31m ${arg}\n\tinvalid_payload`);
        case 'retry-after':
          return res.writeHead(429, { 'retry-after': decodeURIComponent(arg) }).end('slow down');
        case 'discord-429':
          return res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'You are being rate limited.', retry_after: 1.5, global: false }));
        case 'hang':
          return; // never answers
        case 'half':
          res.writeHead(Number(arg), { 'content-type': 'text/plain' });
          return void res.write('partial '); // headers and a little body, then nothing
        case 'loop':
          return res.writeHead(302, { location: path }).end();
        case 'huge':
          res.writeHead(Number(arg), { 'content-type': 'text/plain', 'content-length': BIG });
          return res.end(Buffer.alloc(BIG, 'x'));
        case 'echo-400':
          return res.writeHead(400, { 'content-type': 'text/plain' }).end(`no such hook: http://${req.headers.host}${path} (key ${req.headers.authorization ?? ''} ${Buffer.concat(chunks).toString('utf8').slice(0, 200)})`);
        case 'reset':
          return void req.socket.destroy();
        default:
          return res.writeHead(404).end('not found');
      }
    });
  });
  return { server, requests };
}
