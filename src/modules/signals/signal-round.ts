import { forUpdate } from '../../db/dialect.ts';
import { q } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';
import { recordChange, recordChanges } from '../incidents/index.ts';
import type { ActiveSilence } from '../silences/index.ts';
import { loadSuppressors } from './suppressors.ts';

/** An open incident as correlation needs it. */
export interface OpenIncident {
  id: string;
  number: number;
  state: string;
  severity: string;
  updated_at: number;
}

/** One alert joining an incident, as its `alert_added` timeline entry lists it. */
export interface AddedAlert {
  alert_id: string;
  integration: string;
  dedup_key: string;
  severity: string;
  source: string;
  summary: string;
}

/** Keys per lookup query: well inside both engines' limits on bound parameters. */
const KEY_CHUNK = 500;

/** Alerts of one entry listed in full; beyond this the entry gives the count and the first ones. */
const LISTED_ALERTS = 100;

interface PendingAdd {
  incident: { id: string; number: number };
  /** The integration's context: its actor writes the entry. */
  ctx: Ctx;
  integrationName: string;
  alerts: AddedAlert[];
}

/**
 * What one round of signals (applied in one transaction) shares, so that a storm costs a few
 * statements per alert rather than a dozen:
 *
 * - the silences and maintenance windows in force, loaded once;
 * - the open incident found on each service and each incident's state, looked up once and kept
 *   for the round: SQLite has one writer, and on PostgreSQL the round locks the incident rows it
 *   reads (FOR UPDATE), so a person's change waits for the round; whatever the round itself does
 *   that moves incidents about clears them;
 * - the alerts joining an incident, written as one `alert_added` entry per incident and
 *   integration (one timeline row, audit row and domain event, and one touch of the incident)
 *   instead of one per alert. An incident's pending entry is written before anything else is
 *   recorded on it, so its timeline keeps the order things happened in;
 * - which incidents alerts joined, and which have no auto-resolve timer pending.
 *
 * The round's named locks are taken by its caller, all at once (see applyRows).
 */
export class SignalRound {
  private suppressorsLoaded: Promise<ActiveSilence[]> | null = null;
  private readonly ownIncidents = new Map<string, OpenIncident | null>();
  private readonly states = new Map<string, { id: string; number: number; state: string }>();
  private readonly pending = new Map<string, PendingAdd>();
  /** Incidents alerts joined in this round. */
  private readonly joinedIncidents = new Set<string>();
  private readonly noAutoResolve = new Set<string>();
  /** `integration\nkey` of keys that had no alert at all when the round began, and none since. */
  private readonly newKeys = new Set<string>();

  suppressors(tx: Ctx): Promise<ActiveSilence[]> {
    return (this.suppressorsLoaded ??= loadSuppressors(tx));
  }

  /**
   * Looks up, in one query per integration, which of the round's keys have never had an alert:
   * for those, neither the open alert nor the flapping history needs a query of its own.
   */
  async findNewKeys(tx: Ctx, keysByIntegration: Map<string, Set<string>>): Promise<void> {
    for (const [integrationId, keys] of keysByIntegration) {
      const all = [...keys];
      for (let i = 0; i < all.length; i += KEY_CHUNK) {
        const chunk = all.slice(i, i + KEY_CHUNK);
        const seen = new Set((await q(tx).selectFrom('alerts').select('dedup_key').distinct().where('integration_id', '=', integrationId).where('dedup_key', 'in', chunk).execute()).map((r) => r.dedup_key));
        for (const key of chunk) if (!seen.has(key)) this.newKeys.add(`${integrationId}\n${key}`);
      }
    }
  }

  /** True while the key has never had an alert (as far as this round knows: it asked, and wrote none since). */
  keyIsNew(integrationId: string, dedupKey: string): boolean {
    return this.newKeys.has(`${integrationId}\n${dedupKey}`);
  }

