import type { Transaction } from 'kysely';
import type { IntegrationConfig } from '../../config/schema.ts';
import { isUniqueViolation, lockName } from '../../db/dialect.ts';
import type { DB } from '../../db/schema.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import type { Severity } from '../../config/defaults.ts';
import { DomainError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { isoTime } from '../../lib/iso-time.ts';
import type { Ctx } from '../context.ts';
import { createIncident, findIncidentState, findOpenIncidentOnService, recordChange } from '../incidents/index.ts';
import { loadActiveSilences, matchingSilence, type ActiveSilence } from '../silences/index.ts';
import { findOpenAlert, insertAlert, insertSignal, updateAlert, type AlertRow } from './repository.ts';
import type { IngestOutcome } from './schemas.ts';

/** How far ahead of our clock a sender's timestamp may be (clock skew), as for incidents. */
const FUTURE_SKEW_MS = 5 * 60_000;
/** Incident titles are at most 200 characters; longer summaries go into the description. */
const TITLE_MAX = 200;

type Source = Pick<IntegrationConfig, 'id' | 'name'>;

/** A firing alert as any sender describes it, already mapped to Firebreak's terms. */
export interface FiringAlert {
  dedupKey: string;
  /** The service a new alert lands on (and whose open incident it joins). */
  serviceId: string;
  summary: string;
  source: string;
  /** The sender's own severity word, kept on the alert. */
  sourceSeverity: string;
  /** The severity of an incident this alert opens. */
  severity: Severity;
  detectedAt: number;
  details: Record<string, unknown>;
  /** The sender's labels silences match on; `service` and `integration` are added on top. */
  labels: Record<string, string>;
}

export type OpenOutcome = { outcome: 'created' | 'grouped' | 'repeated' | 'suppressed'; alert_id: string; incident_id: string | null };

/**
 * A firing event for a key: repeats the open alert (count, last seen), or opens a new alert that
 * joins the open incident on its service or opens an automated incident there. A new alert that an
 * active silence matches is stored with `suppressed_by` and no incident; its repeats only count
 * while a silence still matches, and the first repeat after that opens or joins an incident. The
 * caller holds the service lock, has looked up (and, on PostgreSQL, locked) the open alert for the
 * key, and has loaded the active silences once for its transaction.
 */
export async function openOrRepeatAlert(tx: Ctx, integration: Source, open: AlertRow | undefined, alert: FiringAlert, silences: ActiveSilence[]): Promise<OpenOutcome> {
  const now = tx.clock.now();
  const labels = alertLabels(integration, alert);
  if (open) {
    if (open.suppressed_by !== null) {
      const still = matchingSilence(silences, labels);
      if (still) {
        await updateAlert(tx, open.id, { event_count: open.event_count + 1, last_seen_at: now, suppressed_by: still.id });
        return { outcome: 'suppressed', alert_id: open.id, incident_id: null };
      }
      // Its silence has ended: this repeat is the alert's first page (Alertmanager re-notifies too),
      // on the service the alert was stored on.
      await updateAlert(tx, open.id, { event_count: open.event_count + 1, last_seen_at: now, suppressed_by: null });
      return attachIncident(tx, integration, open.id, { ...alert, serviceId: open.service_id });
    }
    const incident = open.incident_id ? await findIncidentState(tx, open.incident_id) : undefined;
    if (!incident || (incident.state !== 'resolved' && incident.state !== 'closed')) {
      await updateAlert(tx, open.id, { event_count: open.event_count + 1, last_seen_at: now });
      return { outcome: 'repeated', alert_id: open.id, incident_id: open.incident_id };
    }
    // Its incident was resolved by hand: that ends the alert, and this trigger is a new problem.
    await updateAlert(tx, open.id, { status: 'resolved', resolved_at: now });
  }

  const alertId = newId('alt', now);
  const silence = matchingSilence(silences, labels);
  await insertAlert(tx, {
    id: alertId,
    integration_id: integration.id,
    dedup_key: alert.dedupKey,
    status: 'triggered',
    summary: alert.summary,
    source: alert.source,
    severity: alert.sourceSeverity,
    service_id: alert.serviceId,
    incident_id: null,
    first_seen_at: now,
    last_seen_at: now,
    detected_at: alert.detectedAt,
    acknowledged_at: null,
    resolved_at: null,
    event_count: 1,
    details: JSON.stringify(alert.details),
    labels: JSON.stringify(labels),
    suppressed_by: silence?.id ?? null,
  });
  if (silence) return { outcome: 'suppressed', alert_id: alertId, incident_id: null };
  return attachIncident(tx, integration, alertId, alert);
}

/** Joins the alert to the open incident on its service, or opens an automated incident there. */
async function attachIncident(tx: Ctx, integration: Source, alertId: string, alert: FiringAlert): Promise<OpenOutcome> {
  const joined = await findOpenIncidentOnService(tx, alert.serviceId);
  const incident =
    joined ??
    (await createIncident(tx, {
      title: titleOf(alert.summary),
      description: describe(alertId, integration, alert.summary, alert.source),
      severity: alert.severity,
      services: [alert.serviceId],
      source: 'automated',
      detected_at: isoTime(alert.detectedAt),
    }));
  await updateAlert(tx, alertId, { incident_id: incident.id });
  await recordChange(tx, incident, {
    kind: 'alert_added',
    body: `Alert from ${integration.name}: ${alert.summary}`,
    data: { alert_id: alertId, integration: integration.id, dedup_key: alert.dedupKey, severity: alert.sourceSeverity, source: alert.source },
  });
  return { outcome: joined ? 'grouped' : 'created', alert_id: alertId, incident_id: incident.id };
}

/** The labels silences match on: the sender's, then the picked `service` and the `integration` id. */
export function alertLabels(integration: Source, alert: Pick<FiringAlert, 'labels' | 'serviceId'>): Record<string, string> {
  return { ...alert.labels, service: alert.serviceId, integration: integration.id };
}

/** Resolves an open alert at the source's word and notes it on its incident's timeline. */
export async function resolveAlert(tx: Ctx, integration: Source, alert: AlertRow): Promise<void> {
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

/**
 * A sender's timestamp → epoch ms, capped at now; undefined means now. Must be an ISO 8601 date
 * and time not more than the clock skew ahead; otherwise VALIDATION_FAILED naming `path`.
 */
export function parseSenderTime(timestamp: string | undefined, now: number, path: string): number {
  if (timestamp === undefined) return now;
  // Date.parse alone also takes free-form dates ("March 7"); require an ISO 8601 date first.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(timestamp) ? Date.parse(timestamp) : NaN;
  const problem = !Number.isFinite(ms) ? 'must be an ISO 8601 date and time' : ms > now + FUTURE_SKEW_MS ? 'must not be in the future' : null;
  if (problem) throw new DomainError('VALIDATION_FAILED', `${path}: ${problem}`, { issues: [{ path, message: problem }] });
  return Math.min(ms, now);
}

/** The summary as an incident title: trimmed and, if needed, shortened. */
const titleOf = (summary: string) => cut(summary.trim(), TITLE_MAX);

function describe(alertId: string, integration: Source, summary: string, source: string): string {
  return `Opened by alert ${alertId} from ${integration.name}.\nSource: ${cut(source, 1000)}\n\n${summary}`;
}

/** At most `max` UTF-16 units, ending in "…" when shortened, never splitting a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (/[\ud800-\udbff]/.test(text[end - 1])) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * Runs one ingestion in a transaction. When the partial unique index catches a concurrent open
 * alert for the same key (another node, or a race the service lock did not cover), the whole
 * transaction is run again, and then finds that alert.
 */
export async function ingestTransaction<T>(ctx: Ctx, fn: (tx: Ctx & { trx: Transaction<DB> }) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(ctx, fn);
    } catch (e) {
      if (ctx.trx || !isUniqueViolation(e) || attempt >= 3) throw e;
    }
  }
}

