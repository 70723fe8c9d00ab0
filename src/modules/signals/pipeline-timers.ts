import type { AutoResolveConfig } from '../../config/schema.ts';
import { q } from '../../db/transaction.ts';
import { formatDuration } from '../../lib/duration.ts';
import type { Ctx } from '../context.ts';
import { changeSeverity, recordChange, transitionIncident } from '../incidents/index.ts';
import { isOpen } from '../incidents/state-machine.ts';
import { resolveIfValid } from '../resolution/index.ts';
import { setTimer, type TimerHandler } from '../timers/index.ts';

/** Resolves an incident whose alerts have all resolved, after the quiet period. */
export const AUTO_RESOLVE_TIMER = 'incident.auto_resolve';
/** Raises an incident still open at a severity after a duration rule's time. */
export const DURATION_TIMER = 'incident.duration_rule';
/** Clears an alert key's flapping mark once it has been quiet for the flapping window. */
export const FLAP_SETTLE_TIMER = 'alert.flap_settle';

const openAlertCount = async (tx: Ctx, incidentId: string) =>
  Number((await q(tx).selectFrom('alerts').select((eb) => eb.fn.countAll().as('n')).where('incident_id', '=', incidentId).where('status', '<>', 'resolved').executeTakeFirstOrThrow()).n);

/**
 * After an alert resolved at the source: when it was the incident's last open alert and its
 * integration auto-resolves, the incident (if someone is on it) moves to `monitoring` now, and a
 * timer resolves it after the quiet period unless an alert fires again (see attachToIncident). An
 * incident nobody acknowledged stays `triggered` until then: moving it would fake an acknowledgement.
 */
export async function afterAlertResolved(tx: Ctx, autoResolve: AutoResolveConfig | undefined, incidentId: string): Promise<void> {
  if (!autoResolve) return;
  const incident = await q(tx).selectFrom('incidents').select(['id', 'number', 'state']).where('id', '=', incidentId).executeTakeFirst();
  if (!incident || !isOpen(incident.state) || (await openAlertCount(tx, incidentId)) > 0) return;
  const quiet = formatDuration(autoResolve.quiet_period);
  const dueAt = tx.clock.now() + autoResolve.quiet_period;
  if (incident.state !== 'triggered' && incident.state !== 'monitoring') {
    await transitionIncident(tx, incidentId, 'monitor', { note: `every alert has resolved at the source; resolving after ${quiet} quiet unless one fires again` });
  } else {
    await recordChange(tx, incident, { kind: 'auto_resolve_scheduled', body: `Every alert has resolved at the source; resolving after ${quiet} quiet unless one fires again`, data: { due_at: dueAt } });
  }
  await setTimer(tx, AUTO_RESOLVE_TIMER, incidentId, dueAt, { quiet_period: autoResolve.quiet_period });
}

/**
 * Sets the duration-rule timer for an open incident's current severity, if a rule covers it: the
 * time counts from now, when the incident reached that severity (a P3 raised to P2 after four hours
 * is P2 for 30 minutes before it becomes P1, not at once).
 */
export async function scheduleDurationRule(tx: Ctx, incidentId: string): Promise<void> {
  const incident = await q(tx).selectFrom('incidents').select(['severity', 'severity_source', 'state']).where('id', '=', incidentId).executeTakeFirst();
  if (!incident || !isOpen(incident.state) || incident.severity_source === 'human') return;
  const rule = tx.config.current.classification.duration_rules.find((r) => r.severity === incident.severity);
  if (rule) await setTimer(tx, DURATION_TIMER, incidentId, tx.clock.now() + rule.open_for, { severity: rule.severity, open_for: rule.open_for });
}

const autoResolve: TimerHandler = async (tx, timer) => {
  const incident = await q(tx).selectFrom('incidents').select(['id', 'state']).where('id', '=', timer.subject_id).executeTakeFirst();
  if (!incident || !isOpen(incident.state) || (await openAlertCount(tx, incident.id)) > 0) return;
  await resolveIfValid(tx, incident.id, `auto-resolved: no alert fired for ${formatDuration(Number(timer.data.quiet_period))}`);
};

/**
 * Applies the duration rule for the severity the timer was set at, if the incident is still open
 * at it (any change of severity since set a timer of its own, or was a person's, which automation
 * never overrides), then schedules the next rule (P1 → P0, say). The rule is read from the config
 * now, so a reload that drops it stops it.
 */
const durationRule: TimerHandler = async (tx, timer) => {
  const incident = await q(tx).selectFrom('incidents').select(['id', 'severity', 'severity_source', 'state']).where('id', '=', timer.subject_id).executeTakeFirst();
  if (!incident || !isOpen(incident.state) || incident.severity_source === 'human' || incident.severity !== timer.data.severity) return;
  const rule = tx.config.current.classification.duration_rules.find((r) => r.severity === incident.severity);
  if (!rule) return;
  await changeSeverity(tx, incident.id, { severity: rule.raise_to, reason: `open for ${formatDuration(Number(timer.data.open_for ?? rule.open_for))} at ${rule.severity} (duration rule)` });
  await scheduleDurationRule(tx, incident.id);
};

const flapSettle: TimerHandler = async (tx, timer) => {
  const { integration_id: integrationId, dedup_key: dedupKey } = timer.data as { integration_id: string; dedup_key: string };
  const flapping = await q(tx).selectFrom('alerts').select(['id', 'incident_id']).where('integration_id', '=', integrationId).where('dedup_key', '=', dedupKey).where('flapping_since', 'is not', null).execute();
  if (!flapping.length) return;
  await q(tx).updateTable('alerts').set({ flapping_since: null }).where('integration_id', '=', integrationId).where('dedup_key', '=', dedupKey).execute();
  const incidentIds = [...new Set(flapping.map((a) => a.incident_id).filter((id): id is string => id !== null))];
  for (const id of incidentIds) {
    const incident = await q(tx).selectFrom('incidents').select(['id', 'number', 'state']).where('id', '=', id).executeTakeFirst();
    if (incident && isOpen(incident.state)) {
      await recordChange(tx, incident, { kind: 'alert_settled', body: `Alert ${dedupKey} has settled: re-notifications resume`, data: { integration: integrationId, dedup_key: dedupKey } });
    }
  }
};

/** The signal pipeline's timers, by kind, for the timer loop. */
export const pipelineTimerHandlers: Record<string, TimerHandler> = {
  [AUTO_RESOLVE_TIMER]: autoResolve,
  [DURATION_TIMER]: durationRule,
  [FLAP_SETTLE_TIMER]: flapSettle,
};
