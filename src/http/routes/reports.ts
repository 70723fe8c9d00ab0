import { z } from 'zod';
import { DomainError } from '../../lib/errors.ts';
import { RateLimiter } from '../../modules/auth/index.ts';
import * as reports from '../../modules/reports/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/** Room for the largest valid report even when every character arrives as a JSON escape. */
export const REPORT_BODY_LIMIT = 64 * 1024;

/**
 * User reports: signed-in people report a problem with a service; the public form does the same
 * without signing in, when enabled, rate-limited per client address.
 */
export function reportRoutes(): RouteDef[] {
  // One limiter per app; a reload that changes the limit starts a fresh one.
  let limiter: { perMinute: number; limiter: RateLimiter } | null = null;
  const limiterFor = (perMinute: number) => {
    if (limiter?.perMinute !== perMinute) limiter = { perMinute, limiter: new RateLimiter(perMinute, 60_000) };
    return limiter.limiter;
  };

  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/reports',
      access: 'viewer',
      tag: 'reports',
      summary: 'Report a problem with a service; enough reports close together open (or join) an incident',
      body: reports.submitReportInput,
      bodyLimit: REPORT_BODY_LIMIT,
      response: { status: 201, schema: reports.submitReportResult },
      handler: async ({ ctx, body, req, reply }) => {
        const result = await reports.submitReport(ctx, body, { address: req.ip });
        reply.status(201);
        return result;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/reports/anonymous',
      access: 'public',
      tag: 'reports',
      summary: 'Report a problem without signing in (when reports.anonymous.enabled); rate-limited per client address',
      body: reports.submitReportInput,
      bodyLimit: REPORT_BODY_LIMIT,
      response: { status: 201, schema: reports.anonymousReportResult, description: 'The report is stored; nothing about its group or incident is disclosed' },
      handler: async ({ ctx, body, req, reply }) => {
        const settings = ctx.config.current.reports.anonymous;
        if (!settings.enabled) throw new DomainError('NOT_FOUND', 'anonymous reports are not enabled');
        // Only reports that would be stored count against the limit; refused input stores nothing.
        reports.parseReport(ctx, body);
        const wait = limiterFor(settings.rate_limit.per_minute).hit(req.ip, ctx.clock.now());
        if (wait > 0) throw new DomainError('RATE_LIMITED', 'Too many reports from this address; wait and try again', { retry_after: Math.ceil(wait / 1000) });
        const result = await reports.submitReport(ctx, body, { anonymous: true, address: req.ip });
        reply.status(201);
        return { id: result.id };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/reports',
      access: 'viewer',
      tag: 'reports',
      summary: 'User reports, newest first, optionally for one service; contact details for responders and up',
      query: reports.listReportsQuery,
      response: { schema: z.object({ data: z.array(reports.reportView) }) },
      handler: ({ ctx, query }) => reports.listReports(ctx, query),
    }),
  ];
}
