import { z } from 'zod';
import { DomainError, notFound } from '../../lib/errors.ts';
import type { Ctx } from '../../modules/context.ts';
import { ingestGeneric, integrationActor, integrationKeyMatches } from '../../modules/signals/index.ts';
import type { Intake } from '../intake.ts';
import { defineRoute, type RouteDef } from '../route.ts';
import { ALERTMANAGER_BODY_LIMIT } from './alertmanager.ts';

/**
 * The generic JSON webhook: any sender whose body the integration's `mapping` describes. Public in
 * the route table: the caller is authenticated by the integration's key, as a Bearer token or, for
 * senders that cannot set headers, as the `key` query parameter (redacted from request logs by the
 * logger's req serializer). The key is never logged, stored or echoed.
 */
export function webhookRoutes(intake: Intake): RouteDef[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/integrations/:id/webhook',
      access: 'public',
      tag: 'integrations',
      summary: 'Generic JSON webhook mapped by the integration; authenticate with the integration key as Bearer token or ?key=',
      params: z.object({ id: z.string().max(63) }),
      // Not validated by schema: a bad key must be a 401, and messages must never repeat it.
      query: z.object({ key: z.unknown().optional() }),
      bodyLimit: ALERTMANAGER_BODY_LIMIT,
      response: { schema: z.object({ status: z.literal('success'), alerts: z.number().int() }), description: 'Every alert of the body is stored' },
      handler: async ({ ctx, params, body, req }) => {
        const integration = ctx.config.current.integrations.find((i) => i.id === params.id);
        if (!integration || integration.type !== 'generic') throw notFound('integration', params.id);
        const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
        const fromQuery = (req.query as { key?: unknown } | undefined)?.key;
        const presented = m ? m[1] : typeof fromQuery === 'string' ? fromQuery : null;
        if (presented === null || !integrationKeyMatches(integration, presented)) {
          throw new DomainError('UNAUTHENTICATED', 'send the integration key as a Bearer token (Authorization header) or as the key query parameter');
        }
        intake.limits.enforce(integration, ctx.clock.now());
        const asIntegration: Ctx = { ...ctx, actor: integrationActor(integration) };
        const result = await ingestGeneric(asIntegration, integration.id, body);
        await intake.accepted(result.signal_id);
        return { status: 'success', alerts: result.alerts };
      },
    }),
  ];
}
