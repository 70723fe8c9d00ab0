import { listRpo } from '../../modules/recovery/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/** Recovery points of the user's systems: each watched service's RPO exposure against its objective. */
export function recoveryRoutes(): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/recovery/rpo',
      access: 'viewer',
      tag: 'services',
      summary: "Each service's RPO exposure: its objective, newest restorable point, exposure (seconds), status (ok, warning, breached, unknown) and sources",
      handler: async ({ ctx }) => ({ data: await listRpo(ctx) }),
    }),
  ];
}
