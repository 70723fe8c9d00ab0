import type { MonitorConfig, ProbeMonitorConfig } from '../../config/monitors-schema.ts';
import { withTransaction } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';
import { recordRecoveryPoint } from '../recovery/rpo-store.ts';
import { reconcileSignal } from './monitor-signals.ts';
import type { ProbeResult } from './probes/types.ts';
import { ensureStateRows, insertChange, insertResults, stateRows, STATUS_CODE, updateState, type MonitorStateRow } from './repository.ts';
import { applyProbeResult } from './state-machine.ts';
import { monitorsById } from './monitor-views.ts';

/** One finished check: its monitor, when it finished, what it found. */
export interface CheckOutcome {
  monitorId: string;
  at: number;
  result: ProbeResult;
}

/** Longest failure message kept with a result or a state. */
const MESSAGE_MAX = 300;

/**
 * Records a batch of finished checks in one transaction: the raw results, each monitor's streak and
 * confirmed state, its state changes, and the signals they call for (see reconcileSignal). A change
 * is held back, and noted, while a parent monitor is failing or `guard` (Firebreak suspects its own
 * network) is set. Paused monitors keep their results but not their state. Returns the new rows.
 */
export async function recordProbeResults(ctx: Ctx, outcomes: CheckOutcome[], opts: { guard?: string | null } = {}): Promise<Map<string, MonitorStateRow>> {
  const monitors = monitorsById(ctx.config.current);
  const known = outcomes.filter((o) => monitors.get(o.monitorId)?.type !== 'heartbeat' && monitors.has(o.monitorId));
  if (!known.length) return new Map();
  return withTransaction(ctx, async (tx) => {
    const ids = known.map((o) => o.monitorId);
    let states = await stateRows(tx, ids, true);
    if (states.size < new Set(ids).size) {
      // A monitor configured since the last sync starts as new.
      await ensureStateRows(tx, ids.filter((id) => !states.has(id)));
      states = await stateRows(tx, ids, true);
    }
    const parentIds = new Set(ids.flatMap((id) => monitors.get(id)!.depends_on));
    const parents = await stateRows(tx, [...parentIds].filter((id) => !states.has(id)));
    await insertResults(
      tx,
      known.map(({ monitorId, at, result: r }) => ({
        monitor_id: monitorId,
        at,
        status: STATUS_CODE[r.status],
        duration_ms: Math.round(r.durationMs),
        http_status: r.httpStatus ?? null,
        reason: r.reason,
        message: r.message === null ? null : r.message.slice(0, MESSAGE_MAX),
      })),
    );
    for (const { monitorId, at, result } of known) {
      // A backup tool's newest restorable point, or a replica's (its reading's time minus its lag).
      const monitor = monitors.get(monitorId)!;
      if (result.restorableAt !== undefined) {
        await recordRecoveryPoint(tx, { monitorId, service: monitor.service, source: 'command', restorableAt: result.restorableAt, sizeBytes: result.sizeBytes, observedAt: at, detail: result.pointDetail });
      } else if (result.lagMs !== undefined) {
        await recordRecoveryPoint(tx, { monitorId, service: monitor.service, source: 'replication', restorableAt: at - result.lagMs, observedAt: at, detail: { lag_ms: result.lagMs } });
      }
    }
    const touched = new Map<string, MonitorStateRow>();
    for (const { monitorId, at, result } of known) {
      const monitor = monitors.get(monitorId) as ProbeMonitorConfig;
      const row = states.get(monitorId);
      if (!row) continue;
      const next: MonitorStateRow = {
        ...row,
        last_check_at: at,
        last_status: result.status,
        last_reason: result.reason,
        last_message: result.message?.slice(0, MESSAGE_MAX) ?? null,
        last_duration_ms: Math.round(result.durationMs),
        last_http_status: result.httpStatus ?? null,
        last_phases: result.phases ? JSON.stringify(result.phases) : null,
        cert_expires_at: result.certExpiresAt ?? row.cert_expires_at,
      };
      if (row.paused_at === null) {
        Object.assign(next, applyProbeResult(row as Parameters<typeof applyProbeResult>[0], result.status, at, monitor.confirm));
        const hold = failingParent(monitor, states, parents) ?? opts.guard ?? null;
        const decision = await reconcileSignal(tx, monitor, { status: next.status as never, signalled: row.signalled, reason: result.reason, message: next.last_message, since: next.streak_since ?? at }, hold);
        next.signalled = decision.signalled;
        next.held = decision.held;
        if (next.status !== row.status) {
          next.changed_at = at;
          await insertChange(tx, { monitor_id: monitorId, at, from_status: row.status, to_status: next.status, reason: result.reason, message: next.last_message, signal_id: decision.signalId, held: decision.held });
        }
      }
      states.set(monitorId, next);
      touched.set(monitorId, next);
    }
    for (const [id, row] of touched) {
      const { monitor_id: _id, lease_owner: _o, lease_until: _u, paused_at: _p, paused_by: _b, ...patch } = row;
      await updateState(tx, id, patch);
    }
    return touched;
  });
}

/** The first parent that is down or whose last check failed: its children's failures are its own. */
export function failingParent(monitor: MonitorConfig, ...sources: Map<string, MonitorStateRow>[]): string | null {
  for (const parentId of monitor.depends_on) {
    const parent = sources.map((s) => s.get(parentId)).find(Boolean);
    if (parent && parent.paused_at === null && (parent.status === 'down' || parent.last_status === 'down')) return `parent:${parentId}`;
  }
  return null;
}
