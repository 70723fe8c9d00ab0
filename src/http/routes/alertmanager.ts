import { z } from 'zod';
import { DomainError, notFound } from '../../lib/errors.ts';
import type { Ctx } from '../../modules/context.ts';
import { ingestAlertmanager, integrationActor, integrationKeyMatches } from '../../modules/signals/index.ts';
import type { Intake } from '../intake.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/** As for the Events API: room for a large group (Alertmanager sends every alert of it). */
export const ALERTMANAGER_BODY_LIMIT = 512 * 1024;

/**
 * The Prometheus Alertmanager webhook receiver (payload version 4). Public in the route table: the
 * caller is authenticated by the integration's key, sent by Alertmanager as a Bearer token
 * (`http_config.authorization`). The key is never logged, stored or echoed.
 */
export function alertmanagerRoutes(intake: Intake): RouteDef[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/integrations/:id/alertmanager',
      access: 'public',
      tag: 'integrations',
      summary: 'Alertmanager webhook (version 4); authenticate with the integration key as Bearer token',
      params: z.object({ id: z.string().max(63) }),
      bodyLimit: ALERTMANAGER_BODY_LIMIT,
      response: { schema: z.object({ status: z.literal('success'), alerts: z.number().int() }), description: 'Every alert of the notification is stored' },
      handler: async ({ ctx, params, body, req }) => {
        const integration = ctx.config.current.integrations.find((i) => i.id === params.id);
        if (!integration || integration.type !== 'alertmanager') throw notFound('integration', params.id);
        const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
        if (!m || !integrationKeyMatches(integration, m[1])) {
          throw new DomainError('UNAUTHENTICATED', 'send the integration key as a Bearer token (Authorization header)');
        }
        intake.limits.enforce(integration, ctx.clock.now());
        const asIntegration: Ctx = { ...ctx, actor: integrationActor(integration) };
        const result = await ingestAlertmanager(asIntegration, integration.id, body);
        await intake.accepted(result.signal_id);
        return { status: 'success', alerts: result.alerts };
      },
    }),
  ];
}
