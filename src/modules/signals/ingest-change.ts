import { q, withTransaction } from '../../db/transaction.ts';
import { notFound } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { recordChange } from '../incidents/index.ts';
import { OPEN_STATES } from '../incidents/state-machine.ts';
import { insertSignal } from './repository.ts';
import { pdChangeEvent } from './schemas.ts';
import { parseSenderTime } from './alert-lifecycle.ts';

/**
 * Stores a change event (a deploy, a config change) for the integration's service, in one
 * transaction with its signal, and notes it on the timeline of every incident open on that
 * service. It never opens an incident or pages anyone. Incidents that open later show it among
 * their recent changes (see getIncident).
 */
export async function ingestChange(ctx: Ctx, integrationId: string, input: unknown): Promise<{ change_id: number }> {
  requireRole(ctx, 'responder');
  // Change events arrive on the Events API, so only its integrations take them.
  const integration = ctx.config.current.integrations.find((i) => i.id === integrationId && i.type === 'events_v2');
  if (!integration) throw notFound('integration', integrationId);
  const event = pdChangeEvent.parse(input);
  const now = ctx.clock.now();
  const happenedAt = parseSenderTime(event.payload.timestamp, now, 'payload.timestamp');
  // The routing key is a credential: it is not kept with the event.
  const { routing_key: _key, ...stored } = input as Record<string, unknown>;
  return withTransaction(ctx, async (tx) => {
    const signalId = await insertSignal(tx, { integration_id: integration.id, received_at: now, kind: 'change', event_action: null, dedup_key: null, payload: JSON.stringify(stored) });
    const { id } = await q(tx)
      .insertInto('change_events')
      .values({
        signal_id: signalId,
        integration_id: integration.id,
        service_id: integration.service,
        happened_at: happenedAt,
        summary: event.payload.summary,
        source: event.payload.source ?? null,
        details: JSON.stringify({ custom_details: event.payload.custom_details ?? null, links: event.links ?? [] }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const open = await q(tx)
      .selectFrom('incident_services')
      .innerJoin('incidents', 'incidents.id', 'incident_services.incident_id')
      .select(['incidents.id', 'incidents.number'])
      .where('incident_services.service_id', '=', integration.service)
      .where('incidents.state', 'in', [...OPEN_STATES])
      .execute();
    for (const incident of open) {
      await recordChange(tx, incident, {
        kind: 'change',
        body: `Change on ${integration.service}: ${event.payload.summary}`,
        data: { change_id: Number(id), service: integration.service, source: event.payload.source ?? null, happened_at: new Date(happenedAt).toISOString() },
      });
    }
    return { change_id: Number(id) };
  });
}
