import { z } from 'zod';
import * as maintenance from '../../modules/maintenance/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/** Maintenance windows: scheduled, per service, in local time; alerts during them page nobody. */
export function maintenanceRoutes(): RouteDef[] {
  const id = z.object({ id: z.string().max(64) });
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/maintenance-windows',
      access: 'responder',
      tag: 'maintenance',
      summary: 'Schedule a maintenance window for services: local start and end in an IANA time zone, one-off or repeating daily or weekly',
      body: maintenance.createMaintenanceWindowInput,
      response: { status: 201, schema: maintenance.maintenanceWindowView },
      handler: async ({ ctx, body, reply }) => {
        const view = await maintenance.createMaintenanceWindow(ctx, body);
        reply.status(201);
        return view;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/maintenance-windows',
      access: 'viewer',
      tag: 'maintenance',
      summary: 'Maintenance windows, newest first; filter by state now (scheduled, in_progress, completed, cancelled) or service',
      query: maintenance.listMaintenanceWindowsQuery,
      response: { schema: z.object({ data: z.array(maintenance.maintenanceWindowView) }) },
      handler: ({ ctx, query }) => maintenance.listMaintenanceWindows(ctx, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/maintenance-windows/:id',
      access: 'viewer',
      tag: 'maintenance',
      summary: 'One maintenance window, with its occurrence in progress or next',
      params: id,
      response: { schema: maintenance.maintenanceWindowView },
      handler: ({ ctx, params }) => maintenance.getMaintenanceWindow(ctx, params.id),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/maintenance-windows/:id',
      access: 'responder',
      tag: 'maintenance',
      summary: 'Cancel a maintenance window now: an occurrence in progress ends, none follow (idempotent)',
      params: id,
      response: { schema: maintenance.maintenanceWindowView },
      handler: ({ ctx, params }) => maintenance.cancelMaintenanceWindow(ctx, params.id),
    }),
  ];
}
