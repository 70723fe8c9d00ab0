import { z } from 'zod';
import { failedSignalView, listFailedSignals, listFailedSignalsQuery, retryFailedSignal } from '../../modules/signals/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/** Signals set aside because their work failed: see them, and queue one again once the cause is fixed. */
export function signalRoutes(): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/signals/failed',
      access: 'responder',
      tag: 'integrations',
      summary: 'Accepted signals whose work could not be applied after every retry, with the error, newest first',
      query: listFailedSignalsQuery,
      response: { schema: z.object({ data: z.array(failedSignalView), next_before: z.number().nullable() }) },
      handler: ({ ctx, query }) => listFailedSignals(ctx, query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/signals/:id/retry',
      access: 'admin',
      tag: 'integrations',
      summary: 'Queue a set-aside signal again: its error is cleared and the signal processor applies its stored work on its next round',
      params: z.object({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
      response: { schema: failedSignalView, description: 'The signal as it was (with the error it had)' },
      handler: ({ ctx, params }) => retryFailedSignal(ctx, params.id),
    }),
  ];
}
