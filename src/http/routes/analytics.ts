import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import * as analytics from '../../modules/analytics/index.ts';
import type { Ctx } from '../../modules/context.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/** CSV when asked for with `?format=csv`, or by `Accept: text/csv` when no format is given. */
function wantsCsv(req: FastifyRequest): boolean {
  const format = (req.query as Record<string, unknown>)?.format;
  if (format !== undefined) return format === 'csv';
  return /(^|,)\s*text\/csv\b/i.test(String(req.headers.accept ?? ''));
}

function report<R extends { period: { from: string; to: string } }>(
  name: string,
  summary: string,
  schema: z.ZodType,
  build: (ctx: Ctx, query: analytics.AnalyticsQueryInput) => Promise<R>,
  csv: (r: R) => string,
): RouteDef {
  return defineRoute({
    method: 'GET',
    url: `/api/v1/analytics/${name}`,
    access: 'viewer',
    tag: 'analytics',
    summary,
    query: analytics.analyticsQuery,
    response: { schema, description: 'JSON, or CSV with ?format=csv or Accept: text/csv' },
    handler: async ({ ctx, req, reply }: { ctx: Ctx; req: FastifyRequest; reply: FastifyReply }) => {
      // The verb parses the raw query itself (the route's parse is for validation and the docs).
      const r = await build(ctx, req.query as analytics.AnalyticsQueryInput);
      if (!wantsCsv(req)) return r;
      const stamp = (iso: string) => iso.slice(0, 16).replace(/[^0-9T]/g, '');
      reply.type('text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="firebreak-${name}-${stamp(r.period.from)}-${stamp(r.period.to)}.csv"`);
      return csv(r);
    },
  });
}

/** Incident KPIs over a period, per severity and service; JSON or CSV. */
export function analyticsRoutes(): RouteDef[] {
  return [
    report('response', 'MTTD, MTTA, time to respond and MTTR per severity: mean, exact p90, targets and the share within them', analytics.responseReportView, analytics.responseReport, analytics.responseCsv),
    report('quality', 'Escalation accuracy, false positives, automatic detection, reopen rate, status-page and stakeholder notification times', analytics.qualityReportView, analytics.qualityReport, analytics.qualityCsv),
    report('availability', 'Availability per service from its monitors against its target: error budget remaining and burn rates', analytics.availabilityReportView, analytics.availabilityReport, analytics.availabilityCsv),
    report('postmortems', 'Postmortems completed on time and action items closed, for the incidents of a period', analytics.postmortemsReportView, analytics.postmortemsReport, analytics.postmortemsCsv),
    report('patterns', 'Recurring incidents, incident minutes per service, the alerts that fire and page most, an hour-of-week heat map', analytics.patternsReportView, analytics.patternsReport, analytics.patternsCsv),
  ];
}
