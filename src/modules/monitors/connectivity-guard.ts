import type { MonitoringConfig, ProbeMonitorConfig } from '../../config/monitors-schema.ts';
import type { ProbeStatus } from './probes/types.ts';

export interface GuardVerdict {
  active: boolean;
  /** Why Firebreak suspects its own network, for the internal alert and the API. */
  reason: string | null;
  failing: number;
  total: number;
}

/**
 * The self-connectivity guard: when most of this node's probes fail at once, or a canary fails,
 * the likelier cause is this node's own network, not a hundred outages. While it holds, monitors'
 * new problems are held back (noted, not paged) and one internal alert says why. It looks at each
 * monitor's latest result within two intervals, so one slow sweep of the schedule is enough.
 */
export class ConnectivityGuard {
  private latest = new Map<string, { status: ProbeStatus; at: number }>();

  note(monitorId: string, status: ProbeStatus, at: number): void {
    this.latest.set(monitorId, { status, at });
  }

  forget(monitorId: string): void {
    this.latest.delete(monitorId);
  }

  evaluate(monitors: ProbeMonitorConfig[], settings: MonitoringConfig['guard'], now: number): GuardVerdict {
    let failing = 0;
    let total = 0;
    let canaryDown: string | null = null;
    for (const m of monitors) {
      // A backup tool's status command failing says nothing about this node's network (unless it is a canary).
      if (m.type === 'backup_status' && !m.canary) continue;
      const r = this.latest.get(m.id);
      if (!r || now - r.at > 2 * m.interval + m.timeout) continue;
      total++;
      if (r.status === 'down') {
        failing++;
        if (m.canary && !canaryDown) canaryDown = m.id;
      }
    }
    if (canaryDown) return { active: true, reason: `canary monitor ${canaryDown} is failing`, failing, total };
    if (total >= settings.min_monitors && failing / total >= settings.failing_share) {
      return { active: true, reason: `${failing} of ${total} monitors are failing at once`, failing, total };
    }
    return { active: false, reason: null, failing, total };
  }
}
