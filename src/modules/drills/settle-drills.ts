import { DRILL_FAILED_ALERT_PREFIX, MARKER_READ_STEP, MARKER_WRITE_STEP } from '../../config/drill-schema.ts';
import { withTransaction } from '../../db/transaction.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Ctx } from '../context.ts';
import { createActionItem } from '../postmortems/index.ts';
import { clearInternalAlert, raiseInternalAlert } from '../signals/index.ts';
import { findRun, incidentRefOf, stepRunsOf, type StepRunRow } from '../runbooks/index.ts';
import type { DrillRecord } from './definition.ts';
import { setDrillRunItems, settleDrillRun, unsettledDrillRuns, type DrillRunRow } from './repository.ts';
import type { ActionItemReport, DrillReport, DrillStepReport } from './views.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** Every attempt of a step path, oldest first, summarised as one line of the report. */
function stepReports(records: StepRunRow[], keep: (path: string) => boolean): DrillStepReport[] {
  const byPath = new Map<string, StepRunRow[]>();
  for (const r of records) if (keep(r.step_path)) byPath.set(r.step_path, [...(byPath.get(r.step_path) ?? []), r]);
  return [...byPath.entries()].map(([path, attempts]) => {
    const last = attempts.at(-1)!;
    const started = Number(attempts[0].started_at);
    const finished = last.finished_at === null ? null : Number(last.finished_at);
    return { path, type: last.step_type, status: last.status, attempts: attempts.length, started_at: iso(started), finished_at: finished === null ? null : iso(finished), duration_ms: finished === null ? null : finished - started, error: last.error };
  });
}

/** The first value of the first row a marker query returned, as milliseconds. */
function markerValue(outputs: string | null): number | null {
  if (!outputs) return null;
  const rows = (JSON.parse(outputs) as { rows?: Record<string, unknown>[] }).rows ?? [];
  const first = rows[0] ? Object.values(rows[0])[0] : null;
  if (first === null || first === undefined) return null;
  const n = typeof first === 'string' && !/^\d+(\.\d+)?$/.test(first) ? Date.parse(first) : Number(first);
  return Number.isFinite(n) ? n : null;
}

/**
 * Measures a finished drill run from its step records. RTO: the recovered step's successful
 * finish minus the failure step's first start. RPO: the failure step's start minus the newest
 * marker that survived; when the drill's own marker survived, minus the end of its write (what
 * was written before it is known safe).
 */
export function measureDrill(row: DrillRunRow, run: { status: string; error: string | null; runbook_id: string; version: string; definition: string; finished_at: number | null }, records: StepRunRow[], incident: string | null): DrillReport {
  const drill = (JSON.parse(run.definition) as { drill: DrillRecord }).drill;
  const failureStep = drill.failure_step;
  const reasons: string[] = [];
  const ofPath = (path: string) => records.filter((r) => r.step_path === path);
  // A failure step skipped by its condition injected nothing: there is nothing to measure from.
  const failureSkipped = ofPath(failureStep).some((r) => r.status === 'skipped');
  const failureStart = failureSkipped ? null : (ofPath(failureStep)[0]?.started_at ?? null);
  const recovered = ofPath(drill.recovered_step).find((r) => r.status === 'succeeded');
  const rtoMs = failureStart !== null && recovered?.finished_at != null ? Number(recovered.finished_at) - Number(failureStart) : null;
  const rtoObjective = Number(row.rto_objective_ms);
  const rto = { measured_ms: rtoMs, objective_ms: rtoObjective, met: rtoMs === null ? null : rtoMs <= rtoObjective, from_step: failureStep, to_step: drill.recovered_step };
  if (run.status !== 'succeeded') reasons.push(run.status === 'cancelled' ? 'the run was cancelled' : `the run failed: ${run.error ?? 'unknown error'}`);
  if (failureSkipped) reasons.push(`RTO and RPO not measured: the failure step "${failureStep}" was skipped by its condition`);
  else if (rtoMs === null) reasons.push(`RTO not measured: step "${drill.recovered_step}" did not succeed`);
  else if (!rto.met) reasons.push(`RTO ${rtoMs} ms is over the objective of ${rtoObjective} ms`);
  let rpo: DrillReport['rpo'] = null;
  if (drill.marker) {
    const markerAt = Number(row.started_at);
    const write = ofPath(MARKER_WRITE_STEP).find((r) => r.status === 'succeeded');
    const read = ofPath(MARKER_READ_STEP).find((r) => r.status === 'succeeded');
    const surviving = read ? markerValue(read.outputs) : null;
    let rpoMs: number | null = null;
    if (failureStart !== null && read) {
      if (surviving !== null && surviving >= markerAt && write?.finished_at != null) rpoMs = Math.max(0, Number(failureStart) - Number(write.finished_at));
      else if (surviving !== null) rpoMs = Math.max(0, Number(failureStart) - surviving);
    }
    const rpoObjective = Number(row.rpo_objective_ms);
    rpo = { measured_ms: rpoMs, objective_ms: rpoObjective, met: rpoMs === null ? null : rpoMs <= rpoObjective, marker_at: iso(markerAt), surviving_marker_at: surviving === null ? null : iso(surviving) };
    if (!write) reasons.push('RPO not measured: the marker could not be written');
    else if (!read) reasons.push('RPO not measured: the surviving marker could not be read');
    else if (surviving === null) reasons.push('RPO not measured: no marker survived');
    else if (rpoMs !== null && !rpo.met) reasons.push(`RPO ${rpoMs} ms is over the objective of ${rpoObjective} ms`);
  }
  const cleanupSteps = stepReports(records, (p) => p.startsWith('cleanup/'));
  // A cleanup step its condition skipped had nothing to clean ("demote only if promoted").
  const cleaned = (s: { status: string }) => s.status === 'succeeded' || s.status === 'skipped';
  const cleanupOk = cleanupSteps.length > 0 && cleanupSteps.every(cleaned);
  if (run.status === 'cancelled') reasons.push('cleanup did not run: the run was cancelled (run the cleanup steps by hand)');
  else for (const s of cleanupSteps.filter((c) => !cleaned(c))) reasons.push(`cleanup step "${s.path.slice('cleanup/'.length)}" ${s.status}: ${s.error ?? ''}`.trim());
  const passed = reasons.length === 0;
  return {
    drill: drill.id,
    name: drill.name,
    runbook: run.runbook_id,
    version: run.version,
    service: row.service_id,
    target: drill.target,
    production: drill.production,
    run: row.run_id,
    incident,
    trigger: row.trigger,
    started_at: iso(Number(row.started_at)),
    finished_at: iso(Number(run.finished_at ?? row.started_at)),
    run_status: run.status,
    run_error: run.error,
    steps: stepReports(records, (p) => !p.startsWith('cleanup/')),
    rto,
    rpo,
    cleanup: { ran: cleanupSteps.length > 0, ok: cleanupOk, steps: cleanupSteps },
    passed,
    reasons,
    action_items: reasons.map((r): ActionItemReport => ({ title: `Drill ${drill.id}: ${r}`.slice(0, 200), description: `Drill ${drill.id} (${drill.name}) of runbook ${run.runbook_id} ${run.version}, run ${row.run_id}: ${r}.`, priority: /RTO|RPO/.test(r) ? 'high' : 'medium', id: null })),
  };
}

