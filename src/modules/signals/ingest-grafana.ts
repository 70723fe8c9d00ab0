import { z } from 'zod';
import type { GrafanaIntegrationConfig } from '../../config/schema.ts';
import { notFound } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { nonBlank, workOf, type NotificationPlan } from './alert-lifecycle.ts';
import { acceptSignal, type AcceptedSignal } from './signal-queue.ts';
import { labelSet, planLabelledAlert, rfc3339 } from './ingest-alertmanager.ts';

/**
 * The Grafana Alerting webhook body, version 1: the Alertmanager layout with Grafana's extras
 * (docs/api.md). Plain (not strict) objects: a receiver ignores fields it does not know. The
 * legacy `title`, `state` and `message` are optional, as Grafana means to drop them.
 */
export const grafanaWebhook = z.object({
  version: z.string().refine((v) => v === '1', 'must be "1" (the Grafana webhook version this receiver reads)'),
  groupKey: z.string().min(1).max(8192),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(1024),
  orgId: z.number().optional(),
  groupLabels: labelSet.optional(),
  commonLabels: labelSet.optional(),
  commonAnnotations: labelSet.optional(),
  externalURL: z.string().optional(),
  title: z.string().optional(),
  state: z.string().optional(),
  message: z.string().optional(),
  alerts: z.array(
    z.object({
      status: z.enum(['firing', 'resolved']),
      labels: labelSet,
      annotations: labelSet.nullish(),
      startsAt: rfc3339,
      endsAt: rfc3339.optional(),
      generatorURL: z.string().optional(),
      fingerprint: z.string().min(1).max(255),
      silenceURL: z.string().optional(),
      dashboardURL: z.string().optional(),
      panelURL: z.string().optional(),
      values: z.record(z.string(), z.number().nullable()).nullish(),
      valueString: z.string().optional(),
      imageURL: z.string().optional(),
      ruleUID: z.string().optional(),
    }),
  ),
});
export type GrafanaWebhook = z.output<typeof grafanaWebhook>;

/**
 * Ingests one Grafana webhook notification, all in ONE transaction (see ingestAlerts): the signal
 * is stored, then every alert fires or resolves by its fingerprint. The summary is the `summary`
 * annotation, else the `alertname` label, else the notification's title.
 */
export async function ingestGrafana(ctx: Ctx, integrationId: string, input: unknown): Promise<AcceptedSignal> {
  requireRole(ctx, 'responder');
  const integration = ctx.config.current.integrations.find((i): i is GrafanaIntegrationConfig => i.id === integrationId && i.type === 'grafana');
  if (!integration) throw notFound('integration', integrationId);
  const { signal, plans } = planGrafana(ctx, integration, input);
  return { signal_id: await acceptSignal(ctx, integration.id, signal, workOf(plans)), alerts: plans.length };
}

/** A Grafana notification checked and mapped, nothing stored: the signal to keep and each alert's plan. */
export function planGrafana(ctx: Pick<Ctx, 'clock' | 'config'>, integration: GrafanaIntegrationConfig, input: unknown): NotificationPlan {
  const body = grafanaWebhook.parse(input);
  const now = ctx.clock.now();
  const services = new Set(ctx.config.current.services.map((s) => s.id));
  // Everything is checked before anything is written: a bad alert refuses the whole notification.
  const plans = body.alerts.map((alert, i) =>
    planLabelledAlert(integration, services, { ...alert, annotations: alert.annotations ?? {} }, i, now, {
      summaryFallback: nonBlank(body.title) ?? 'Grafana alert',
      sourceFallback: nonBlank(body.receiver) ?? 'grafana',
      details: {
        values: alert.values ?? null,
        ...(alert.valueString !== undefined ? { valueString: alert.valueString } : {}),
        dashboardURL: nonBlank(alert.dashboardURL) ?? null,
        panelURL: nonBlank(alert.panelURL) ?? null,
        silenceURL: nonBlank(alert.silenceURL) ?? null,
        ...(alert.imageURL !== undefined ? { imageURL: alert.imageURL } : {}),
        ...(alert.ruleUID !== undefined ? { ruleUID: alert.ruleUID } : {}),
        groupKey: body.groupKey,
        receiver: body.receiver,
        ...(body.orgId !== undefined ? { orgId: body.orgId } : {}),
        ...(body.externalURL !== undefined ? { externalURL: body.externalURL } : {}),
      },
    }),
  );
  // The key travels in the Authorization header, never in the body: the body is kept as sent.
  return { signal: { receivedAt: now, eventAction: body.status, dedupKey: body.groupKey, payload: JSON.stringify(input) }, plans };
}
