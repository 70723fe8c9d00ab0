import { z } from 'zod';
import * as silences from '../../modules/silences/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/** Silences: label matchers with an expiry; matching new alerts are kept but page nobody. */
export function silenceRoutes(): RouteDef[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/silences',
      access: 'responder',
      tag: 'silences',
      summary: 'Silence alerts matching label matchers until ends_at (or for a duration); a comment says why',
      body: silences.createSilenceInput,
      response: { status: 201, schema: silences.silenceView },
      handler: async ({ ctx, body, reply }) => {
        const view = await silences.createSilence(ctx, body);
        reply.status(201);
        return view;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/silences',
      access: 'viewer',
      tag: 'silences',
      summary: 'Silences, newest first, optionally only those active, pending or expired now',
      query: silences.listSilencesQuery,
      response: { schema: z.object({ data: z.array(silences.silenceView) }) },
      handler: ({ ctx, query }) => silences.listSilences(ctx, query),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/silences/:id',
      access: 'responder',
      tag: 'silences',
      summary: 'Expire a silence now (idempotent)',
      params: z.object({ id: z.string().max(64) }),
      response: { status: 204 },
      handler: async ({ ctx, params, reply }) => {
        await silences.expireSilence(ctx, params.id);
        reply.status(204);
        return null;
      },
    }),
  ];
}
