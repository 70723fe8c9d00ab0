import { q } from '../../db/transaction.ts';
import type { Severity } from '../../config/defaults.ts';
import { isoTime } from '../../lib/iso-time.ts';
import type { Ctx } from '../context.ts';
import { emitEvent } from '../events/index.ts';
import { changeSeverity, createIncident, findRecentlyResolvedOnService, recordChange, transitionIncident } from '../incidents/index.ts';
import { formatDuration } from '../../lib/duration.ts';
import { OPEN_STATES } from '../incidents/state-machine.ts';
import { serviceGraph } from '../services/index.ts';
import { cancelTimer } from '../timers/index.ts';
import { moreSevere, type Classification } from './classify.ts';
import { AUTO_RESOLVE_TIMER, scheduleDurationRule } from './pipeline-timers.ts';
import type { OpenIncident, SignalRound } from './signal-round.ts';

export type { OpenIncident } from './signal-round.ts';

/** Where a new alert would go: an open incident on its service or on a dependency, or a new one. */
export type Placement =
  | { kind: 'join'; incident: OpenIncident; via: 'service' }
  | { kind: 'join'; incident: OpenIncident; via: 'dependency'; rootService: string }
  | { kind: 'reopen'; incident: OpenIncident & { resolved_at: number } }
  | { kind: 'create'; absorbs: (OpenIncident & { service: string })[] };

/**
 * Finds where a new (unsuppressed) alert on a service belongs, without changing anything, so the
 * explain endpoint can ask the same question. In order: the open incident on the service itself
 * (with activity inside the grouping window, when one is set); else, when dependency correlation
 * is on, the open incident on a service this one depends on, directly or transitively (the oldest:
 * the first thing to break is the likely root cause); else the service's own incident if it was
 * resolved within `resolution.reopen_window` (it reopens); else a new incident, which absorbs the
 * untouched automated incidents of the services that depend on this one.
 */
export async function placeAlert(tx: Ctx, serviceId: string, round?: SignalRound): Promise<Placement> {
  const config = tx.config.current;
  const now = tx.clock.now();
  const window = config.correlation.group_window;
  const lock = round !== undefined;
  let own = round?.ownIncident(serviceId);
  if (own === undefined) {
    own = (await openIncidentsOn(tx, [serviceId], { lock })).find((i) => inWindow(i, window, now, round)) ?? null;
    round?.rememberOwnIncident(serviceId, own);
  }
  if (own) return { kind: 'join', incident: own, via: 'service' };
  const graph = serviceGraph(config);
  if (config.correlation.dependencies) {
    const deps = [...(graph.dependencies.get(serviceId) ?? [])];
    if (deps.length) {
      const upstream = await openIncidentsOn(tx, deps, { lock });
      const root = upstream.sort((a, b) => a.number - b.number)[0];
      if (root) return { kind: 'join', incident: root, via: 'dependency', rootService: root.service };
    }
  }
  // The service's own incident resolved moments ago: the fix did not hold, so it reopens.
  if (config.resolution.reopen_window > 0) {
    const recent = await findRecentlyResolvedOnService(tx, serviceId, now - config.resolution.reopen_window);
    if (recent) return { kind: 'reopen', incident: recent };
  }
  if (!config.correlation.dependencies) return { kind: 'create', absorbs: [] };
  const dependents = [...(graph.dependents.get(serviceId) ?? [])];
  const absorbs = dependents.length ? (await openIncidentsOn(tx, dependents, { absorbableOnly: true, lock })).sort((a, b) => a.number - b.number) : [];
  return { kind: 'create', absorbs };
}

/**
 * Looks up the open incident on each of a round's services in one query, for placeAlert to use
 * (with the grouping window applied as placeAlert would).
 */
export async function findOwnIncidents(tx: Ctx, round: SignalRound, serviceIds: string[]): Promise<void> {
  const wanted = serviceIds.filter((id) => round.ownIncident(id) === undefined);
  if (!wanted.length) return;
  const window = tx.config.current.correlation.group_window;
  const now = tx.clock.now();
  const open = await openIncidentsOn(tx, wanted, { everyService: true, lock: true });
  for (const id of wanted) round.rememberOwnIncident(id, open.find((i) => i.service === id && inWindow(i, window, now, round)) ?? null);
}

/**
 * Whether an open incident is inside the grouping window: active within it, or joined by an alert
 * earlier in this round (whose touch of updated_at is written when the round ends).
 */
const inWindow = (incident: OpenIncident, window: number | undefined, now: number, round: SignalRound | undefined) =>
  window === undefined || incident.updated_at >= now - window || round?.joined(incident.id) === true;

