import { z } from 'zod';
import { slug } from '../../config/primitives.ts';

export const RUN_STATUSES = ['queued', 'running', 'waiting_approval', 'succeeded', 'failed', 'interrupted', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

const variableValue = z.union([z.string().max(10_000), z.number(), z.boolean()]);

export const startRunInput = z.strictObject({
  /** The incident the run works on and records its steps on: "INC-7", "7" or an id. */
  incident: z.string().min(1).max(64).optional(),
  variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a variable name'), variableValue).default({}),
  /** Resolve and return the plan; nothing is executed. */
  dry_run: z.boolean().default(false),
});

export const decisionInput = z.strictObject({
  step: slug,
  comment: z.string().min(1).max(2000).optional(),
});

export const listRunsQuery = z.strictObject({
  status: z.enum(RUN_STATUSES).optional(),
  incident: z.string().min(1).max(64).optional(),
  runbook: slug.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const stepSummary: z.ZodType<{ id: string; name: string | null; type: string; steps?: unknown[] }> = z.object({
  id: z.string(),
  name: z.string().nullable(),
  type: z.string(),
  steps: z.array(z.lazy(() => stepSummary)).optional(),
});

export const runbookView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  version: z.string(),
  /** The file it was read from, or null when written in the config itself. */
  source: z.string().nullable(),
  variables: z.array(z.object({ name: z.string(), description: z.string().nullable(), default: variableValue.nullable(), required: z.boolean() })),
  steps: z.array(stepSummary),
  rollback: z.array(stepSummary),
});
export type RunbookView = z.output<typeof runbookView>;

export const runbookDetailView = runbookView.extend({ definition: z.record(z.string(), z.unknown()) });

export const runView = z.object({
  id: z.string(),
  runbook_id: z.string(),
  version: z.string(),
  status: z.enum(RUN_STATUSES),
  mode: z.enum(['run', 'dry_run', 'drill']),
  incident: z.string().nullable(),
  variables: z.record(z.string(), z.unknown()),
  started_by: z.string(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  current_step: z.string().nullable(),
  /** While waiting_approval: the step, its question and when it times out. */
  waiting_for: z.object({ step: z.string(), message: z.string(), deadline_at: z.string().nullable() }).nullable(),
  error: z.string().nullable(),
});
export type RunView = z.output<typeof runView>;

export const stepRunView = z.object({
  path: z.string(),
  type: z.string(),
  attempt: z.number(),
  status: z.string(),
  inputs: z.unknown(),
  outputs: z.unknown(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
  approved_by: z.string().nullable(),
  comment: z.string().nullable(),
  error: z.string().nullable(),
});
export type StepRunView = z.output<typeof stepRunView>;

export const runDetailView = runView.extend({ steps: z.array(stepRunView), definition: z.record(z.string(), z.unknown()) });
export type RunDetailView = z.output<typeof runDetailView>;

export const planStepView = z.object({
  path: z.string(),
  type: z.string(),
  name: z.string().nullable(),
  timeout_ms: z.number(),
  retries: z.number(),
  on_failure: z.string(),
  /** The step runs only when this condition holds (evaluated when the run reaches it). */
  when: z.string().nullable(),
  /** The step's fields with variables resolved, secrets as ***, later outputs as <steps.x.output.y>. */
  inputs: z.unknown(),
});
export type PlanStepView = z.output<typeof planStepView>;

export const startRunResult = z.object({
  run: runView,
  /** Dry runs: the resolved plan, steps then rollback. */
  plan: z.object({ steps: z.array(planStepView), rollback: z.array(planStepView) }).nullable(),
});
export type StartRunResult = z.output<typeof startRunResult>;
