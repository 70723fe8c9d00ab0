import { z } from 'zod';
import * as drills from '../../modules/drills/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

const idParam = z.object({ id: z.string().max(64) });

/** Drills: runbooks run in drill mode with measured RTO/RPO, their history, reports and the DR KPIs. */
export function drillRoutes(): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/drills',
      access: 'viewer',
      tag: 'drills',
      summary: 'Drills declared in the config, each with its newest run',
      handler: async ({ ctx }) => drills.listDrills(ctx),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/drills/kpis',
      access: 'viewer',
      tag: 'drills',
      summary: 'DR KPIs: drills per service per month, restore tests passing, automation coverage of runbooks',
      query: z.strictObject({ months: z.coerce.number().int().min(1).max(24).optional() }),
      handler: async ({ ctx, query }) => drills.drillKpis(ctx, query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/drills/:id/runs',
      access: 'responder',
      tag: 'drills',
      summary: 'Start a drill now (its runbook run in drill mode); the report follows once it has ended',
      params: idParam,
      response: { status: 201 },
      handler: async ({ ctx, params, reply }) => {
        const run = await drills.startDrill(ctx, params.id);
        reply.status(201);
        return run;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/drill-runs',
      access: 'viewer',
      tag: 'drills',
      summary: 'Drill runs, newest first, by service and/or drill',
      query: drills.drillRunsQuery,
      handler: async ({ ctx, query }) => drills.listDrillRuns(ctx, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/drill-runs/:id',
      access: 'viewer',
      tag: 'drills',
      summary: "A drill run with its report: each step's duration, measured RTO and RPO against the objectives, pass/fail, action items",
      params: idParam,
      handler: async ({ ctx, params }) => drills.getDrillRun(ctx, params.id),
    }),
  ];
}
