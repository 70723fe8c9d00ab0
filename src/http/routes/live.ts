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
      summary: 'Server-Sent Events: `incident` (id = event id; data: incident_id, ref, topic, at) for every incident change, `ready`, `reset`; resumes from Last-Event-ID (or ?last_event_id=, for a new EventSource)',
      query: z.strictObject({ max_seconds: z.coerce.number().int().min(0).max(86_400).optional(), last_event_id: z.coerce.number().int().min(0).optional() }),
      handler: async ({ req, reply, query }) => {
        // The header is what a reconnecting EventSource sends; a new one can only pass the query.
        const header = req.headers['last-event-id'];
        const last = header !== undefined ? Number(header) : (query.last_event_id ?? Number.NaN);
        reply.hijack();
        await stream.open(reply.raw, { lastEventId: Number.isSafeInteger(last) && last >= 0 ? last : null, maxSeconds: query.max_seconds ?? null });
      },
    }),
  ];
}
