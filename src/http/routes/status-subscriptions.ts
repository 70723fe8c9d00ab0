import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../../lib/errors.ts';
import { RateLimiter } from '../../modules/auth/index.ts';
import * as statuspage from '../../modules/statuspage/index.ts';
import type { StatusPageService } from '../../modules/statuspage/index.ts';
import { toErrorResponse } from '../error-handler.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/** The subscription forms are small; anything bigger is not ours (413). */
const FORM_LIMIT = 8192;
const MINUTE = 60_000;
const HTML_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The URL carries a token: no other site may see it. Not no-referrer, which makes browsers send
  // `Origin: null` with our own form, and a signed-in reader's post would be refused as cross-site.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'x-robots-tag': 'noindex, nofollow',
  'content-security-policy': "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
};
const TITLES: Partial<Record<string, string>> = {
  VALIDATION_FAILED: 'That did not work',
  FORBIDDEN: 'Not available',
  RATE_LIMITED: 'Too many requests',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Subscription cancelled',
};

const linkParams = z.object({ id: z.string().max(100) });
/** Not strict: mail clients and trackers append their own parameters to links. */
const linkQuery = z.object({ token: z.union([z.string(), z.array(z.string())]).optional() });

/**
 * Status page subscriptions. Public: subscribe (email with double opt-in, or a webhook), confirm,
 * unsubscribe (a button, or RFC 8058 one-click). These read forms (urlencoded, as the page's forms
 * send) as well as JSON, so they declare no JSON `body` schema; they answer an HTML notice page,
 * or JSON to a client that sent JSON or asks for it. Admin: list, add and remove subscribers.
 */
