import { randomUUID } from 'node:crypto';
import { isUniqueViolation, lockName } from '../../db/dialect.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import type { IntegrationConfig } from '../../config/schema.ts';
import { DomainError, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { requireRole, type Ctx } from '../context.ts';
import { createIncident, recordChange, transitionIncident } from '../incidents/index.ts';
import { findIncidentState, findOpenAlert, findOpenIncidentOnService, insertAlert, insertSignal, updateAlert, type AlertRow } from './repository.ts';
import { pdAlertEvent, type IngestResult, type PdAlertEvent } from './schemas.ts';

/** How far ahead of our clock a sender's timestamp may be (clock skew), as for incidents. */
const FUTURE_SKEW_MS = 5 * 60_000;
/** Incident titles are at most 200 characters; longer summaries go into the description. */
const TITLE_MAX = 200;

type TriggerEvent = Extract<PdAlertEvent, { event_action: 'trigger' }>;

/**
 * Ingests one PagerDuty Events API v2 alert event for an integration, all in one transaction: the
 * signal is stored, then the event opens, repeats, acknowledges or resolves an alert, and a new
 * alert opens an incident on the integration's service or joins the one already open there.
 * Acknowledge or resolve without an open alert is stored and dropped, as PagerDuty does.
 */
export async function ingestEvent(ctx: Ctx, integrationId: string, input: unknown): Promise<IngestResult> {
  requireRole(ctx, 'responder');
  const integration = ctx.config.current.integrations.find((i) => i.id === integrationId);
  if (!integration) throw notFound('integration', integrationId);
  const event = pdAlertEvent.parse(input);
  const now = ctx.clock.now();
  const detectedAt = event.event_action === 'trigger' ? parseDetectedAt(event.payload.timestamp, now) : now;
  const dedupKey = event.dedup_key ?? randomUUID();
  // The routing key is a credential: it is not kept with the event.
  const { routing_key: _key, ...stored } = input as Record<string, unknown>;

  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(ctx, async (tx) => {
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
        else await resolve(tx, integration, open);
        return { ...base, outcome: event.event_action === 'acknowledge' ? ('acknowledged' as const) : ('resolved' as const), alert_id: open.id, incident_id: open.incident_id };
      });
    } catch (e) {
      // The partial unique index caught a concurrent open alert for this key: run again to find it.
      if (ctx.trx || !isUniqueViolation(e) || attempt >= 3) throw e;
    }
  }
}

async function trigger(tx: Ctx, integration: IntegrationConfig, event: TriggerEvent, dedupKey: string, open: AlertRow | undefined, detectedAt: number) {
  const now = tx.clock.now();
  if (open) {
    const incident = open.incident_id ? await findIncidentState(tx, open.incident_id) : undefined;
    if (!incident || (incident.state !== 'resolved' && incident.state !== 'closed')) {
      await updateAlert(tx, open.id, { event_count: open.event_count + 1, last_seen_at: now });
      return { outcome: 'repeated' as const, alert_id: open.id, incident_id: open.incident_id };
    }
    // Its incident was resolved by hand: that ends the alert, and this trigger is a new problem.
    await updateAlert(tx, open.id, { status: 'resolved', resolved_at: now });
  }

  const { payload } = event;
  const alertId = newId('alt', now);
  const joined = await findOpenIncidentOnService(tx, integration.service);
  const incident =
    joined ??
    (await createIncident(tx, {
      title: titleOf(payload.summary),
      description: describe(alertId, integration, payload.summary, payload.source),
      severity: integration.severity[payload.severity],
      services: [integration.service],
      source: 'automated',
      detected_at: isoTime(detectedAt),
    }));
  const { routing_key: _k, event_action: _a, dedup_key: _d, payload: _p, ...context } = event;
  const { summary: _s, source: _src, severity: _sev, timestamp: _t, ...rest } = payload;
  await insertAlert(tx, {
    id: alertId,
    integration_id: integration.id,
    dedup_key: dedupKey,
    status: 'triggered',
    summary: payload.summary,
    source: payload.source,
    severity: payload.severity,
    service_id: integration.service,
    incident_id: incident.id,
    first_seen_at: now,
    last_seen_at: now,
    detected_at: detectedAt,
    acknowledged_at: null,
    resolved_at: null,
    event_count: 1,
    details: JSON.stringify({ ...rest, ...context }),
  });
  await recordChange(tx, incident, {
    kind: 'alert_added',
    body: `Alert from ${integration.name}: ${payload.summary}`,
    data: { alert_id: alertId, integration: integration.id, dedup_key: dedupKey, severity: payload.severity, source: payload.source },
  });
  return { outcome: joined ? ('grouped' as const) : ('created' as const), alert_id: alertId, incident_id: incident.id };
}

async function acknowledge(tx: Ctx, integration: IntegrationConfig, alert: AlertRow) {
  const now = tx.clock.now();
  await updateAlert(tx, alert.id, { status: 'acknowledged', acknowledged_at: alert.acknowledged_at ?? now, last_seen_at: now });
  const incident = alert.incident_id ? await findIncidentState(tx, alert.incident_id) : undefined;
  if (incident?.state === 'triggered') {
    await transitionIncident(tx, incident.id, 'acknowledge', { note: `alert acknowledged at the source (${integration.name})` });
  }
}

async function resolve(tx: Ctx, integration: IntegrationConfig, alert: AlertRow) {
  const now = tx.clock.now();
  await updateAlert(tx, alert.id, { status: 'resolved', resolved_at: now, last_seen_at: now });
  const incident = alert.incident_id ? await findIncidentState(tx, alert.incident_id) : undefined;
  if (incident) {
    await recordChange(tx, incident, {
      kind: 'alert_resolved',
      body: `Alert resolved at the source (${integration.name}): ${alert.summary}`,
      data: { alert_id: alert.id, integration: integration.id, dedup_key: alert.dedup_key },
    });
  }
}

/** payload.timestamp → epoch ms; missing means now. Unparseable or too far ahead is refused. */
function parseDetectedAt(timestamp: string | undefined, now: number): number {
  if (timestamp === undefined) return now;
  // Date.parse alone also takes free-form dates ("March 7"); require an ISO 8601 date first.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(timestamp) ? Date.parse(timestamp) : NaN;
  const problem = !Number.isFinite(ms) ? 'must be an ISO 8601 date and time' : ms > now + FUTURE_SKEW_MS ? 'must not be in the future' : null;
  if (problem) throw new DomainError('VALIDATION_FAILED', `payload.timestamp: ${problem}`, { issues: [{ path: 'payload.timestamp', message: problem }] });
  return Math.min(ms, now);
}

/** The summary as an incident title: trimmed and, if needed, shortened. */
const titleOf = (summary: string) => cut(summary.trim(), TITLE_MAX);

function describe(alertId: string, integration: IntegrationConfig, summary: string, source: string): string {
  return `Opened by alert ${alertId} from ${integration.name}.\nSource: ${cut(source, 1000)}\n\n${summary}`;
}

/** At most `max` UTF-16 units, ending in "…" when shortened, never splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (/[\ud800-\udbff]/.test(text[end - 1])) end--;
  return `${text.slice(0, end)}…`;
}
