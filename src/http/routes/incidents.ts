import { z } from 'zod';
import * as incidents from '../../modules/incidents/index.ts';
import type { MonitorRunner } from '../../modules/monitors/index.ts';
import { resolveIncident, type RunCheck } from '../../modules/resolution/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

const refParams = z.object({ ref: z.string().max(64) });
const VERB_SUMMARIES: Record<incidents.LifecycleVerb, string> = {
  acknowledge: 'Acknowledge: someone is on it',
  investigate: 'Move to investigating',
  identify: 'Move to identified: the cause is known',
  monitor: 'Move to monitoring: a fix is in, watching',
  resolve: 'Resolve (validated)',
  close: 'Close a resolved incident',
  reopen: 'Reopen a resolved incident',
};

export function incidentRoutes(runner: MonitorRunner | null = null): RouteDef[] {
  // Resolving runs the affected services' health checks now, recorded like scheduled ones.
  const runCheck: RunCheck | null = runner
    ? async (monitor) => {
        const { result } = await runner.checkNow(monitor);
        return { status: result.status, durationMs: result.durationMs, message: result.message };
      }
    : null;
  const page = z.object({ data: z.array(incidents.incidentView), next_cursor: z.string().nullable() });
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents',
      access: 'viewer',
      tag: 'incidents',
      summary: 'List incidents, newest first, filtered by state, severity, service and time; cursor-paginated',
      query: incidents.listIncidentsQuery,
      response: { schema: page },
      handler: ({ ctx, req }) => incidents.listIncidents(ctx, req.query as never),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/counts',
      access: 'viewer',
      tag: 'incidents',
      summary: 'Open incidents counted per severity and per state, exactly, however many there are',
      response: { schema: incidents.openIncidentCountsView },
      handler: ({ ctx }) => incidents.countOpenIncidents(ctx),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents',
      access: 'responder',
      tag: 'incidents',
      summary: 'Declare an incident',
      body: incidents.createIncidentInput,
      response: { status: 201, schema: incidents.incidentView },
      handler: async ({ ctx, body, reply }) => {
        const view = await incidents.createIncident(ctx, body as never);
        reply.status(201).header('location', `/api/v1/incidents/${view.ref}`);
        return view;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/:ref',
      access: 'viewer',
      tag: 'incidents',
      summary: 'One incident (INC-42, 42 or its id) with its timeline',
      params: refParams,
      response: { schema: incidents.incidentView.extend({ timeline: z.array(incidents.timelineEntryView), recent_changes: z.array(incidents.changeEventView), postmortem: incidents.incidentPostmortemSummary.nullable() }) },
      handler: ({ ctx, params }) => incidents.getIncident(ctx, params.ref),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/incidents/:ref',
      access: 'responder',
      tag: 'incidents',
      summary: 'Edit title, description or war-room link',
      params: refParams,
      body: incidents.updateIncidentInput,
      response: { schema: incidents.incidentView },
      handler: ({ ctx, params, body }) => incidents.updateIncident(ctx, params.ref, body as never),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:ref/resolve',
      access: 'responder',
      tag: 'incidents',
      summary: "Resolve, once validated: the services' health checks run now and must pass, performance within target, no open alerts, no recent user reports (409 RESOLUTION_NOT_VALIDATED says what failed; override_reason resolves anyway, recorded)",
      params: refParams,
      body: incidents.resolveInput,
      response: { schema: incidents.incidentView },
      handler: ({ ctx, params, body }) => resolveIncident(ctx, params.ref, (body ?? {}) as never, { runCheck }),
    }),
    ...incidents.LIFECYCLE_VERB_NAMES.filter((verb) => verb !== 'resolve').map((verb) =>
      defineRoute({
        method: 'POST',
        url: `/api/v1/incidents/:ref/${verb}`,
        access: 'responder',
        tag: 'incidents',
        summary: VERB_SUMMARIES[verb],
        params: refParams,
        body: incidents.transitionInput,
        response: { schema: incidents.incidentView },
        handler: ({ ctx, params, body }) => incidents.transitionIncident(ctx, params.ref, verb, (body ?? {}) as never),
      }),
    ),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:ref/mitigations',
      access: 'responder',
      tag: 'incidents',
      summary: 'Record a workaround or a rollback (a timeline entry of its own kind, with what it changed)',
      params: refParams,
      body: incidents.mitigationInput,
      response: { status: 201, schema: incidents.timelineEntryView },
      handler: async ({ ctx, params, body, reply }) => {
        const entry = await incidents.recordMitigation(ctx, params.ref, body as never);
        reply.status(201);
        return entry;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:ref/notes',
      access: 'responder',
      tag: 'incidents',
      summary: 'Add a note to the timeline',
      params: refParams,
      body: incidents.noteInput,
      response: { status: 201, schema: incidents.timelineEntryView },
      handler: async ({ ctx, params, body, reply }) => {
        reply.status(201);
        return incidents.addNote(ctx, params.ref, body as never);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:ref/severity',
      access: 'responder',
      tag: 'incidents',
      summary: 'Change severity, with a reason',
      params: refParams,
      body: incidents.severityInput,
      response: { schema: incidents.incidentView },
      handler: ({ ctx, params, body }) => incidents.changeSeverity(ctx, params.ref, body as never),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:ref/roles',
      access: 'responder',
      tag: 'incidents',
      summary: 'Assign or remove a role: commander, communications_lead, scribe, responder',
      params: refParams,
      body: incidents.roleInput,
      response: { schema: incidents.incidentView },
      handler: ({ ctx, params, body }) => incidents.assignRole(ctx, params.ref, body as never),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:ref/services',
      access: 'responder',
      tag: 'incidents',
      summary: 'Add affected services; impact is recomputed',
      params: refParams,
      body: incidents.addServicesInput,
      response: { schema: incidents.incidentView },
      handler: ({ ctx, params, body }) => incidents.addServices(ctx, params.ref, body as never),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/:ref/timeline',
      access: 'viewer',
      tag: 'incidents',
      summary: 'The incident timeline, oldest first',
      params: refParams,
      response: { schema: z.object({ data: z.array(incidents.timelineEntryView) }) },
      handler: async ({ ctx, params }) => ({ data: await incidents.getIncidentTimeline(ctx, params.ref) }),
    }),
  ];
}
