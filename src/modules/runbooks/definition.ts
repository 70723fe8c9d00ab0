import { DEFAULT_APPROVAL_TIMEOUT, DEFAULT_STEP_TIMEOUT, type LeafStep, type RunbookDefinition, type RunbookStep } from '../../config/runbook-schema.ts';
import { DomainError } from '../../lib/errors.ts';
import { resolve, secretNames, TemplateError, type Scope } from './template.ts';
import type { PlanStepView } from './schemas.ts';

/** Fields that steer a step rather than describe what it does; never templated. */
const CONTROL = new Set(['id', 'name', 'type', 'timeout', 'retries', 'backoff', 'on_failure', 'steps', 'when']);

/** What a step does: its own fields, templates not yet resolved. */
export const stepFields = (step: RunbookStep | LeafStep): Record<string, unknown> => Object.fromEntries(Object.entries(step).filter(([k, v]) => !CONTROL.has(k) && v !== undefined));

export const stepTimeout = (step: RunbookStep | LeafStep): number => step.timeout ?? (step.type === 'approval' ? DEFAULT_APPROVAL_TIMEOUT : DEFAULT_STEP_TIMEOUT);

/** The run's variables: declared defaults under what was given; unknown and missing required ones are refused. */
export function runVariables(def: RunbookDefinition, given: Record<string, string | number | boolean>): Record<string, string | number | boolean> {
  const issues: { path: string; message: string }[] = [];
  for (const name of Object.keys(given)) if (!Object.hasOwn(def.variables, name)) issues.push({ path: `variables.${name}`, message: `runbook "${def.id}" has no variable "${name}" (it has: ${Object.keys(def.variables).join(', ') || 'none'})` });
  const vars: Record<string, string | number | boolean> = {};
  for (const [name, v] of Object.entries(def.variables)) {
    const value = Object.hasOwn(given, name) ? given[name] : v.default;
    if (value === undefined) {
      if (v.required) issues.push({ path: `variables.${name}`, message: 'required' });
      continue;
    }
    vars[name] = value;
  }
  if (issues.length) throw new DomainError('VALIDATION_FAILED', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  return vars;
}

/** The secret values a definition refers to (for masking); names whose variable is unset are skipped. */
export function secretValues(def: RunbookDefinition, env: Readonly<Record<string, string | undefined>>): string[] {
  return secretNames(def).map((n) => env[n]).filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/**
 * The dry-run plan: every step with its fields resolved from the variables, secrets as *** and
 * outputs of earlier steps as placeholders. Nothing runs and nothing is sent.
 */
export function planOf(def: RunbookDefinition, vars: Record<string, unknown>, incident: { ref: string } | null): { steps: PlanStepView[]; rollback: PlanStepView[] } {
  const scope: Scope = { vars, steps: {}, secrets: 'masked', run: { id: '<run id>' }, incident: incident ?? { ref: '<incident>' }, placeholders: true };
  const one = (step: RunbookStep | LeafStep, path: string): PlanStepView => {
    let inputs: unknown;
    try {
      inputs = resolve(stepFields(step), scope);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      throw new DomainError('VALIDATION_FAILED', `step "${path}": ${e.message}`, { issues: [{ path: `steps.${path}`, message: e.message }] });
    }
    return { path, type: step.type, name: step.name ?? null, timeout_ms: stepTimeout(step), retries: step.retries, on_failure: step.on_failure, when: step.when ?? null, inputs };
  };
  const steps: PlanStepView[] = [];
  for (const s of def.steps) {
    steps.push(one(s, s.id));
    if (s.type === 'parallel') for (const c of s.steps) steps.push(one(c, `${s.id}/${c.id}`));
  }
  return { steps, rollback: def.rollback.map((s) => one(s, `rollback/${s.id}`)) };
}
