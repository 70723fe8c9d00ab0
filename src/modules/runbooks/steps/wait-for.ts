import type { Severity } from '../../../config/defaults.ts';
import { isoTime } from '../../../lib/iso-time.ts';
import { markDrillIncident } from '../../incidents/index.ts';
import { monitorStatus, openIncidentsOnService } from '../repository.ts';
import { sendHttp, type HttpRequestSpec } from './http.ts';
import { sleepUnless, StepFailure, type StepEnv } from './types.ts';

export interface WaitForSpec {
  monitor?: string;
  state: string;
  http?: HttpRequestSpec;
  incident?: { service: string; min_severity: Severity };
  interval: number;
}

export interface WaitForOutput {
  waited_ms: number;
  checks: number;
  last: string;
  /** For an incident condition: the incident found (the run is now linked to it). */
  incident?: { ref: string; severity: string; opened_at: string; opened_after_run_ms: number };
}

/**
 * Looks every `interval` until the condition holds: a monitor's confirmed state (as the monitor
 * runner recorded it), an HTTP answer meeting `expect`, or an incident that Firebreak's detection
 * opened on a service since the run started (the run is linked to it, so its steps and its drill's
 * report belong to that incident). The step's timeout is the deadline.
 */
export async function runWaitForStep(spec: WaitForSpec, env: StepEnv): Promise<WaitForOutput> {
  const started = Date.now();
  let checks = 0;
  let last = '';
  for (;;) {
    checks++;
    if (spec.monitor !== undefined) {
      const status = await monitorStatus(env.ctx, spec.monitor);
      if (status === undefined) throw new StepFailure(`monitor "${spec.monitor}" has no state yet`);
      last = `monitor ${spec.monitor} is ${status}`;
      if (status === spec.state) return { waited_ms: Date.now() - started, checks, last };
    } else if (spec.incident !== undefined) {
      const { service, min_severity } = spec.incident;
      const [found] = await openIncidentsOnService(env.ctx, service, min_severity, env.runCreatedAt);
      last = found ? `INC-${found.number} (${found.severity}) is open on ${service}` : `no ${min_severity} or worse incident opened on ${service} since the run started`;
      // The step may have timed out while this looked: then it must not claim the incident.
      if (found && env.signal.aborted) throw env.signal.reason;
      if (found) {
        const incident = { id: found.id, number: found.number };
        await env.linkIncident(incident);
        if (env.drill) await markDrillIncident(env.ctx, incident, env.runId, `Opened during drill ${env.drill.id} (runbook run ${env.runId}): this is an exercise against the drill's target, not an outage of production; the KPI reports leave it out.`);
        return { waited_ms: Date.now() - started, checks, last, incident: { ref: `INC-${found.number}`, severity: found.severity, opened_at: isoTime(found.created_at), opened_after_run_ms: found.created_at - env.runCreatedAt } };
      }
    } else {
      try {
        const { output, problems } = await sendHttp(spec.http!, env.signal);
        last = problems.length ? problems.join('; ') : `status ${output.status}`;
        if (!problems.length) return { waited_ms: Date.now() - started, checks, last };
      } catch (e) {
        if (env.signal.aborted) throw env.signal.reason;
        last = (e as Error).message;
      }
    }
    await sleepUnless(spec.interval, env.signal);
  }
}
