import { z } from 'zod';
import * as pm from '../../modules/postmortems/index.ts';
import type { StatusPageService } from '../../modules/statuspage/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/**
 * Postmortems (created on resolve for the configured severities, or on request), their revisions,
 * Markdown export and publication on the status page; action items across incidents.
 */
export function postmortemRoutes(statusPage: StatusPageService): RouteDef[] {
  const id = z.object({ id: z.string().max(64) });
  const ref = z.object({ ref: z.string().max(64) });
  const tag = 'postmortems';
  const created = <T>(reply: { status(code: number): unknown }, value: T) => {
    reply.status(201);
    return value;
  };
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/postmortems',
      access: 'viewer',
      tag,
      summary: 'Postmortems across incidents, newest first, filtered by status, owner and overdue; limit/offset paging',
      query: pm.listPostmortemsQuery,
      response: { schema: z.object({ data: z.array(pm.postmortemSummaryView), next_offset: z.number().nullable() }) },
      handler: ({ ctx, req }) => pm.listPostmortems(ctx, req.query as never),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:ref/postmortem',
      access: 'responder',
      tag,
      summary: 'Ask for a postmortem of a resolved incident of any severity (409 CONFLICT if it has one)',
      params: ref,
      body: pm.requestPostmortemInput,
      response: { status: 201, schema: pm.postmortemView },
      handler: async ({ ctx, params, body, reply }) => created(reply, await pm.requestPostmortem(ctx, params.ref, body as never)),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/:ref/postmortem',
      access: 'viewer',
      tag,
      summary: "An incident's postmortem (404 when it has none)",
      params: ref,
      response: { schema: pm.postmortemView },
      handler: ({ ctx, params }) => pm.getIncidentPostmortem(ctx, params.ref),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/postmortems/:id',
      access: 'viewer',
      tag,
      summary: 'One postmortem: facts, sections, action items and blameless-language hints',
      params: id,
      response: { schema: pm.postmortemView },
      handler: ({ ctx, params }) => pm.getPostmortem(ctx, params.id),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/postmortems/:id',
      access: 'responder',
      tag,
      summary: 'Save sections, status or owner, naming the revision edited (409 CONFLICT when stale); every save is a revision',
      params: id,
      body: pm.updatePostmortemInput,
      response: { schema: pm.postmortemView },
      handler: ({ ctx, params, body }) => pm.updatePostmortem(ctx, params.id, body as never),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/postmortems/:id/revisions',
      access: 'viewer',
      tag,
      summary: 'Every saved revision, oldest first, with who saved it and what changed',
      params: id,
      response: { schema: z.object({ data: z.array(pm.revisionView) }) },
      handler: ({ ctx, params }) => pm.listPostmortemRevisions(ctx, params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/postmortems/:id/export.md',
      access: 'viewer',
      tag,
      summary: 'The postmortem as a Markdown document (text/markdown)',
      params: id,
      response: { description: 'A Markdown document, text/markdown' },
      handler: async ({ ctx, params, reply }) => {
        const { filename, markdown } = await pm.exportPostmortemMarkdown(ctx, params.id);
        reply.type('text/markdown; charset=utf-8');
        reply.header('content-disposition', `inline; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
        return markdown;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/postmortems/:id/publish',
      access: 'responder',
      tag,
      summary: "Publish the customer-facing postmortem on the incident's public status-page incident (409 CONFLICT when it has none)",
      params: id,
      body: pm.publishPostmortemInput,
      response: { status: 201, schema: pm.publishResultView },
      handler: async ({ ctx, params, body, reply }) => {
        const result = await pm.publishPostmortemToStatusPage(ctx, params.id, body as never);
        // Committed: a failed refresh of this node's page must not turn into an error (a retry would post twice).
        await statusPage.changed().catch((err: unknown) => statusPage.logFailure(err, 'status page: refresh after publishing a postmortem failed'));
        return created(reply, result);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/action-items',
      access: 'viewer',
      tag,
      summary: 'Action items across incidents, soonest due first, filtered by status, owner, incident, priority, overdue and due_before; limit/offset paging',
      query: pm.listActionItemsQuery,
      response: { schema: z.object({ data: z.array(pm.actionItemView), next_offset: z.number().nullable() }) },
      handler: ({ ctx, req }) => pm.listActionItems(ctx, req.query as never),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/action-items',
      access: 'responder',
      tag,
      summary: 'File an action item on an incident (and its postmortem)',
      body: pm.createActionItemInput,
      response: { status: 201, schema: pm.actionItemView },
      handler: async ({ ctx, body, reply }) => {
        const item = await pm.createActionItem(ctx, body as never);
        reply.status(201).header('location', `/api/v1/action-items/${item.id}`);
        return item;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/action-items/:id',
      access: 'viewer',
      tag,
      summary: 'One action item',
      params: id,
      response: { schema: pm.actionItemView },
      handler: ({ ctx, params }) => pm.getActionItem(ctx, params.id),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/action-items/:id',
      access: 'responder',
      tag,
      summary: "Edit an action item: title, description, owner, due date, priority, tracker link, status (done and won't do close it)",
      params: id,
      body: pm.updateActionItemInput,
      response: { schema: pm.actionItemView },
      handler: ({ ctx, params, body }) => pm.updateActionItem(ctx, params.id, body as never),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/:ref/action-items',
      access: 'viewer',
      tag,
      summary: "An incident's action items, oldest first",
      params: ref,
      response: { schema: z.object({ data: z.array(pm.actionItemView) }) },
      handler: ({ ctx, params }) => pm.listIncidentActionItems(ctx, params.ref),
    }),
  ];
}
