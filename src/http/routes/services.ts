import { z } from 'zod';
import { requireRole } from '../../modules/context.ts';
import { listObjectives } from '../../modules/recovery/index.ts';
import { getService, listServices } from '../../modules/services/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

export function serviceRoutes(): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/services',
      access: 'viewer',
      tag: 'services',
      summary: 'Services from the config, with dependencies, dependents and open incidents',
      handler: async ({ ctx }) => ({ data: await listServices(ctx) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/services/:id',
      access: 'viewer',
      tag: 'services',
      summary: 'One service',
      params: z.object({ id: z.string().max(63) }),
      handler: ({ ctx, params }) => getService(ctx, params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/recovery/objectives',
      access: 'viewer',
      tag: 'services',
      summary: "Each service's recovery objectives (RTO, RPO in seconds) and where they come from: the service, its tier or its data class",
      handler: async ({ ctx }) => ({
        data: listObjectives(ctx).map(({ rto_ms, rpo_ms, ...o }) => ({ ...o, rto_seconds: Math.round(rto_ms / 1000), rpo_seconds: Math.round(rpo_ms / 1000) })),
      }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/severities',
      access: 'viewer',
      tag: 'services',
      summary: 'The severity policy in force (targets in seconds)',
      handler: async ({ ctx }) => {
        requireRole(ctx, 'viewer');
        const s = ctx.config.current.severities;
        const sec = (ms: number) => Math.round(ms / 1000);
        return {
          data: Object.entries(s).map(([level, p]) => ({
            level,
            name: p.name,
            definition: p.definition,
            examples: p.examples,
            response_target_seconds: sec(p.response_target),
            ack_target_seconds: sec(p.ack_target),
            resolve_target_seconds: sec(p.resolve_target),
            update_cadence_seconds: sec(p.update_cadence),
            escalation: p.escalation,
            notify: p.notify.map((n) => ({ group: n.group, within_seconds: sec(n.within) })),
            public: p.public,
          })),
        };
      },
    }),
  ];
}
