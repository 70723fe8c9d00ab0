import { z } from 'zod';
import { lockName } from '../../db/dialect.ts';
import { q } from '../../db/transaction.ts';
import type { AlertmanagerIntegrationConfig } from '../../config/schema.ts';
import { notFound } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { cut, ingestTransaction, openOrRepeatAlert, parseSenderTime, resolveAlert, type FiringAlert } from './alert-lifecycle.ts';
import { findOpenAlert, insertSignal } from './repository.ts';
import type { IngestOutcome } from './schemas.ts';

/** As PagerDuty's summary limit; the whole annotation stays in the alert's details. */
const SUMMARY_MAX = 1024;
/** Go's zero time, which Alertmanager sends for "not set" (the endsAt of every firing alert). */
const ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');
const labelSet = z.record(z.string(), z.string());
/** An RFC 3339 time as Go marshals it (any fraction, any offset); checked for sense later. */
const rfc3339 = z.string().max(64).regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i, 'must be an RFC 3339 date and time');

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
type AmAlert = AlertmanagerWebhook['alerts'][number];

export interface AlertmanagerResult {
  signal_id: number;
  alerts: { fingerprint: string; outcome: IngestOutcome; alert_id: string | null; incident_id: string | null }[];
}

/**
 * Ingests one Alertmanager webhook notification for an integration, all in ONE transaction: the
 * signal (the whole notification) is stored, then every alert of the group, in order, fires (opens
 * or repeats the alert keyed by its fingerprint, opening or joining an incident on its service) or
 * resolves (the open alert for its fingerprint; none open → dropped).
 */
export async function ingestAlertmanager(ctx: Ctx, integrationId: string, input: unknown): Promise<AlertmanagerResult> {
  requireRole(ctx, 'responder');
  const integration = ctx.config.current.integrations.find((i): i is AlertmanagerIntegrationConfig => i.id === integrationId && i.type === 'alertmanager');
  if (!integration) throw notFound('integration', integrationId);
  const body = alertmanagerWebhook.parse(input);
  const now = ctx.clock.now();
  const services = new Set(ctx.config.current.services.map((s) => s.id));
  const receiver = unquoteMeta(body.receiver);
  // Everything is checked before anything is written: a bad alert refuses the whole notification.
  const plans = body.alerts.map((alert, i) => plan(integration, services, receiver, body, alert, i, now));

  return ingestTransaction(ctx, async (tx) => {
    const signalId = await insertSignal(tx, {
      integration_id: integration.id,
      received_at: now,
      kind: 'alert',
      event_action: body.status,
      dedup_key: body.groupKey,
      // The key travels in the Authorization header, never in the body: the body is kept as sent.
      payload: JSON.stringify(input),
    });
    // As for single events, every service's alerts are handled one at a time; taking the locks
    // in one order keeps two notifications over the same services from deadlocking.
    for (const service of [...new Set(plans.map((p) => p.firing.serviceId))].sort()) {
      await lockName(q(tx), tx.db.dialect, `signals:service:${service}`);
    }
    const results: AlertmanagerResult['alerts'] = [];
    for (const p of plans) {
      const open = await findOpenAlert(tx, integration.id, p.firing.dedupKey);
      if (p.status === 'firing') {
        results.push({ fingerprint: p.firing.dedupKey, ...(await openOrRepeatAlert(tx, integration, open, p.firing)) });
      } else if (!open) {
        results.push({ fingerprint: p.firing.dedupKey, outcome: 'dropped', alert_id: null, incident_id: null });
      } else {
        await resolveAlert(tx, integration, open);
        results.push({ fingerprint: p.firing.dedupKey, outcome: 'resolved', alert_id: open.id, incident_id: open.incident_id });
      }
    }
    return { signal_id: signalId, alerts: results };
  });
}

/** One alert of the notification, mapped to Firebreak's terms (and its times checked). */
function plan(
  integration: AlertmanagerIntegrationConfig,
  services: Set<string>,
  receiver: string,
  body: AlertmanagerWebhook,
  alert: AmAlert,
  index: number,
  now: number,
): { status: AmAlert['status']; firing: FiringAlert } {
  const { labels } = alert;
  const annotations = alert.annotations ?? {};
  const startsAt = senderTime(alert.startsAt, now, `alerts.${index}.startsAt`);
  const endsAt = senderTime(alert.endsAt, now, `alerts.${index}.endsAt`, true);
  const wanted = labels[integration.service_label];
  const serviceId = wanted !== undefined && services.has(wanted) ? wanted : integration.service;
  const sourceSeverity = labels[integration.severity_label];
  const severity = (sourceSeverity !== undefined && Object.hasOwn(integration.severity, sourceSeverity) ? integration.severity[sourceSeverity] : undefined) ?? integration.severity.default ?? 'P3';
  return {
    status: alert.status,
    firing: {
      dedupKey: alert.fingerprint,
      serviceId,
      summary: cut(nonBlank(annotations.summary) ?? nonBlank(labels.alertname) ?? 'Alertmanager alert', SUMMARY_MAX),
      source: cut(nonBlank(labels.instance) ?? nonBlank(labels.job) ?? nonBlank(receiver) ?? 'alertmanager', SUMMARY_MAX),
      sourceSeverity: sourceSeverity ?? '',
      severity,
      detectedAt: startsAt ?? now,
      details: {
        labels,
        annotations,
        startsAt: startsAt === null ? null : alert.startsAt,
        endsAt: endsAt === null ? null : alert.endsAt,
        generatorURL: alert.generatorURL ?? null,
        fingerprint: alert.fingerprint,
        groupKey: body.groupKey,
        receiver,
        ...(body.externalURL !== undefined ? { externalURL: body.externalURL } : {}),
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

const nonBlank = (s: string | undefined) => (s !== undefined && s.trim() !== '' ? s : undefined);

/**
 * Undoes the regex escaping Alertmanager applies to the receiver name (Go's regexp.QuoteMeta, and
 * `-` by some versions): a backslash before any ASCII punctuation goes.
 */
export const unquoteMeta = (s: string) => s.replace(/\\([!-/:-@[-`{-~])/g, '$1');
