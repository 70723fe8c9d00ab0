import { z } from 'zod';
import * as signals from '../../modules/signals/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/** Alerts as stored, suppressed ones included ("suppressed signals are kept and visible"). */
export function alertRoutes(): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/alerts',
      access: 'viewer',
      tag: 'alerts',
      summary: 'Alerts, newest first by last_seen_at; filter by status, suppressed, service, integration, incident; keyset-paginated',
      query: signals.listAlertsQuery,
      response: { schema: signals.alertPage },
      handler: ({ ctx, req }) => signals.listAlerts(ctx, req.query as never),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/:ref/alerts',
      access: 'viewer',
      tag: 'alerts',
      summary: "An incident's alerts, newest first; the same filters and pagination as /api/v1/alerts",
      params: z.object({ ref: z.string().max(64) }),
      query: signals.listIncidentAlertsQuery,
      response: { schema: signals.alertPage },
      // The raw query goes to the verb, which parses it (the route already refused bad values).
      handler: ({ ctx, req, params }) => signals.listAlerts(ctx, { ...(req.query as object), incident: params.ref }),
    }),
  ];
}