/**
 * Puts a new alert where placeAlert says: joins the incident (noting a likely root cause, raising
 * its severity if this alert classifies higher, re-notifying or cancelling a pending auto-resolve
 * as configured), or opens an incident and absorbs its dependents' incidents. The caller's round
 * holds the correlation lock (see applyRows), so an incident on a dependency and one on a dependent
 * opening at the same moment still meet.
 */
export async function attachToIncident(
  tx: Ctx,
  alert: { id: string; integrationId: string; integrationName: string; serviceId: string; dedupKey: string; summary: string; source: string; sourceSeverity: string; detectedAt: number; flapping: boolean },
  classification: Classification,
  newIncident: { title: string; description: string },
  round: SignalRound,
  /** Stores the alert's link to the incident (a new alert is inserted with it, in one statement). */
  link: (incidentId: string) => Promise<void>,
): Promise<{ incident: { id: string; number: number }; outcome: 'created' | 'grouped' }> {
  let placement = await placeAlert(tx, alert.serviceId, round);
  let reopened = false;
  if (placement.kind === 'reopen') {
    const resolvedFor = tx.clock.now() - placement.incident.resolved_at;
    await transitionIncident(tx, placement.incident.id, 'reopen', { note: `alert ${alert.dedupKey} fired ${formatDuration(resolvedFor)} after the incident was resolved: the fix did not hold` });
    round.forgetIncidents();
    placement = { kind: 'join', incident: { ...placement.incident, state: 'investigating', updated_at: tx.clock.now() }, via: 'service' };
    reopened = true;
  }
  const added = { alert_id: alert.id, integration: alert.integrationId, dedup_key: alert.dedupKey, severity: alert.sourceSeverity, source: alert.source, summary: alert.summary };
  const integration = { id: alert.integrationId, name: alert.integrationName };

  if (placement.kind === 'join') {
    const incident = placement.incident;
    await link(incident.id);
    round.addAlert(tx, incident, integration, added);
    // Anything recorded on the incident below comes after its pending alert_added entry.
    if (placement.via === 'dependency') {
      await round.flushIncident(tx, incident.id);
      await addServiceTo(tx, incident, alert.serviceId);
      round.forgetIncidents();
      await recordChange(tx, incident, {
        kind: 'correlated',
        body: `${alert.serviceId} depends on ${placement.rootService}, which has this open incident: likely root cause ${placement.rootService}`,
        data: { alert_id: alert.id, service: alert.serviceId, root_cause_service: placement.rootService },
      });
    }
    if (moreSevere(classification.severity, incident.severity)) {
      await round.flushIncident(tx, incident.id);
      await changeSeverity(tx, `INC-${incident.number}`, { severity: classification.severity, reason: `a new alert classifies higher: ${classification.text}` });
      await scheduleDurationRule(tx, incident.id);
      round.forgetIncidents();
    }
    // Only a pending auto-resolve is cancelled, and the round knows when there can be none.
    if (!round.knownNoAutoResolve(incident.id)) {
      const cancelled = await cancelTimer(tx, AUTO_RESOLVE_TIMER, incident.id);
      round.noteNoAutoResolve(incident.id);
      if (cancelled && incident.state === 'monitoring') {
        await round.flushIncident(tx, incident.id);
        await transitionIncident(tx, incident.id, 'investigate', { note: 'an alert fired again: auto-resolve cancelled' });
        round.forgetIncidents();
      }
    }
    if (reopened) {
      // Whoever resolved it must hear that it is back.
      await round.flushIncident(tx, incident.id);
      await recordChange(tx, incident, { kind: 'renotify', body: `Reopened by a new alert: responders are notified again`, data: { alert_id: alert.id, reopened: true } });
      round.rememberOwnIncident(alert.serviceId, incident);
    } else if (incident.state !== 'triggered' && tx.config.current.correlation.renotify_acknowledged) {
      await round.flushIncident(tx, incident.id);
      if (alert.flapping) {
        await recordChange(tx, incident, { kind: 'renotify_skipped', body: `No re-notification: alert ${alert.dedupKey} is flapping`, data: { alert_id: alert.id } });
      } else {
        await recordChange(tx, incident, { kind: 'renotify', body: `New alert on an incident already being handled: responders are notified again`, data: { alert_id: alert.id } });
      }
    }
    return { incident, outcome: 'grouped' };
  }

  const created = await createIncident(
    tx,
    { title: newIncident.title, description: newIncident.description, severity: classification.severity, services: [alert.serviceId], source: 'automated', detected_at: isoTime(alert.detectedAt) },
    { decision: { text: classification.text, data: { rule: classification.rule, impact: classification.impact } }, fingerprint: `${alert.integrationId}/${alert.dedupKey}` },
  );
  const incident = { id: created.id, number: created.number, state: 'triggered', severity: created.severity, updated_at: tx.clock.now() };
  await link(incident.id);
  round.addAlert(tx, incident, integration, added);
  // Absorbing moves other incidents' services and alerts: everything is looked up again.
  if (placement.absorbs.length) round.forgetIncidents();
  round.noteNoAutoResolve(incident.id);
  if (placement.absorbs.length) await round.flushIncident(tx, incident.id);
  let severity = classification.severity as string;
  for (const dependent of placement.absorbs) {
    await round.flushIncident(tx, dependent.id);
    await absorb(tx, incident, dependent, alert.serviceId);
    if (moreSevere(dependent.severity as Severity, severity)) severity = dependent.severity;
  }
  if (severity !== classification.severity) {
    await round.flushIncident(tx, incident.id);
    await changeSeverity(tx, `INC-${incident.number}`, { severity: severity as Severity, reason: 'an absorbed incident on a dependent service was more severe' });
  }
  await scheduleDurationRule(tx, incident.id);
  round.rememberOwnIncident(alert.serviceId, { ...incident, severity });
  return { incident, outcome: 'created' };
}

