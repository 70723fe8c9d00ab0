import { randomUUID } from 'node:crypto';
import { lockName } from '../../db/dialect.ts';
import { q } from '../../db/transaction.ts';
import type { EventsV2IntegrationConfig } from '../../config/schema.ts';
import { notFound } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentState, transitionIncident } from '../incidents/index.ts';
import { ingestTransaction, loadSuppressors, openOrRepeatAlert, parseSenderTime, resolveAlert, type FiringAlert, type NotificationPlan } from './alert-lifecycle.ts';
import { findOpenAlert, insertSignal, updateAlert, type AlertRow } from './repository.ts';
import { pdAlertEvent, type IngestResult } from './schemas.ts';

/** One Events API event checked and mapped, nothing stored. A trigger carries its alert. */
export interface EventPlan {
  signal: NotificationPlan['signal'];
  action: 'trigger' | 'acknowledge' | 'resolve';
  dedupKey: string;
  firing: FiringAlert | null;
}

/**
 * Checks and maps a PagerDuty Events API v2 alert event: a generated dedup key when none is given,
 * the sender's timestamp checked, the payload's classifying fields as labels. The routing key is a
 * credential and is not kept with the event.
 */
export function planEvent(ctx: Pick<Ctx, 'clock'>, integration: EventsV2IntegrationConfig, input: unknown): EventPlan {
  const event = pdAlertEvent.parse(input);
  const now = ctx.clock.now();
  const dedupKey = event.dedup_key ?? randomUUID();
  const { routing_key: _key, ...stored } = input as Record<string, unknown>;
  const signal = { receivedAt: now, eventAction: event.event_action, dedupKey, payload: JSON.stringify({ ...stored, dedup_key: dedupKey }) };
  if (event.event_action !== 'trigger') return { signal, action: event.event_action, dedupKey, firing: null };
  const detectedAt = parseSenderTime(event.payload.timestamp, now, 'payload.timestamp');
  const { payload } = event;
  const { routing_key: _k, event_action: _a, dedup_key: _d, payload: _p, ...context } = event;
  const { summary: _s, source: _src, severity: _sev, timestamp: _t, ...rest } = payload;
  // The labels silences match on: the payload's classifying fields, where sent.
  const labels: Record<string, string> = { source: payload.source, severity: payload.severity };
  for (const k of ['component', 'group', 'class'] as const) if (payload[k] !== undefined) labels[k] = payload[k];
  return {
    signal,
    action: 'trigger',
    dedupKey,
    firing: {
      dedupKey,
      serviceId: integration.service,
      summary: payload.summary,
      source: payload.source,
      sourceSeverity: payload.severity,
      severity: integration.severity[payload.severity],
      detectedAt,
      details: { ...rest, ...context },
      labels,
    },
  };
}

/**
 * Ingests one PagerDuty Events API v2 alert event for an integration, all in one transaction: the
 * signal is stored, then the event opens, repeats, acknowledges or resolves an alert, and a new
 * alert opens an incident or joins one (see attachToIncident). Acknowledge or resolve without an
 * open alert is stored and dropped, as PagerDuty does.
 */
export async function ingestEvent(ctx: Ctx, integrationId: string, input: unknown): Promise<IngestResult> {
  requireRole(ctx, 'responder');
  const integration = ctx.config.current.integrations.find((i): i is EventsV2IntegrationConfig => i.id === integrationId && i.type === 'events_v2');
  if (!integration) throw notFound('integration', integrationId);
  const plan = planEvent(ctx, integration, input);
  const { signal, dedupKey } = plan;

  return ingestTransaction(ctx, async (tx) => {
    const signalId = await insertSignal(tx, {
      integration_id: integration.id,
      received_at: signal.receivedAt,
      kind: 'alert',
      event_action: signal.eventAction,
      dedup_key: dedupKey,
      payload: signal.payload,
    });
    // Every event of a service is handled one at a time, so two triggers can neither open two
    // alerts for one key nor two incidents for one service.
    await lockName(q(tx), tx.db.dialect, `signals:service:${integration.service}`);
    const open = await findOpenAlert(tx, integration.id, dedupKey);
    const base = { dedup_key: dedupKey, signal_id: signalId };
    if (plan.firing) return { ...base, ...(await openOrRepeatAlert(tx, integration, open, plan.firing, await loadSuppressors(tx))) };
    if (!open) return { ...base, outcome: 'dropped' as const, alert_id: null, incident_id: null };
    if (plan.action === 'acknowledge') await acknowledge(tx, integration, open);
    else await resolveAlert(tx, integration, open);
    return { ...base, outcome: plan.action === 'acknowledge' ? ('acknowledged' as const) : ('resolved' as const), alert_id: open.id, incident_id: open.incident_id };
  });
}

async function acknowledge(tx: Ctx, integration: EventsV2IntegrationConfig, alert: AlertRow) {
  const now = tx.clock.now();
  await updateAlert(tx, alert.id, { status: 'acknowledged', acknowledged_at: alert.acknowledged_at ?? now, last_seen_at: now });
  const incident = alert.incident_id ? await findIncidentState(tx, alert.incident_id) : undefined;
  if (incident?.state === 'triggered') {
    await transitionIncident(tx, incident.id, 'acknowledge', { note: `alert acknowledged at the source (${integration.name})` });
  }
}
