import { z } from 'zod';
import { DomainError, notFound } from '../../lib/errors.ts';
import type { Ctx } from '../../modules/context.ts';
import { ingestGrafana, integrationActor, integrationKeyMatches } from '../../modules/signals/index.ts';
import type { Intake } from '../intake.ts';
import { defineRoute, type RouteDef } from '../route.ts';
import { ALERTMANAGER_BODY_LIMIT } from './alertmanager.ts';

/**
 * The Grafana Alerting webhook contact point (payload version 1). Public in the route table: the
 * caller is authenticated by the integration's key, which Grafana sends as a Bearer token (the
 * contact point's Authorization header credentials). The key is never logged, stored or echoed.
 */
export function grafanaRoutes(intake: Intake): RouteDef[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/integrations/:id/grafana',
      access: 'public',
      tag: 'integrations',
      summary: 'Grafana Alerting webhook (version 1); authenticate with the integration key as Bearer token',
      params: z.object({ id: z.string().max(63) }),
      bodyLimit: ALERTMANAGER_BODY_LIMIT,
      response: { schema: z.object({ status: z.literal('success'), alerts: z.number().int() }), description: 'Every alert of the notification is stored' },
      handler: async ({ ctx, params, body, req }) => {
        const integration = ctx.config.current.integrations.find((i) => i.id === params.id);
        if (!integration || integration.type !== 'grafana') throw notFound('integration', params.id);
        const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
        if (!m || !integrationKeyMatches(integration, m[1])) {
          throw new DomainError('UNAUTHENTICATED', 'send the integration key as a Bearer token (Authorization header)');
        }
        intake.limits.enforce(integration, ctx.clock.now());
        const asIntegration: Ctx = { ...ctx, actor: integrationActor(integration) };
        const result = await ingestGrafana(asIntegration, integration.id, body);
        await intake.accepted(result.signal_id);
        return { status: 'success', alerts: result.alerts };
      },
    }),
  ];
}
