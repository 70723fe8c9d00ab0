import type { z } from 'zod';
import { withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { assertTransition, findIncidentRow, recordChange, resolveInput, transitionIncident, type IncidentState, type IncidentView } from '../incidents/index.ts';
import { describeValidation, validateResolution, type RunCheck, type ValidationResult } from './validate-resolution.ts';

/**
 * Resolves an incident the way the plan asks: validate first. The validation (health checks run
 * now, performance, open alerts, recent user reports) goes on the timeline check by check. A
 * failing validation keeps the incident open and is answered RESOLUTION_NOT_VALIDATED with what
 * failed, unless the responder overrides it with a written reason, which is recorded too. A false
 * positive (`not_an_incident`) and a config with `resolution.validate: false` resolve at once.
 */
export async function resolveIncident(ctx: Ctx, ref: string, input: z.input<typeof resolveInput>, deps: { runCheck?: RunCheck | null } = {}): Promise<IncidentView> {
  requireRole(ctx, 'responder');
  const data = resolveInput.parse(input);
  const row = await findIncidentRow(ctx, ref);
  // Refuse an impossible transition before running any check.
  assertTransition(row.state as IncidentState, 'resolve');
  const note = data.note ? { note: data.note } : {};
  if (!ctx.config.current.resolution.validate || data.resolution === 'not_an_incident') {
    return transitionIncident(ctx, row.id, 'resolve', note, { resolution: data.resolution });
  }

  // The checks run outside the transaction: a health check may take seconds.
  const validation = await validateResolution(ctx, row.id, { runCheck: deps.runCheck ?? null });
  const outcome = await withTransaction(ctx, async (tx) => {
    const locked = await findIncidentRow(tx, row.id, { forUpdate: true });
    assertTransition(locked.state as IncidentState, 'resolve');
    await recordValidation(tx, locked, validation);
    if (validation.passed) return transitionIncident(tx, row.id, 'resolve', note, { resolution: 'fixed', data: { validated: true } });
    if (!data.override_reason) return null;
    const failed = validation.checks.filter((c) => c.outcome === 'failed').map((c) => c.name);
    await recordChange(tx, locked, {
      kind: 'resolution_override',
      body: `Resolved although the validation failed (${failed.join(', ')}): ${data.override_reason}`,
      data: { reason: data.override_reason, failed_checks: failed },
    });
    return transitionIncident(tx, row.id, 'resolve', note, { resolution: 'fixed', data: { validated: false, override_reason: data.override_reason } });
  });
  if (outcome) return outcome;
  throw notValidated(`INC-${row.number}`, validation);
}

/** The validation, check by check, as one timeline entry. */
export async function recordValidation(tx: Ctx, incident: { id: string; number: number }, validation: ValidationResult): Promise<void> {
  await recordChange(tx, incident, {
    kind: 'resolution_validation',
    body: `Resolution validation ${validation.passed ? 'passed' : 'failed'} (${validation.mode === 'live' ? 'checks run now' : 'latest check results'}):\n${describeValidation(validation)}`,
    data: { passed: validation.passed, mode: validation.mode, checks: validation.checks.map(({ name, outcome, summary, items }) => ({ name, outcome, summary, items: items.slice(0, 20) })) },
  });
}

function notValidated(ref: string, validation: ValidationResult): DomainError {
  const failed = validation.checks.filter((c) => c.outcome === 'failed');
  return new DomainError(
    'RESOLUTION_NOT_VALIDATED',
    `${ref} stays open: ${failed.map((c) => `${c.name.replace('_', ' ')}: ${c.summary}`).join('; ')}. Fix it, or resolve with an override_reason to record why it is resolved anyway.`,
    { checks: validation.checks, failed: failed.map((c) => c.name) },
  );
}