/** The rate-limit key of a client: its IPv4 address, or the /64 of its IPv6 address. */
export function clientKey(ip: string): string {
  if (!ip.includes(':') || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export function statusSubscriptionRoutes(service: StatusPageService): RouteDef[] {
  let limiter = { perMinute: 0, limiter: new RateLimiter(1, MINUTE), all: new RateLimiter(1, MINUTE) };
  /**
   * Per client address (an IPv6 client by its /64: one host has billions of addresses), at the
   * config's current rate (a reload starts a fresh window), and for all clients together at 20
   * times that: a botnet cannot fill the subscriber list (and the delivery queue) in minutes.
   */
  const rateLimit = (req: FastifyRequest, perMinute: number, now: number) => {
    if (limiter.perMinute !== perMinute) limiter = { perMinute, limiter: new RateLimiter(perMinute, MINUTE), all: new RateLimiter(perMinute * 20, MINUTE) };
    const wait = Math.max(limiter.limiter.hit(clientKey(req.ip), now), limiter.all.hit('*', now));
    if (wait > 0) throw new DomainError('RATE_LIMITED', 'Too many subscription requests; try again in a minute', { retry_after: Math.ceil(wait / 1000) });
  };
  const enabled = () => {
    if (!service.enabled()) throw new DomainError('NOT_FOUND', 'this server has no status page');
  };
  const notice = async (reply: FastifyReply, status: number, n: { title: string; message: string; form?: { action: string; button: string; fields?: Record<string, string> } }) => {
    reply.code(status).headers(HTML_HEADERS);
    return statuspage.renderNoticePage(await service.cache.current(), { ...n, status });
  };
  /** A refusal as a notice page (HTML readers) with its stable code; JSON readers get the usual error body. */
  const answerError = async (e: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = toErrorResponse(e);
    if (wantsJson(req) || status >= 500) throw e;
    const retryAfter = body.error.details.retry_after;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return notice(reply, status, { title: TITLES[body.error.code] ?? 'Something went wrong', message: `${body.error.message} (error code ${body.error.code})` });
  };
  const linkAction = (id: string) => `/status/subscriptions/${encodeURIComponent(id)}/unsubscribe`;

  return [
    defineRoute({
      method: 'POST',
      url: '/status/subscribe',
      access: 'public',
      tag: 'status-page',
      summary:
        'Subscribe to the status page (form or JSON fields: kind email|webhook, email, url, components: leaf component ids, none = all). Email: a confirmation link is mailed (double opt-in); the answer is the same whether or not the address was subscribed. Webhook: subscribed at once. Rate-limited per client address',
      bodyLimit: FORM_LIMIT,
      response: { description: 'A notice page (HTML), or {ok, kind, message} as JSON when the request was JSON or asks for it; 400 VALIDATION_FAILED, 403 FORBIDDEN (kind turned off), 413, 429 RATE_LIMITED' },
      handler: async ({ ctx, body, req, reply }) => {
        try {
          enabled();
          rateLimit(req, ctx.config.current.status_page.subscribers.per_minute, ctx.clock.now());
          const result = await statuspage.subscribe(ctx, body);
          const message =
            result.kind === 'email'
              ? 'If the address can receive mail, a link to confirm the subscription is on its way. Follow it to start receiving updates; nothing is sent until then.'
              : 'The webhook is subscribed. It will receive a POST when an incident is posted or updated and when a component changes status.';
          if (wantsJson(req)) return { ok: true, kind: result.kind, message };
          return notice(reply, 200, { title: result.kind === 'email' ? 'Check your email' : 'Webhook subscribed', message });
        } catch (e) {
          return answerError(e, req, reply);
        }
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/status/subscriptions/:id/confirm',
      access: 'public',
      tag: 'status-page',
      summary: 'Confirm an email subscription from the link in the confirmation mail (idempotent)',
      params: linkParams,
      query: linkQuery,
      response: { description: 'A notice page (HTML), or {ok, result} as JSON when asked for; 400 when the link is invalid or expired, 409 when the subscription was cancelled' },
      handler: async ({ ctx, params, query, req, reply }) => {
        try {
          enabled();
          const result = await statuspage.confirmSubscription(ctx, params.id, query.token);
          if (wantsJson(req)) return { ok: true, result };
          return notice(reply, 200, { title: 'Subscription confirmed', message: result === 'confirmed' ? 'You will now receive updates from this status page by email.' : 'This subscription was confirmed already.' });
        } catch (e) {
          return answerError(e, req, reply);
        }
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/status/subscriptions/:id/unsubscribe',
      access: 'public',
      tag: 'status-page',
      summary: 'The unsubscribe page: a button that unsubscribes (opening the link does nothing, so mail scanners never unsubscribe anyone)',
      params: linkParams,
      query: linkQuery,
      response: { description: 'A notice page (HTML) with an Unsubscribe button, or {ok, state} as JSON when asked for; 400 when the link is invalid' },
      handler: async ({ ctx, params, query, req, reply }) => {
        try {
          enabled();
          const state = await statuspage.inspectUnsubscribe(ctx, params.id, query.token);
          if (wantsJson(req)) return { ok: true, state };
          if (state === 'already_unsubscribed') return notice(reply, 200, { title: 'Unsubscribed', message: 'You are not subscribed to this status page any more.' });
          return notice(reply, 200, {
            title: 'Unsubscribe',
            message: 'Stop receiving updates from this status page?',
            form: { action: linkAction(params.id), button: 'Unsubscribe', fields: { token: String(query.token) } },
          });
        } catch (e) {
          return answerError(e, req, reply);
        }
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/status/subscriptions/:id/unsubscribe',
      access: 'public',
      tag: 'status-page',
      summary: 'Unsubscribe (idempotent): the button on the unsubscribe page, or an RFC 8058 one-click POST (body List-Unsubscribe=One-Click) to the List-Unsubscribe URL. The token comes from the query or the form',
      params: linkParams,
      query: linkQuery,
      bodyLimit: FORM_LIMIT,
      response: { description: 'A notice page (HTML), or {ok, result} as JSON; 400 when the link is invalid' },
      handler: async ({ ctx, params, query, body, req, reply }) => {
        try {
          enabled();
          const fromBody = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).token : undefined;
          const result = await statuspage.unsubscribeWithToken(ctx, params.id, query.token ?? fromBody);
          if (wantsJson(req)) return { ok: true, result };
          return notice(reply, 200, { title: 'Unsubscribed', message: result === 'unsubscribed' ? 'You will not receive any more updates from this status page.' : 'You were unsubscribed already.' });
        } catch (e) {
          return answerError(e, req, reply);
        }
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/status-page/subscribers',
      access: 'responder',
      tag: 'status-page',
      summary: 'Status page subscribers, newest first: kind, address, chosen components, state; filter by kind and state, page with next_cursor',
      query: statuspage.listSubscribersQuery,
      response: { schema: z.object({ data: z.array(statuspage.subscriberView), next_cursor: z.string().nullable() }) },
      handler: ({ ctx, query }) => statuspage.listSubscribers(ctx, query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/status-page/subscribers',
      access: 'admin',
      tag: 'status-page',
      summary: 'Add a subscriber (or update the one with that address): email is confirmed without a confirmation mail only with confirmed: true; a webhook at once. Audited',
      body: statuspage.addSubscriberInput,
      bodyLimit: FORM_LIMIT,
      response: { status: 201, schema: statuspage.subscriberView },
      handler: async ({ ctx, body, req, reply }) => {
        // This scope also parses forms (for the public routes); the API itself takes JSON only.
        if (!/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
        const view = await statuspage.addSubscriber(ctx, body);
        reply.status(201);
        return view;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/status-page/subscribers/:id',
      access: 'admin',
      tag: 'status-page',
      summary: 'Unsubscribe a subscriber and cancel what is queued for them (idempotent). Audited',
      params: linkParams,
      response: { schema: statuspage.subscriberView },
      handler: ({ ctx, params }) => statuspage.removeSubscriber(ctx, params.id),
    }),
  ];
}

/** JSON for clients that sent JSON or ask for it (a browser's form asks for HTML). */
function wantsJson(req: FastifyRequest): boolean {
  const accept = String(req.headers.accept ?? '');
  if (/\btext\/html\b/i.test(accept)) return false;
  if (/\bapplication\/json\b/i.test(accept)) return true;
  return /^application\/json\b/i.test(String(req.headers['content-type'] ?? ''));
}