/**
 * Moves a dependent service's incident into the root-cause incident: its alerts and services come
 * along, both timelines say so, and the absorbed incident is resolved with `merged_into` set.
 */
async function absorb(tx: Ctx, root: OpenIncident, dependent: OpenIncident & { service: string }, rootService: string): Promise<void> {
  const services = await q(tx).selectFrom('incident_services').select('service_id').where('incident_id', '=', dependent.id).execute();
  for (const s of services) await addServiceTo(tx, root, s.service_id);
  await q(tx).updateTable('alerts').set({ incident_id: root.id }).where('incident_id', '=', dependent.id).execute();
  await q(tx).updateTable('incidents').set({ merged_into: root.id }).where('id', '=', dependent.id).execute();
  await recordChange(tx, root, {
    kind: 'absorbed',
    body: `INC-${dependent.number} on ${dependent.service} merged here: ${dependent.service} depends on ${rootService}, the likely root cause`,
    data: { absorbed: `INC-${dependent.number}`, service: dependent.service, root_cause_service: rootService },
  });
  await cancelTimer(tx, AUTO_RESOLVE_TIMER, dependent.id);
  await transitionIncident(tx, dependent.id, 'resolve', { note: `merged into INC-${root.number}: its root cause is likely ${rootService}` });
  await emitEvent(tx, { topic: 'incident.merged', aggregateType: 'incident', aggregateId: dependent.id, payload: { ref: `INC-${dependent.number}`, into: `INC-${root.number}` } });
}

async function addServiceTo(tx: Ctx, incident: { id: string; number: number }, serviceId: string): Promise<void> {
  const has = await q(tx).selectFrom('incident_services').select('service_id').where('incident_id', '=', incident.id).where('service_id', '=', serviceId).executeTakeFirst();
  if (!has) await q(tx).insertInto('incident_services').values({ incident_id: incident.id, incident_number: incident.number, service_id: serviceId, added_at: tx.clock.now() }).execute();
}

/**
 * Open incidents on any of the services, newest first, each with the service it was found on.
 * `absorbableOnly`: opened by automation, still untouched (triggered) and not merged anywhere —
 * an incident a person has started on is theirs, and is never taken from them.
 */
async function openIncidentsOn(tx: Ctx, serviceIds: string[], opts: { absorbableOnly?: boolean; everyService?: boolean; lock?: boolean } = {}): Promise<(OpenIncident & { service: string })[]> {
  let query = q(tx)
    .selectFrom('incident_services as s')
    .innerJoin('incidents as i', 'i.id', 's.incident_id')
    .select(['i.id', 'i.number', 'i.state', 'i.severity', 'i.updated_at', 's.service_id as service'])
    .where('s.service_id', 'in', serviceIds)
    .where('i.state', 'in', [...OPEN_STATES])
    .where('i.merged_into', 'is', null);
  if (opts.absorbableOnly) query = query.where('i.source', '=', 'automated').where('i.state', '=', 'triggered');
  // A round keeps what it found for its whole transaction: on PostgreSQL the rows are locked, so a
  // person's change to one of these incidents waits for the round instead of going stale under it.
  if (opts.lock && tx.db.dialect.name === 'postgres') query = query.forUpdate(['i']);
  // Sorted here, not in SQL: open incidents on a few services are few, and SQLite's sorter with a
  // LIMIT costs ten times the query itself (a hot path: every round looks up its services).
  const rows = (await query.execute()).sort((a, b) => Number(b.number) - Number(a.number));
  // An incident on several of the services is listed once (newest first), unless each service's own is wanted.
  const seen = new Set<string>();
  return rows
    .filter((r) => opts.everyService || (!seen.has(r.id) && seen.add(r.id)))
    .map((r) => ({ id: r.id, number: Number(r.number), state: r.state, severity: r.severity, updated_at: Number(r.updated_at), service: r.service }));
}
