import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RateLimiter } from '../../modules/auth/index.ts';
import type { Ctx } from '../../modules/context.ts';
import { actOnLink, crossSitePage, inspectLink, LINK_PAGE_HEADERS, recordLinkRefusal, refusalReason, renderLinkPage, type LinkOutcome, type LinkPage } from '../../modules/notifications/index.ts';
import { crossOriginReason } from '../authenticate.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/** Form posts from the confirmation page are empty; anything larger is not ours. */
const LINK_BODY_LIMIT = 4096;
const REFUSAL_WINDOW_MS = 10 * 60_000;

/**
 * One-click links from messages: a confirmation page (GET) that acts on POST. The path is a
 * wildcard, not `:token`: a real token (~300 characters) is longer than the router's 100-character
 * limit for a named parameter, and would otherwise be a 404.
 */
export function actionLinkRoutes(): RouteDef[] {
  const record = refusalRecorder();
  const params = z.object({ '*': z.string() });
  return [
    defineRoute({
      method: 'GET',
      url: '/a/*',
      access: 'public',
      tag: 'action-links',
      summary: 'One-click acknowledge/resolve link: a confirmation page (HTML); opening it never acts',
      params,
      response: { description: 'An HTML page: the incident and a button (403 invalid, 404 no incident, 409 used, 410 expired)' },
      handler: async ({ ctx, params, req, reply }) => {
        const token = params['*'];
        const outcome = await inspectLink(ctx, token);
        await record(ctx, req, outcome, 'opened');
        return send(reply, renderLinkPage(ctx.config.current, outcome, token, 'GET'));
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/a/*',
      access: 'public',
      tag: 'action-links',
      summary: 'One-click acknowledge/resolve link: act (as the recipient, or for a channel link as the signed-in person)',
      params,
      bodyLimit: LINK_BODY_LIMIT,
      response: { description: 'An HTML page saying what was done (401 sign in first, 403 refused, 409 used or nothing to do, 410 expired)' },
      handler: async ({ ctx, params, req, reply }) => {
        // The form fields (if any) are ignored: the token says everything.
        // A recipient link acts without a cookie, so the same-origin rule is checked here too.
        if (crossOriginReason(req, ctx.config.current.organisation.public_url)) return send(reply, crossSitePage(ctx.config.current));
        const token = params['*'];
        const outcome = await actOnLink(ctx, token);
        await record(ctx, req, outcome, 'used');
        return send(reply, renderLinkPage(ctx.config.current, outcome, token, 'POST'));
      },
    }),
  ];
}

function send(reply: FastifyReply, page: LinkPage): string {
  reply.code(page.status).headers(LINK_PAGE_HEADERS);
  return page.html;
}

/**
 * Records refusals, but not without bound: anyone can send garbage, and a reloaded page or a mail
 * scanner repeats the same refusal. Once per link, reason and method per window, and at most 30
 * per client address per window; beyond that the page is still refused, just not written down.
 */
function refusalRecorder() {
  const perLink = new RateLimiter(1, REFUSAL_WINDOW_MS);
  const perAddress = new RateLimiter(30, REFUSAL_WINDOW_MS);
  return async (ctx: Ctx, req: FastifyRequest, outcome: LinkOutcome, how: 'opened' | 'used') => {
    const reason = refusalReason(outcome);
    if (!reason) return;
    const now = ctx.clock.now();
    const link = outcome.kind === 'invalid' ? `?${req.ip}` : outcome.claims.n;
    if (perLink.hit(`${reason}|${how}|${link}`, now) > 0 || perAddress.hit(req.ip, now) > 0) return;
    await recordLinkRefusal(ctx, outcome, how);
  };
}
