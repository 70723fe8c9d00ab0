import { MONITORS_INTEGRATION_ID, type MonitorConfig } from '../../config/monitors-schema.ts';
import { acceptSignal } from '../signals/signal-queue.ts';
import { cut, type WorkItem } from '../signals/alert-lifecycle.ts';
import { SUMMARY_MAX } from '../signals/ingest-alertmanager.ts';
import type { Ctx } from '../context.ts';
import { desiredSignal, type MonitorStatus } from './state-machine.ts';

/** Dedup keys: one per monitor for down, another for degraded (a warning must not mask a later outage). */
export const downKey = (monitorId: string) => `monitor/${monitorId}`;
export const degradedKey = (monitorId: string) => `monitor/${monitorId}/degraded`;

export interface SignalDecision {
  /** What the pipeline has been told after this. */
  signalled: 'down' | 'degraded' | null;
  /** Why a change was not passed on (a parent monitor down, or Firebreak's own network suspect). */
  held: string | null;
  signalId: number | null;
}

/** What a monitor looks like when its signal is decided. */
export interface SignalSubject {
  status: MonitorStatus;
  signalled: string | null;
  reason: string | null;
  message: string | null;
  /** When the failures that confirmed this state began (the alert's detection time). */
  since: number;
}

/**
 * Brings what the pipeline knows in line with the monitor's state, in the caller's transaction:
 * a new problem fires an alert (dedup key per monitor), a recovery resolves it. A problem is held
 * back, and noted, while `hold` names a reason; recoveries are never held.
 */
export async function reconcileSignal(tx: Ctx, monitor: MonitorConfig, s: SignalSubject, hold: string | null): Promise<SignalDecision> {
  const want = desiredSignal(s.status);
  const had = (s.signalled as SignalDecision['signalled']) ?? null;
  if (want === had) return { signalled: had, held: null, signalId: null };
  if (want !== null && hold !== null) return { signalled: had, held: hold, signalId: null };
  const work: WorkItem[] = [];
  if (had !== null) work.push({ status: 'resolved', dedupKey: had === 'down' ? downKey(monitor.id) : degradedKey(monitor.id), serviceId: monitor.service });
  if (want !== null) {
    const what = want === 'down' ? (monitor.type === 'heartbeat' ? 'is down (no ping in time, or the job failed)' : 'is down') : 'is degraded';
    work.push({
      status: 'firing',
      firing: {
        dedupKey: want === 'down' ? downKey(monitor.id) : degradedKey(monitor.id),
        serviceId: monitor.service,
        summary: cut(`${monitor.name} ${what}${s.message ? `: ${s.message}` : ''}`, SUMMARY_MAX),
        source: `monitor ${monitor.id}`,
        sourceSeverity: want === 'down' ? 'critical' : 'warning',
        severity: want === 'down' ? monitor.severity : 'P3',
        detectedAt: s.since,
        details: { monitor: monitor.id, type: monitor.type, status: s.status, reason: s.reason, message: s.message },
        labels: { monitor: monitor.id, monitor_type: monitor.type, ...(s.reason ? { reason: s.reason } : {}) },
      },
    });
  }
  const now = tx.clock.now();
  const payload = JSON.stringify({ monitor: monitor.id, status: s.status, reason: s.reason, message: s.message, at: new Date(now).toISOString() });
  const signalId = await acceptSignal(tx, MONITORS_INTEGRATION_ID, { receivedAt: now, eventAction: want === null ? 'resolve' : 'trigger', dedupKey: downKey(monitor.id), payload }, work);
  return { signalled: want, held: null, signalId };
}
