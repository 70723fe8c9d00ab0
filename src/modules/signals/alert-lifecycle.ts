import type { Transaction } from 'kysely';
import type { IntegrationConfig } from '../../config/schema.ts';
import { isUniqueViolation } from '../../db/dialect.ts';
import type { DB } from '../../db/schema.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import type { Severity } from '../../config/defaults.ts';
import { DomainError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Ctx } from '../context.ts';
import { formatDuration } from '../../lib/duration.ts';
import { recordChange, transitionIncident } from '../incidents/index.ts';
import { matchingSilence } from '../silences/index.ts';
import { setTimer } from '../timers/index.ts';
import { classify } from './classify.ts';
import { attachToIncident } from './correlate.ts';
import { afterAlertResolved, FLAP_SETTLE_TIMER } from './pipeline-timers.ts';
import { findOpenAlert, insertAlert, updateAlert, type AlertRow } from './repository.ts';
import type { SignalRound } from './signal-round.ts';
import type { IngestOutcome } from './schemas.ts';

/** How far ahead of our clock a sender's timestamp may be (clock skew), as for incidents. */
const FUTURE_SKEW_MS = 5 * 60_000;
/** Incident titles are at most 200 characters; longer summaries go into the description. */
const TITLE_MAX = 200;

type Source = Pick<IntegrationConfig, 'id' | 'name' | 'auto_resolve'>;

/** A firing alert as any sender describes it, already mapped to Firebreak's terms. */
export interface FiringAlert {
  dedupKey: string;
  /** The service a new alert lands on (and whose open incident it joins). */
  serviceId: string;
  summary: string;
  source: string;
  /** The sender's own severity word, kept on the alert. */
  sourceSeverity: string;
  /** The integration's severity map's answer; severity rules may decide otherwise (see classify). */
  severity: Severity;
  detectedAt: number;
  details: Record<string, unknown>;
  /** The sender's labels silences match on; `service` and `integration` are added on top. */
  labels: Record<string, string>;
}

export type OpenOutcome = { outcome: 'created' | 'grouped' | 'repeated' | 'suppressed'; alert_id: string; incident_id: string | null };

/**
 * A firing event for a key: repeats the open alert (count, last seen), or opens a new alert that
 * joins an open incident or opens one (see attachToIncident for which). A new alert that an active
 * silence or maintenance window matches is stored with `suppressed_by` and no incident; its
 * repeats only count while one still matches, and the first repeat after that opens or joins an
 * incident. The caller holds the service lock and has looked up (and, on PostgreSQL, locked) the
 * open alert for the key.
 */
export async function openOrRepeatAlert(tx: Ctx, integration: Source, open: AlertRow | undefined, alert: FiringAlert, round: SignalRound): Promise<OpenOutcome> {
  const now = tx.clock.now();
  const labels = alertLabels(integration, alert);
  const suppressors = await round.suppressors(tx);
  if (open) {
    if (open.suppressed_by !== null) {
      const still = matchingSilence(suppressors, labels);
      if (still) {
        await updateAlert(tx, open.id, { event_count: open.event_count + 1, last_seen_at: now, suppressed_by: still.id });
        return { outcome: 'suppressed', alert_id: open.id, incident_id: null };
      }
      // Its silence has ended: this repeat is the alert's first page (Alertmanager re-notifies too),
      // on the service the alert was stored on.
      await updateAlert(tx, open.id, { event_count: open.event_count + 1, last_seen_at: now, suppressed_by: null });
      const link = (incidentId: string) => updateAlert(tx, open.id, { incident_id: incidentId });
      return attachIncident(tx, integration, open.id, { ...alert, serviceId: open.service_id }, open.flapping_since !== null, round, link);
    }
    const incident = open.incident_id ? await round.incidentState(tx, open.incident_id) : undefined;
    if (!incident || (incident.state !== 'resolved' && incident.state !== 'closed')) {
      await updateAlert(tx, open.id, { event_count: open.event_count + 1, last_seen_at: now });
      return { outcome: 'repeated', alert_id: open.id, incident_id: open.incident_id };
    }
    // Its incident was resolved by hand: that ends the alert, and this trigger is a new problem.
    await updateAlert(tx, open.id, { status: 'resolved', resolved_at: now });
  }

  const alertId = newId('alt', now);
  const silence = matchingSilence(suppressors, labels);
  const flap = await checkFlapping(tx, integration, alert.dedupKey, round);
  const row: AlertRow = {
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
    flapping_since: flap.since,
  };
  round.noteKeyWritten(integration.id, alert.dedupKey);
  if (silence) {
    await insertAlert(tx, row);
    return { outcome: 'suppressed', alert_id: alertId, incident_id: null };
  }
  const link = (incidentId: string) => insertAlert(tx, { ...row, incident_id: incidentId });
  const result = await attachIncident(tx, integration, alertId, alert, flap.since !== null, round, link);
  if (flap.startedNow) {
    const incident = { id: result.incident_id!, number: (await round.incidentState(tx, result.incident_id!))!.number };
    await round.flushIncident(tx, incident.id);
    const window = formatDuration(tx.config.current.flapping.window);
    await recordChange(tx, incident, {
      kind: 'alert_flapping',
      body: `Alert ${alert.dedupKey} is flapping: ${flap.changes} state changes within ${window}; re-notifications pause until it has been quiet for ${window}`,
      data: { alert_id: alertId, integration: integration.id, dedup_key: alert.dedupKey, changes: flap.changes },
    });
  }
  return result;
}