export const drillAlertKey = (drillId: string) => `${DRILL_FAILED_ALERT_PREFIX}${drillId}`;

/**
 * A failed drill is a finding about recovery, so it goes into the incident pipeline like any other
 * signal, on the drill's service: P2 when the recovery itself did not work (the run failed or was
 * cancelled), P3 when it worked but missed an objective or left its cleanup undone. The next drill
 * that passes resolves it.
 */
async function signalDrillOutcome(tx: Ctx, row: DrillRunRow, report: DrillReport): Promise<void> {
  const key = drillAlertKey(row.drill_id);
  if (report.passed) {
    await clearInternalAlert(tx, { dedupKey: key, serviceId: row.service_id, summary: `Drill ${row.drill_id} passes again` });
    return;
  }
  if (!tx.config.current.services.some((s) => s.id === row.service_id)) return;
  await raiseInternalAlert(tx, {
    dedupKey: key,
    serviceId: row.service_id,
    summary: `Drill ${row.drill_id} failed: ${report.reasons.join('; ')}`.slice(0, 1000),
    severity: report.run_status === 'succeeded' ? 'P3' : 'P2',
    details: { drill: row.drill_id, drill_run: row.id, run: row.run_id, rto_ms: report.rto.measured_ms, rto_objective_ms: report.rto.objective_ms, rpo_ms: report.rpo?.measured_ms ?? null, rpo_objective_ms: report.rpo?.objective_ms ?? null, reasons: report.reasons },
  });
}

/**
 * Measures and records every drill whose run has ended (one pass; safe on several nodes: the
 * settle is a conditional update). Follow-up action items are filed on the run's incident when
 * the run has one (through the postmortems verb); otherwise they are listed in the report.
 */
export async function settleDrills(ctx: Ctx, logger?: Logger): Promise<number> {
  let settled = 0;
  for (const row of await unsettledDrillRuns(ctx)) {
    try {
      const ok = await withTransaction(ctx, async (tx) => {
        const run = await findRun(tx, row.run_id);
        const records = await stepRunsOf(tx, row.run_id);
        const incident = await incidentRefOf(tx, run.incident_id);
        const ref = incident ? `INC-${incident.number}` : null;
        const report = measureDrill(row, { ...run, finished_at: run.finished_at === null ? null : Number(run.finished_at) }, records, ref);
        const now = tx.clock.now();
        const done = await settleDrillRun(tx, row.id, {
          status: report.passed ? 'passed' : 'failed',
          finished_at: run.finished_at === null ? now : Number(run.finished_at),
          rto_ms: report.rto.measured_ms,
          rpo_ms: report.rpo?.measured_ms ?? null,
          passed: report.passed ? 1 : 0,
          report: JSON.stringify(report),
        });
        if (!done) return false;
        if (ref) {
          const actor = { ...tx, actor: { type: 'system' as const, userId: null, name: `drill ${row.drill_id}`, role: 'responder' as const } };
          const ids: string[] = [];
          for (const item of report.action_items) {
            const created = await createActionItem(actor, { incident: ref, title: item.title, description: item.description, priority: item.priority });
            item.id = created.id;
            ids.push(created.id);
          }
          if (ids.length) await setDrillRunItems(tx, row.id, JSON.stringify(report), JSON.stringify(ids));
        }
        await signalDrillOutcome(tx, row, report);
        return true;
      });
      if (ok) settled++;
    } catch (err) {
      logger?.error({ err, drill_run: row.id }, 'could not settle a drill run');
    }
  }
  return settled;
}
