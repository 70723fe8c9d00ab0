import { randomUUID } from 'node:crypto';
import { lockName } from '../../db/dialect.ts';
import { q } from '../../db/transaction.ts';
import type { EventsV2IntegrationConfig } from '../../config/schema.ts';
import { notFound } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentState, transitionIncident } from '../incidents/index.ts';
import { ingestTransaction, loadSuppressors, openOrRepeatAlert, parseSenderTime, resolveAlert } from './alert-lifecycle.ts';
import { findOpenAlert, insertSignal, updateAlert, type AlertRow } from './repository.ts';
import { pdAlertEvent, type IngestResult, type PdAlertEvent } from './schemas.ts';

type TriggerEvent = Extract<PdAlertEvent, { event_action: 'trigger' }>;

/**
 * Ingests one PagerDuty Events API v2 alert event for an integration, all in one transaction: the
 * signal is stored, then the event opens, repeats, acknowledges or resolves an alert, and a new
 * alert opens an incident on the integration's service or joins the one already open there.
 * Acknowledge or resolve without an open alert is stored and dropped, as PagerDuty does.
 */
export async function ingestEvent(ctx: Ctx, integrationId: string, input: unknown): Promise<IngestResult> {
  requireRole(ctx, 'responder');
  const integration = ctx.config.current.integrations.find((i): i is EventsV2IntegrationConfig => i.id === integrationId && i.type === 'events_v2');
  if (!integration) throw notFound('integration', integrationId);
  const event = pdAlertEvent.parse(input);
  const now = ctx.clock.now();
  const detectedAt = event.event_action === 'trigger' ? parseSenderTime(event.payload.timestamp, now, 'payload.timestamp') : now;
  const dedupKey = event.dedup_key ?? randomUUID();
  // The routing key is a credential: it is not kept with the event.
  const { routing_key: _key, ...stored } = input as Record<string, unknown>;

  return ingestTransaction(ctx, async (tx) => {
    const signalId = await insertSignal(tx, {
      integration_id: integration.id,
      received_at: now,
      kind: 'alert',
      event_action: event.event_action,
      dedup_key: dedupKey,
      payload: JSON.stringify({ ...stored, dedup_key: dedupKey }),
    });
    // Every event of a service is handled one at a time, so two triggers can neither open two
    // alerts for one key nor two incidents for one service.
    await lockName(q(tx), tx.db.dialect, `signals:service:${integration.service}`);
    const open = await findOpenAlert(tx, integration.id, dedupKey);
    const base = { dedup_key: dedupKey, signal_id: signalId };
    if (event.event_action === 'trigger') return { ...base, ...(await trigger(tx, integration, event, dedupKey, open, detectedAt)) };
    if (!open) return { ...base, outcome: 'dropped' as const, alert_id: null, incident_id: null };
    if (event.event_action === 'acknowledge') await acknowledge(tx, integration, open);
    else await resolveAlert(tx, integration, open);
    return { ...base, outcome: event.event_action === 'acknowledge' ? ('acknowledged' as const) : ('resolved' as const), alert_id: open.id, incident_id: open.incident_id };
  });
}

async function trigger(tx: Ctx, integration: EventsV2IntegrationConfig, event: TriggerEvent, dedupKey: string, open: AlertRow | undefined, detectedAt: number) {
  const { payload } = event;
  const { routing_key: _k, event_action: _a, dedup_key: _d, payload: _p, ...context } = event;
  const { summary: _s, source: _src, severity: _sev, timestamp: _t, ...rest } = payload;
  // The labels silences match on: the payload's classifying fields, where sent.
  const labels: Record<string, string> = { source: payload.source, severity: payload.severity };
  for (const k of ['component', 'group', 'class'] as const) if (payload[k] !== undefined) labels[k] = payload[k];
  return openOrRepeatAlert(tx, integration, open, {
    dedupKey,
    serviceId: integration.service,
    summary: payload.summary,
    source: payload.source,
    sourceSeverity: payload.severity,
    severity: integration.severity[payload.severity],
    detectedAt,
    details: { ...rest, ...context },
    labels,
  }, await loadSuppressors(tx));
}

async function acknowledge(tx: Ctx, integration: EventsV2IntegrationConfig, alert: AlertRow) {
  const now = tx.clock.now();
  await updateAlert(tx, alert.id, { status: 'acknowledged', acknowledged_at: alert.acknowledged_at ?? now, last_seen_at: now });
  const incident = alert.incident_id ? await findIncidentState(tx, alert.incident_id) : undefined;
  if (incident?.state === 'triggered') {
    await transitionIncident(tx, incident.id, 'acknowledge', { note: `alert acknowledged at the source (${integration.name})` });
  }
}