/**
 * Whether a key that fires again is flapping: it is when it has changed state (fired or resolved)
 * more than the configured number of times within the window, and stays so until it has been
 * quiet for a whole window (a timer clears the mark). Each change moves that timer.
 */
async function checkFlapping(tx: Ctx, integration: Source, dedupKey: string, round: SignalRound): Promise<{ since: number | null; startedNow: boolean; changes: number }> {
  // A key that never had an alert has no history to flap with.
  if (round.keyIsNew(integration.id, dedupKey)) return { since: null, startedNow: false, changes: 1 };
  const { changes: limit, window } = tx.config.current.flapping;
  const now = tx.clock.now();
  const from = now - window;
  const recent = await q(tx)
    .selectFrom('alerts')
    .select(['first_seen_at', 'resolved_at', 'flapping_since'])
    .where('integration_id', '=', integration.id)
    .where('dedup_key', '=', dedupKey)
    .where((eb) => eb.or([eb('first_seen_at', '>=', from), eb('resolved_at', '>=', from), eb('flapping_since', 'is not', null)]))
    .execute();
  if (!recent.length) return { since: null, startedNow: false, changes: 1 };
  const changes = 1 + recent.filter((r) => Number(r.first_seen_at) >= from).length + recent.filter((r) => r.resolved_at !== null && Number(r.resolved_at) >= from).length;
  const earlier = recent.map((r) => r.flapping_since).find((f) => f !== null);
  const since = earlier != null ? Number(earlier) : changes > limit ? now : null;
  if (since !== null) await setTimer(tx, FLAP_SETTLE_TIMER, `${integration.id}\n${dedupKey}`, now + window, { integration_id: integration.id, dedup_key: dedupKey });
  return { since, startedNow: since !== null && earlier == null, changes };
}

/** Joins the alert to its incident or opens one (see attachToIncident), classified first. */
async function attachIncident(tx: Ctx, integration: Source, alertId: string, alert: FiringAlert, flapping: boolean, round: SignalRound, link: (incidentId: string) => Promise<void>): Promise<OpenOutcome> {
  const classification = classify(tx.config.current, { ...alert, integration: integration.id });
  const { incident, outcome } = await attachToIncident(
    tx,
    { ...alert, id: alertId, integrationId: integration.id, integrationName: integration.name, flapping },
    classification,
    { title: titleOf(alert.summary), description: describe(alertId, integration, alert.summary, alert.source) },
    round,
    link,
  );
  return { outcome, alert_id: alertId, incident_id: incident.id };
}

/** The labels silences match on: the sender's, then the picked `service` and the `integration` id. */
export function alertLabels(integration: Source, alert: Pick<FiringAlert, 'labels' | 'serviceId'>): Record<string, string> {
  return { ...alert.labels, service: alert.serviceId, integration: integration.id };
}

/**
 * Resolves an open alert at the source's word, notes it on its incident's timeline, and lets
 * auto-resolve see whether that was the incident's last open alert.
 */
