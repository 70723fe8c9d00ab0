import { randomUUID } from 'node:crypto';
import type { EventsV2IntegrationConfig } from '../../config/schema.ts';
import { notFound } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { parseSenderTime, type FiringAlert, type NotificationPlan, type WorkItem } from './alert-lifecycle.ts';
import { pdAlertEvent } from './schemas.ts';
import { acceptSignal } from './signal-queue.ts';

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
 * Accepts one PagerDuty Events API v2 alert event for an integration: checked and mapped, then
 * stored durably as a signal whose work opens, repeats, acknowledges or resolves the alert for its
 * dedup key (acknowledge or resolve without an open alert is dropped, as PagerDuty does).
 */
export async function ingestEvent(ctx: Ctx, integrationId: string, input: unknown): Promise<{ signal_id: number; dedup_key: string }> {
  requireRole(ctx, 'responder');
  const integration = ctx.config.current.integrations.find((i): i is EventsV2IntegrationConfig => i.id === integrationId && i.type === 'events_v2');
  if (!integration) throw notFound('integration', integrationId);
  const plan = planEvent(ctx, integration, input);
  const work: WorkItem[] = plan.firing
    ? [{ status: 'firing', firing: plan.firing }]
    : [{ status: plan.action === 'acknowledge' ? 'acknowledged' : 'resolved', dedupKey: plan.dedupKey, serviceId: integration.service }];
  return { signal_id: await acceptSignal(ctx, integration.id, plan.signal, work), dedup_key: plan.dedupKey };
}
