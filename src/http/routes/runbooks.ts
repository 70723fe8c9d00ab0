import { z } from 'zod';
import * as runbooks from '../../modules/runbooks/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

const idParam = z.object({ id: z.string().max(64) });

/** Runbooks: definitions from the config, runs (and dry runs), approvals, resume and cancel. */
export function runbookRoutes(): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/runbooks',
      access: 'viewer',
      tag: 'runbooks',
      summary: 'Runbooks declared in the config, each with its version (a hash of its definition)',
      response: { schema: z.object({ data: z.array(runbooks.runbookView) }) },
      handler: async ({ ctx }) => runbooks.listRunbooks(ctx),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/runbooks/:id',
      access: 'viewer',
      tag: 'runbooks',
      summary: 'One runbook with its full definition',
      params: idParam,
      response: { schema: runbooks.runbookDetailView },
      handler: async ({ ctx, params }) => runbooks.getRunbook(ctx, params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/runbooks/:id/runs',
      access: 'responder',
      tag: 'runbooks',
      summary: 'Start a run (queued for a runner), or with dry_run get the resolved plan and run nothing',
      params: idParam,
      body: runbooks.startRunInput,
      response: { status: 201, schema: runbooks.startRunResult },
      handler: async ({ ctx, params, body, reply }) => {
        const result = await runbooks.startRun(ctx, params.id, body);
        reply.status(201);
        return result;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/runbook-runs',
      access: 'viewer',
      tag: 'runbooks',
      summary: 'Runs, newest first, by status, incident or runbook',
      query: runbooks.listRunsQuery,
      response: { schema: z.object({ data: z.array(runbooks.runView) }) },
      handler: ({ ctx, query }) => runbooks.listRuns(ctx, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/runbook-runs/:id',
      access: 'viewer',
      tag: 'runbooks',
      summary: 'A run with every attempt of every step: inputs, outputs, times, who approved (secrets masked)',
      params: idParam,
      response: { schema: runbooks.runDetailView },
      handler: ({ ctx, params }) => runbooks.getRun(ctx, params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/runbook-runs/:id/approve',
      access: 'responder',
      tag: 'runbooks',
      summary: 'Approve the step a run waits on (someone other than who started the run)',
      params: idParam,
      body: runbooks.decisionInput,
      response: { schema: runbooks.runDetailView },
      handler: ({ ctx, params, body }) => runbooks.decideStep(ctx, params.id, 'approve', body),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/runbook-runs/:id/reject',
      access: 'responder',
      tag: 'runbooks',
      summary: "Reject the step a run waits on: the step fails and its on_failure applies",
      params: idParam,
      body: runbooks.decisionInput,
      response: { schema: runbooks.runDetailView },
      handler: ({ ctx, params, body }) => runbooks.decideStep(ctx, params.id, 'reject', body),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/runbook-runs/:id/resume',
      access: 'responder',
      tag: 'runbooks',
      summary: 'Resume a failed or interrupted run from the step it stopped at',
      params: idParam,
      response: { schema: runbooks.runDetailView },
      handler: ({ ctx, params }) => runbooks.resumeRun(ctx, params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/runbook-runs/:id/cancel',
      access: 'responder',
      tag: 'runbooks',
      summary: 'Cancel a run; a step in progress is stopped (a command is killed with its process group)',
      params: idParam,
      response: { schema: runbooks.runDetailView },
      handler: ({ ctx, params }) => runbooks.cancelRun(ctx, params.id),
    }),
  ];
}
