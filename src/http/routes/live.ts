import { z } from 'zod';
import type { LiveStream } from '../live-stream.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/** The console's live updates: incident events as Server-Sent Events (see live-stream.ts). */
export function liveRoutes(stream: LiveStream): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/stream',
      access: 'viewer',
      tag: 'live',
      summary: 'Server-Sent Events: `incident` (id = event id; data: incident_id, ref, topic, at) for every incident change, `ready`, `reset`; resumes from Last-Event-ID',
      query: z.strictObject({ max_seconds: z.coerce.number().int().min(0).max(86_400).optional() }),
      handler: async ({ req, reply, query }) => {
        const last = Number(req.headers['last-event-id']);
        reply.hijack();
        await stream.open(reply.raw, { lastEventId: Number.isSafeInteger(last) && last >= 0 ? last : null, maxSeconds: query.max_seconds ?? null });
      },
    }),
  ];
}