  /** The round stored an alert for the key: from now on it is looked up. */
  noteKeyWritten(integrationId: string, dedupKey: string): void {
    this.newKeys.delete(`${integrationId}\n${dedupKey}`);
  }

  /** The cached answer for a service's own open incident: undefined when not looked up yet. */
  ownIncident(serviceId: string): OpenIncident | null | undefined {
    return this.ownIncidents.get(serviceId);
  }

  rememberOwnIncident(serviceId: string, incident: OpenIncident | null): void {
    this.ownIncidents.set(serviceId, incident);
  }

  /** An incident's id, number and state, looked up once per round (and on PostgreSQL locked, as in findOwnIncidents). */
  async incidentState(tx: Ctx, id: string): Promise<{ id: string; number: number; state: string } | undefined> {
    const known = this.states.get(id);
    if (known) return known;
    const row = await forUpdate(q(tx).selectFrom('incidents').select(['id', 'number', 'state']).where('id', '=', id), tx.db.dialect).executeTakeFirst();
    if (row) this.states.set(id, { id: row.id, number: Number(row.number), state: row.state });
    return row;
  }

  /** Something created, merged or moved incidents (or changed their state): look everything up again. */
  forgetIncidents(): void {
    this.ownIncidents.clear();
    this.states.clear();
  }

  /** True when this round knows the incident has no auto-resolve timer pending (it cancelled it, or created the incident). */
  knownNoAutoResolve(incidentId: string): boolean {
    return this.noAutoResolve.has(incidentId);
  }

  noteNoAutoResolve(incidentId: string): void {
    this.noAutoResolve.add(incidentId);
  }

  /** An auto-resolve timer may have been set for the incident (its last alert resolved). */
  noteAutoResolveMaybe(incidentId: string): void {
    this.noAutoResolve.delete(incidentId);
  }

  /** True when an alert joined the incident earlier in this round. */
  joined(incidentId: string): boolean {
    return this.joinedIncidents.has(incidentId);
  }

  /** Notes an alert joining an incident; written by flush (or before anything else is recorded on it). */
  addAlert(ctx: Ctx, incident: { id: string; number: number }, integration: { id: string; name: string }, alert: AddedAlert): void {
    this.joinedIncidents.add(incident.id);
    const key = `${incident.id}\n${integration.id}`;
    let entry = this.pending.get(key);
    if (!entry) {
      entry = { incident: { id: incident.id, number: incident.number }, ctx, integrationName: integration.name, alerts: [] };
      this.pending.set(key, entry);
    }
    entry.alerts.push(alert);
  }

  /** Writes an incident's pending `alert_added` entries now: call before recording anything else on it. */
  async flushIncident(tx: Ctx, incidentId: string): Promise<void> {
    for (const [key, entry] of this.pending) {
      if (entry.incident.id !== incidentId) continue;
      this.pending.delete(key);
      const { ctx, incident, change } = alertsAdded(tx, entry);
      await recordChange(ctx, incident, change);
    }
  }

  /** Writes every pending entry, in a few statements: the end of the round, inside its transaction. */
  async flush(tx: Ctx): Promise<void> {
    const entries = [...this.pending.values()];
    this.pending.clear();
    await recordChanges(tx, entries.map((entry) => alertsAdded(tx, entry)));
  }
}

/**
 * One `alert_added` entry for the alerts an integration added to an incident in one round: the
 * body names the first alert's summary (and how many more), the data lists the alerts.
 */
function alertsAdded(tx: Ctx, entry: PendingAdd) {
  const [first] = entry.alerts;
  const n = entry.alerts.length;
  const body = n === 1 ? `Alert from ${entry.integrationName}: ${first.summary}` : `${n} alerts from ${entry.integrationName}, the first: ${first.summary}`;
  const listed = entry.alerts.slice(0, LISTED_ALERTS).map(({ summary: _summary, ...rest }) => rest);
  return { ctx: { ...entry.ctx, trx: tx.trx }, incident: entry.incident, change: { kind: 'alert_added', body, data: { count: n, alerts: listed } } };
}
