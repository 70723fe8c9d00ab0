import { z } from 'zod';
import { explainPayload } from '../../modules/signals/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';
import { ALERTMANAGER_BODY_LIMIT } from './alertmanager.ts';

/**
 * The explain endpoint: a sample payload in, what the pipeline would do with it out, nothing
 * stored. For people, not senders: a signed-in user or token, never the integration key.
 */
export function explainRoutes(): RouteDef[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/integrations/:id/explain',
      access: 'viewer',
      tag: 'integrations',
      summary:
        'Explain a sample payload without storing it: dedup key, service, matching silences and maintenance windows, the incident it would join or open, and the severity with the rule that decided it',
      params: z.object({ id: z.string().max(63) }),
      bodyLimit: ALERTMANAGER_BODY_LIMIT,
      response: {
        schema: z.object({ integration: z.string(), type: z.string(), alerts: z.array(z.record(z.string(), z.unknown())) }),
        description: 'One explanation per alert of the sample',
      },
      handler: ({ ctx, params, body }) => explainPayload(ctx, params.id, body),
    }),
  ];
}
