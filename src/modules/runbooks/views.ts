import type { LeafStep, RunbookConfig, RunbookStep } from '../../config/runbook-schema.ts';
import { isoTime } from '../../lib/iso-time.ts';
import type { RunRow, StepRunRow } from './repository.ts';
import type { RunbookView, RunDetailView, RunStatus, RunView, StepRunView } from './schemas.ts';

const iso = (t: number | null) => (t === null ? null : isoTime(Number(t)));

type Summary = { id: string; name: string | null; type: string; steps?: Summary[] };
const summary = (s: RunbookStep | LeafStep): Summary => ({ id: s.id, name: s.name ?? null, type: s.type, ...(s.type === 'parallel' ? { steps: s.steps.map(summary) } : {}) });

export function toRunbookView(rb: RunbookConfig): RunbookView {
  const d = rb.definition;
  return {
    id: d.id,
    name: d.name,
    description: d.description ?? null,
    version: rb.version,
    source: rb.source,
    variables: Object.entries(d.variables).map(([name, v]) => ({ name, description: v.description ?? null, default: v.default ?? null, required: v.required })),
    steps: d.steps.map(summary),
    rollback: d.rollback.map(summary),
  };
}

export function toRunView(row: RunRow, incidentRef: string | null, waiting: StepRunRow | undefined): RunView {
  const inputs = waiting ? (JSON.parse(waiting.inputs) as { message?: unknown }) : null;
  return {
    id: row.id,
    runbook_id: row.runbook_id,
    version: row.version,
    status: row.status as RunStatus,
    mode: row.mode as RunView['mode'],
    incident: incidentRef,
    variables: JSON.parse(row.variables),
    started_by: row.started_by,
    created_at: isoTime(Number(row.created_at)),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    current_step: row.current_step,
    waiting_for: row.status === 'waiting_approval' && waiting ? { step: waiting.step_path, message: String(inputs?.message ?? ''), deadline_at: iso(row.deadline_at) } : null,
    error: row.error,
  };
}

export function toStepRunView(s: StepRunRow): StepRunView {
  return {
    path: s.step_path,
    type: s.step_type,
    attempt: Number(s.attempt),
    status: s.status,
    inputs: JSON.parse(s.inputs),
    outputs: s.outputs === null ? null : JSON.parse(s.outputs),
    started_at: isoTime(Number(s.started_at)),
    finished_at: iso(s.finished_at),
    duration_ms: s.finished_at === null ? null : Number(s.finished_at) - Number(s.started_at),
    approved_by: s.approved_by,
    comment: s.comment,
    error: s.error,
  };
}

export function toRunDetail(row: RunRow, incidentRef: string | null, steps: StepRunRow[]): RunDetailView {
  const waiting = steps.find((s) => s.status === 'waiting');
  return { ...toRunView(row, incidentRef, waiting), steps: steps.map(toStepRunView), definition: JSON.parse(row.definition) };
}
