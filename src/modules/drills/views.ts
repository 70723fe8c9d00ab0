import type { DrillConfig } from '../../config/drill-schema.ts';
import type { DrillRunRow } from './repository.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** A measurement against its objective. */
export interface Measure {
  measured_ms: number | null;
  objective_ms: number;
  met: boolean | null;
}

export interface DrillStepReport {
  path: string;
  type: string;
  status: string;
  attempts: number;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  error: string | null;
}

export interface ActionItemReport {
  title: string;
  description: string;
  priority: 'high' | 'medium';
  /** The action item filed on the run's incident, when there was one. */
  id: string | null;
}

/** What a drill run found: stored as the drill run's report once it has finished. */
export interface DrillReport {
  drill: string;
  name: string;
  runbook: string;
  version: string;
  service: string;
  target: string;
  production: boolean;
  run: string;
  incident: string | null;
  trigger: string;
  started_at: string;
  finished_at: string;
  run_status: string;
  run_error: string | null;
  steps: DrillStepReport[];
  rto: Measure & { from_step: string; to_step: string };
  rpo: (Measure & { marker_at: string; surviving_marker_at: string | null }) | null;
  cleanup: { ran: boolean; ok: boolean; steps: DrillStepReport[] };
  passed: boolean;
  /** Why it failed (empty when it passed). */
  reasons: string[];
  action_items: ActionItemReport[];
}

export interface DrillRunView {
  id: string;
  drill: string;
  run: string;
  service: string;
  status: string;
  trigger: string;
  started_at: string;
  finished_at: string | null;
  rto_ms: number | null;
  rpo_ms: number | null;
  rto_objective_ms: number;
  rpo_objective_ms: number;
  passed: boolean | null;
  started_by: string;
  action_items: string[];
}

export const toDrillRunView = (r: DrillRunRow): DrillRunView => ({
  id: r.id,
  drill: r.drill_id,
  run: r.run_id,
  service: r.service_id,
  status: r.status,
  trigger: r.trigger,
  started_at: iso(r.started_at)!,
  finished_at: iso(r.finished_at),
  rto_ms: r.rto_ms === null ? null : Number(r.rto_ms),
  rpo_ms: r.rpo_ms === null ? null : Number(r.rpo_ms),
  rto_objective_ms: Number(r.rto_objective_ms),
  rpo_objective_ms: Number(r.rpo_objective_ms),
  passed: r.passed === null ? null : Number(r.passed) === 1,
  started_by: r.started_by,
  action_items: JSON.parse(r.action_items) as string[],
});

export interface DrillView {
  id: string;
  name: string;
  runbook: string;
  service: string;
  target: string;
  production: boolean;
  every_ms: number | null;
  measures_rpo: boolean;
  recovered_step: string;
  cleanup: string[];
  last_run: DrillRunView | null;
}

export const toDrillView = (d: DrillConfig, last: DrillRunRow | undefined): DrillView => ({
  id: d.id,
  name: d.name ?? d.id,
  runbook: d.runbook,
  service: d.service,
  target: d.target,
  production: d.production,
  every_ms: d.every ?? null,
  measures_rpo: d.marker !== undefined,
  recovered_step: d.recovered_step,
  cleanup: d.cleanup.map((s) => s.id),
  last_run: last ? toDrillRunView(last) : null,
});
