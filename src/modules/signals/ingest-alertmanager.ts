import { z } from 'zod';
import type { AlertmanagerIntegrationConfig } from '../../config/schema.ts';
import { notFound } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { cut, nonBlank, parseSenderTime, pickService, pickSeverity, workOf, type AlertPlan, type NotificationPlan } from './alert-lifecycle.ts';
import { acceptSignal, type AcceptedSignal } from './signal-queue.ts';

/** As PagerDuty's summary limit; the whole annotation stays in the alert's details. */
export const SUMMARY_MAX = 1024;
/** Go's zero time, which Alertmanager sends for "not set" (the endsAt of every firing alert). */
const ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');
export const labelSet = z.record(z.string(), z.string());
/** An RFC 3339 time as Go marshals it (any fraction, any offset); checked for sense later. */
export const rfc3339 = z.string().max(64).regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i, 'must be an RFC 3339 date and time');

/**
 * The Alertmanager webhook body, version 4. Plain (not strict) objects: newer Alertmanagers add
 * fields (`notification_reason`, `routeLabels`), and a receiver ignores what it does not know.
 */
export const alertmanagerWebhook = z.object({
  version: z.string().refine((v) => v === '4', 'must be "4" (the only Alertmanager webhook version)'),
  groupKey: z.string().min(1).max(8192),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(1024),
  groupLabels: labelSet.optional(),
  commonLabels: labelSet.optional(),
  commonAnnotations: labelSet.optional(),
  externalURL: z.string().optional(),
  alerts: z.array(
    z.object({
      status: z.enum(['firing', 'resolved']),
      labels: labelSet,
      annotations: labelSet.optional(),
      startsAt: rfc3339,
      endsAt: rfc3339.optional(),
      generatorURL: z.string().optional(),
      fingerprint: z.string().min(1).max(255),
    }),
  ),
});
export type AlertmanagerWebhook = z.output<typeof alertmanagerWebhook>;


/**
 * Accepts one Alertmanager webhook notification for an integration: checked and mapped (a bad
 * alert refuses the whole notification, nothing stored), then stored durably as one signal whose
 * work is every alert of the group firing or resolving by its fingerprint.
 */
export async function ingestAlertmanager(ctx: Ctx, integrationId: string, input: unknown): Promise<AcceptedSignal> {
  requireRole(ctx, 'responder');
  const integration = ctx.config.current.integrations.find((i): i is AlertmanagerIntegrationConfig => i.id === integrationId && i.type === 'alertmanager');
  if (!integration) throw notFound('integration', integrationId);
  const { signal, plans } = planAlertmanager(ctx, integration, input);
  return { signal_id: await acceptSignal(ctx, integration.id, signal, workOf(plans)), alerts: plans.length };
}

/** An Alertmanager notification checked and mapped, nothing stored: the signal to keep and each alert's plan. */
export function planAlertmanager(ctx: Pick<Ctx, 'clock' | 'config'>, integration: AlertmanagerIntegrationConfig, input: unknown): NotificationPlan {
  const body = alertmanagerWebhook.parse(input);
  const now = ctx.clock.now();
  const services = new Set(ctx.config.current.services.map((s) => s.id));
  const receiver = unquoteMeta(body.receiver);
  // Everything is checked before anything is written: a bad alert refuses the whole notification.
  const plans = body.alerts.map((alert, i) =>
    planLabelledAlert(integration, services, alert, i, now, {
      summaryFallback: 'Alertmanager alert',
      sourceFallback: nonBlank(receiver) ?? 'alertmanager',
      details: { groupKey: body.groupKey, receiver, ...(body.externalURL !== undefined ? { externalURL: body.externalURL } : {}) },
    }),
  );
  // The key travels in the Authorization header, never in the body: the body is kept as sent.
  return { signal: { receivedAt: now, eventAction: body.status, dedupKey: body.groupKey, payload: JSON.stringify(input) }, plans };
}

/** The parts of an alert that Alertmanager and Grafana send alike. */
export interface LabelledAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
  fingerprint: string;
}

/**
 * One labelled alert (Alertmanager, Grafana) mapped to Firebreak's terms, its times checked: the
 * fingerprint is the key, the service and severity labels pick service and severity, the summary is
 * the `summary` annotation, else the `alertname` label, else `summaryFallback`.
 */
export function planLabelledAlert(
  integration: Pick<AlertmanagerIntegrationConfig, 'service' | 'service_label' | 'severity_label' | 'severity'>,
  services: Set<string>,
  alert: LabelledAlert,
  index: number,
  now: number,
  opts: { summaryFallback: string; sourceFallback: string; details: Record<string, unknown> },
): AlertPlan {
  const { labels } = alert;
  const annotations = alert.annotations ?? {};
  const startsAt = senderTime(alert.startsAt, now, `alerts.${index}.startsAt`);
  const endsAt = senderTime(alert.endsAt, now, `alerts.${index}.endsAt`, true);
  const sourceSeverity = labels[integration.severity_label];
  return {
    status: alert.status,
    firing: {
      dedupKey: alert.fingerprint,
      serviceId: pickService(services, labels[integration.service_label], integration.service),
      summary: cut(nonBlank(annotations.summary) ?? nonBlank(labels.alertname) ?? opts.summaryFallback, SUMMARY_MAX),
      source: cut(nonBlank(labels.instance) ?? nonBlank(labels.job) ?? opts.sourceFallback, SUMMARY_MAX),
      sourceSeverity: sourceSeverity ?? '',
      severity: pickSeverity(integration.severity, sourceSeverity),
      detectedAt: startsAt ?? now,
      labels,
      details: {
        labels,
        annotations,
        startsAt: startsAt === null ? null : alert.startsAt,
        endsAt: endsAt === null ? null : alert.endsAt,
        generatorURL: alert.generatorURL ?? null,
        fingerprint: alert.fingerprint,
        ...opts.details,
      },
    },
  };
}

/**
 * An Alertmanager time → epoch ms, or null for Go's zero time ("not set") or absence. startsAt may
 * not be more than the clock skew ahead; endsAt (`anyTime`) is only parsed.
 */
function senderTime(value: string | undefined, now: number, path: string, anyTime = false): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  if (Number.isFinite(ms) && ms <= ZERO_TIME_MS) return null;
  if (anyTime && Number.isFinite(ms)) return ms;
  return parseSenderTime(value, now, path);
}

/**
 * Undoes the regex escaping Alertmanager applies to the receiver name (Go's regexp.QuoteMeta, and
 * `-` by some versions): a backslash before any ASCII punctuation goes.
 */
export const unquoteMeta = (s: string) => s.replace(/\\([!-/:-@[-`{-~])/g, '$1');