/** One alert of a notification, already checked and mapped: it fires (opens or repeats) or resolves. */
export interface AlertPlan {
  status: 'firing' | 'resolved';
  firing: FiringAlert;
}

export interface AlertsResult {
  signal_id: number;
  alerts: { dedup_key: string; outcome: IngestOutcome; alert_id: string | null; incident_id: string | null }[];
}

/**
 * Applies a checked notification, all in ONE transaction: the signal (the whole notification, as
 * sent) is stored, then every alert, in order, fires (opens or repeats the alert for its key,
 * opening or joining an incident on its service) or resolves (the open alert for its key; none
 * open → dropped). Every receiver of several alerts per request ends here; the caller has checked
 * everything before, so a bad alert refuses the whole notification and nothing is stored.
 */
export async function ingestAlerts(
  ctx: Ctx,
  integration: Source,
  signal: { receivedAt: number; eventAction: string; dedupKey: string | null; payload: string },
  plans: AlertPlan[],
): Promise<AlertsResult> {
  return ingestTransaction(ctx, async (tx) => {
    const signalId = await insertSignal(tx, {
      integration_id: integration.id,
      received_at: signal.receivedAt,
      kind: 'alert',
      event_action: signal.eventAction,
      dedup_key: signal.dedupKey,
      payload: signal.payload,
    });
    // As for single events, every service's alerts are handled one at a time; taking the locks
    // in one order keeps two notifications over the same services from deadlocking.
    for (const service of [...new Set(plans.map((p) => p.firing.serviceId))].sort()) {
      await lockName(q(tx), tx.db.dialect, `signals:service:${service}`);
    }
    const silences = plans.some((p) => p.status === 'firing') ? await loadActiveSilences(tx) : [];
    const results: AlertsResult['alerts'] = [];
    for (const p of plans) {
      const key = p.firing.dedupKey;
      const open = await findOpenAlert(tx, integration.id, key);
      if (p.status === 'firing') {
        results.push({ dedup_key: key, ...(await openOrRepeatAlert(tx, integration, open, p.firing, silences)) });
      } else if (!open) {
        results.push({ dedup_key: key, outcome: 'dropped', alert_id: null, incident_id: null });
      } else {
        await resolveAlert(tx, integration, open);
        results.push({ dedup_key: key, outcome: 'resolved', alert_id: open.id, incident_id: open.incident_id });
      }
    }
    return { signal_id: signalId, alerts: results };
  });
}

/** The configured service a sender named, or the integration's default service. */
export function pickService(services: Set<string>, wanted: string | undefined, fallback: string): string {
  return wanted !== undefined && services.has(wanted) ? wanted : fallback;
}

/** A sender's severity word → P0–P3 by the integration's map (own keys only), else its `default`, else P3. */
export function pickSeverity(map: Record<string, Severity>, word: string | undefined): Severity {
  return (word !== undefined && Object.hasOwn(map, word) ? map[word] : undefined) ?? map.default ?? 'P3';
}

/** The string, unless it is absent or blank. */
export const nonBlank = (s: string | undefined) => (s !== undefined && s.trim() !== '' ? s : undefined);