async function resolveAlert(tx: Ctx, integration: Source, alert: AlertRow, round: SignalRound): Promise<void> {
  const now = tx.clock.now();
  await updateAlert(tx, alert.id, { status: 'resolved', resolved_at: now, last_seen_at: now });
  if (alert.flapping_since !== null) {
    // A change of state: a flapping key settles only after a whole quiet window.
    await setTimer(tx, FLAP_SETTLE_TIMER, `${integration.id}\n${alert.dedup_key}`, now + tx.config.current.flapping.window, { integration_id: integration.id, dedup_key: alert.dedup_key });
  }
  const incident = alert.incident_id ? await round.incidentState(tx, alert.incident_id) : undefined;
  if (incident) {
    await round.flushIncident(tx, incident.id);
    await recordChange(tx, incident, {
      kind: 'alert_resolved',
      body: `Alert resolved at the source (${integration.name}): ${alert.summary}`,
      data: { alert_id: alert.id, integration: integration.id, dedup_key: alert.dedup_key },
    });
    await afterAlertResolved(tx, integration.auto_resolve, incident.id);
    round.noteAutoResolveMaybe(incident.id);
    round.forgetIncidents();
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

/** A notification checked and mapped before anything is stored: the signal as kept, and its alerts. */
export interface NotificationPlan {
  signal: { receivedAt: number; eventAction: string; dedupKey: string | null; payload: string };
  plans: AlertPlan[];
}

/**
 * One unit of a signal's work: an alert that fires (opens or repeats), or one that is acknowledged
 * or resolved by its key. Stored with the signal as JSON, and applied by the signal processor.
 */
export type WorkItem = { status: 'firing'; firing: FiringAlert } | { status: 'resolved' | 'acknowledged'; dedupKey: string; serviceId: string };

/** A notification's plans as work: resolved alerts need only their key and service. */
export const workOf = (plans: AlertPlan[]): WorkItem[] =>
  plans.map((p) => (p.status === 'firing' ? { status: 'firing', firing: p.firing } : { status: 'resolved', dedupKey: p.firing.dedupKey, serviceId: p.firing.serviceId }));

export interface AppliedItem {
  dedup_key: string;
  outcome: IngestOutcome;
  alert_id: string | null;
  incident_id: string | null;
}

/**
 * Applies a signal's work in the caller's transaction, in order: each alert fires (opens or
 * repeats the alert for its key, which opens or joins an incident), or is acknowledged or resolved
 * (the open alert for its key; none open → dropped, as PagerDuty does). `round` is what the
 * signals applied in one transaction share (see SignalRound).
 */
export async function applyWork(tx: Ctx, integration: Source, items: WorkItem[], round: SignalRound): Promise<AppliedItem[]> {
  const results: AppliedItem[] = [];
  for (const item of items) {
    const key = item.status === 'firing' ? item.firing.dedupKey : item.dedupKey;
    const open = round.keyIsNew(integration.id, key) ? undefined : await findOpenAlert(tx, integration.id, key);
    if (item.status === 'firing') {
      results.push({ dedup_key: key, ...(await openOrRepeatAlert(tx, integration, open, item.firing, round)) });
    } else if (!open) {
      results.push({ dedup_key: key, outcome: 'dropped', alert_id: null, incident_id: null });
    } else if (item.status === 'acknowledged') {
      await acknowledgeAlert(tx, integration, open, round);
      results.push({ dedup_key: key, outcome: 'acknowledged', alert_id: open.id, incident_id: open.incident_id });
    } else {
      await resolveAlert(tx, integration, open, round);
      results.push({ dedup_key: key, outcome: 'resolved', alert_id: open.id, incident_id: open.incident_id });
    }
  }
  return results;
}

/** Acknowledges an open alert at the source's word; an untouched incident is acknowledged with it. */
async function acknowledgeAlert(tx: Ctx, integration: Source, alert: AlertRow, round: SignalRound): Promise<void> {
  const now = tx.clock.now();
  await updateAlert(tx, alert.id, { status: 'acknowledged', acknowledged_at: alert.acknowledged_at ?? now, last_seen_at: now });
  const incident = alert.incident_id ? await round.incidentState(tx, alert.incident_id) : undefined;
  if (incident?.state === 'triggered') {
    await round.flushIncident(tx, incident.id);
    round.forgetIncidents();
    await transitionIncident(tx, incident.id, 'acknowledge', { note: `alert acknowledged at the source (${integration.name})` });
  }
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
