import { z } from 'zod';
import * as sp from '../../modules/statuspage/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/**
 * Managing the status page (signed in): components and their overrides, public incidents and
 * their updates and postmortems, scheduled maintenance, and an internal incident's publication
 * (publish in one action, opt out of the automatic post). Each write refreshes this node's page
 * at once; other nodes see it within a second.
 */
export function statusPageAdminRoutes(service: sp.StatusPageService): RouteDef[] {
  const id = z.object({ id: z.string().max(64) });
  const ref = z.object({ ref: z.string().max(64) });
  const tag = 'status page';
  // The write has committed: a failure to refresh this node's page must not turn it into an error
  // (a retried request would post twice); the refresh loop catches up within a second.
  const after = async <T>(work: Promise<T>): Promise<T> => {
    const result = await work;
    await service.changed().catch((err: unknown) => service.logFailure(err, 'status page: refresh after a write failed'));
    return result;
  };
  const created = <T>(reply: { status(code: number): unknown }, value: T) => {
    reply.status(201);
    return value;
  };
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/status-page/components',
      access: 'viewer',
      tag,
      summary: 'Status page components: published status, what the rules derive, and any override with who set it',
      response: { schema: z.object({ data: z.array(sp.componentAdminView) }) },
      handler: ({ ctx }) => sp.listComponents(ctx),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/status-page/uptime',
      access: 'viewer',
      tag,
      summary: "The page's status and each showcased component's uptime bars (one day each, oldest first), as the public page draws them",
      response: { schema: sp.uptimeView },
      handler: async () => {
        const s = await service.cache.current();
        return { status: s.status, time_zone: s.page.time_zone, components: s.components.filter((c) => !c.group).map((c) => ({ id: c.id, name: c.name, status: c.status, days: s.uptime[c.id] ?? [] })) };
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/status-page/components/:id/override',
      access: 'responder',
      tag,
      summary: "Override a component's status (with a reason) until cleared",
      params: id,
      body: sp.componentOverrideInput,
      response: { schema: sp.componentAdminView },
      handler: ({ ctx, params, body }) => after(sp.setComponentOverride(ctx, params.id, body)),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/status-page/components/:id/override',
      access: 'responder',
      tag,
      summary: 'Clear an override: the component shows what incidents, monitors and maintenance say (idempotent)',
      params: id,
      response: { schema: sp.componentAdminView },
      handler: ({ ctx, params }) => after(sp.clearComponentOverride(ctx, params.id)),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/status-page/incidents',
      access: 'viewer',
      tag,
      summary: 'Public incidents (or maintenances with kind=maintenance), newest first, with their internal links',
      query: sp.listPublicIncidentsQuery,
      response: { schema: z.object({ data: z.array(sp.publicIncidentAdminView) }) },
      handler: ({ ctx, query }) => sp.listPublicIncidents(ctx, query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/status-page/incidents',
      access: 'responder',
      tag,
      summary: 'Post a public incident written for customers, optionally linked to an internal incident',
      body: sp.createPublicIncidentInput,
      response: { status: 201, schema: sp.publicIncidentAdminView },
      handler: async ({ ctx, body, reply }) => created(reply, await after(sp.createPublicIncident(ctx, body))),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/status-page/incidents/:id',
      access: 'viewer',
      tag,
      summary: 'One public incident or maintenance with every update',
      params: id,
      response: { schema: sp.publicIncidentAdminView },
      handler: ({ ctx, params }) => sp.getPublicIncident(ctx, params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/status-page/incidents/:id/updates',
      access: 'responder',
      tag,
      summary: 'Post an update: phase (investigating, identified, monitoring, resolved), text, component statuses',
      params: id,
      body: sp.publicUpdateInput,
      response: { status: 201, schema: sp.publicIncidentAdminView },
      handler: async ({ ctx, params, body, reply }) => created(reply, await after(sp.postPublicUpdate(ctx, params.id, body))),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/status-page/incidents/:id/postmortem',
      access: 'responder',
      tag,
      summary: 'Attach a published postmortem to a resolved public incident (status becomes postmortem)',
      params: id,
      body: sp.postmortemInput,
      response: { status: 201, schema: sp.publicIncidentAdminView },
      handler: async ({ ctx, params, body, reply }) => created(reply, await after(sp.publishPostmortem(ctx, params.id, body))),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/status-page/maintenances',
      access: 'viewer',
      tag,
      summary: 'Scheduled maintenances, newest first',
      query: sp.listPublicIncidentsQuery.omit({ kind: true }),
      response: { schema: z.object({ data: z.array(sp.publicIncidentAdminView) }) },
      handler: ({ ctx, query }) => sp.listPublicIncidents(ctx, { ...(query as object), kind: 'maintenance' }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/status-page/maintenances',
      access: 'responder',
      tag,
      summary: 'Schedule a maintenance: local start and end in an IANA zone; moves by itself, reminds subscribers, keeps alerts from paging',
      body: sp.scheduleMaintenanceInput,
      response: { status: 201, schema: sp.publicIncidentAdminView },
      handler: async ({ ctx, body, reply }) => created(reply, await after(sp.scheduleMaintenance(ctx, body))),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/status-page/maintenances/:id/updates',
      access: 'responder',
      tag,
      summary: 'Move a maintenance by hand (in_progress, verifying, completed) with a message',
      params: id,
      body: sp.maintenanceUpdateInput,
      response: { status: 201, schema: sp.publicIncidentAdminView },
      handler: async ({ ctx, params, body, reply }) => created(reply, await after(sp.updateMaintenance(ctx, params.id, body))),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/:ref/status-page',
      access: 'viewer',
      tag,
      summary: "An incident's publication: whether it is posted automatically and why, opt-out, its public incident, time to first post, and a draft from the templates",
      params: ref,
      response: { schema: sp.publicationView },
      handler: ({ ctx, params }) => sp.getPublication(ctx, params.ref),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:ref/status-page/publish',
      access: 'responder',
      tag,
      summary: "Publish the incident's current phase in one action (from the templates unless fields are given)",
      params: ref,
      body: sp.publishIncidentInput,
      response: { schema: sp.publicationView },
      handler: ({ ctx, params, body }) => after(sp.publishIncident(ctx, params.ref, body)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:ref/status-page/opt-out',
      access: 'responder',
      tag,
      summary: 'Keep the incident off the status page: cancels its automatic post (with a reason)',
      params: ref,
      body: sp.optOutInput,
      response: { schema: sp.publicationView },
      handler: ({ ctx, params, body }) => after(sp.optOut(ctx, params.ref, body)),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/incidents/:ref/status-page/opt-out',
      access: 'responder',
      tag,
      summary: 'Withdraw an opt-out: the automatic post is due again if the incident qualifies',
      params: ref,
      response: { schema: sp.publicationView },
      handler: ({ ctx, params }) => after(sp.optIn(ctx, params.ref)),
    }),
  ];
}
