import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { isHuman, requireRole, type Ctx } from '../context.ts';
import { computeImpact } from '../services/index.ts';
import { nextIncidentNumber, recordChange, toView, type IncidentRow } from './repository.ts';
import { createIncidentInput, type IncidentView } from './schemas.ts';
import { assertKnownServices, resolveActiveUser } from './validate-refs.ts';

/** Allowed clock skew for a caller-supplied detection time. */
const FUTURE_SKEW_MS = 5 * 60_000;

/**
 * Declares an incident: state `triggered`, impact computed from the services and their dependents.
 * Automation passes `decision`: how its severity was decided, kept on the `created` timeline entry,
 * and `fingerprint`: the integration/dedup_key of the alert that opened it (recurring incidents).
 */
export async function createIncident(ctx: Ctx, input: z.input<typeof createIncidentInput>, opts: { decision?: { text: string; data: Record<string, unknown> }; fingerprint?: string; drillRunId?: string } = {}): Promise<IncidentView> {
  requireRole(ctx, 'responder');
  const data = createIncidentInput.parse(input);
  const services = assertKnownServices(ctx, data.services);
  const now = ctx.clock.now();
  const detectedAt = data.detected_at ? Date.parse(data.detected_at) : now;
  if (detectedAt > now + FUTURE_SKEW_MS) {
    throw new DomainError('VALIDATION_FAILED', 'detected_at is in the future', { issues: [{ path: 'detected_at', message: 'must not be in the future' }] });
  }
  const impact = computeImpact(ctx.config.current, services);

  return withTransaction(ctx, async (tx) => {
    const commander = data.commander ? await resolveActiveUser(tx, data.commander) : null;
    const number = await nextIncidentNumber(tx);
    const id = newId('inc', now);
    const row: IncidentRow = {
        id,
        number,
        title: data.title,
        description: data.description,
        severity: data.severity,
        severity_source: isHuman(tx.actor) ? 'human' : 'automation',
        state: 'triggered',
        source: data.source,
        customer_facing: impact.customer_facing ? 1 : 0,
        user_share: impact.user_share,
        impact: JSON.stringify({ impacted_services: impact.impacted_services, highest_tier: impact.highest_tier }),
        war_room_url: data.war_room_url ?? null,
        created_by: tx.actor.name,
        reopen_count: 0,
        detected_at: Math.min(detectedAt, now),
        triggered_at: now,
        acknowledged_at: null,
        resolved_at: null,
        closed_at: null,
        created_at: now,
        updated_at: now,
        merged_into: null,
        // Declared with a commander: someone is already responding.
        responded_at: data.commander ? now : null,
        severity_changed_at: null,
        resolution: null,
        fingerprint: opts.fingerprint ?? null,
        stakeholders_notified_at: null,
        status_posted_at: null,
        drill_run_id: opts.drillRunId ?? null,
    };
    // The drill column is written only when set (null is its default), so the verb still writes to
    // a schema from before migration 0017, as the upgrade tests build older databases with it.
    const { drill_run_id, ...always } = row;
    await q(tx).insertInto('incidents').values(drill_run_id === null ? always : row).execute();
    if (services.length) {
      await q(tx)
        .insertInto('incident_services')
        .values(services.map((service_id) => ({ incident_id: id, incident_number: number, service_id, added_at: now })))
        .execute();
    }
    const incident = { id, number };
    await recordChange(
      tx,
      incident,
      {
        kind: 'created',
        body: `${data.severity} incident declared: ${data.title}${opts.decision ? ` (${opts.decision.text})` : ''}`,
        data: { severity: data.severity, services, source: data.source, impact, title: data.title, ...(opts.decision ? { classification: opts.decision.data } : {}) },
      },
      { touch: false },
    );
    if (commander) {
      await q(tx).insertInto('incident_roles').values({ incident_id: id, role: 'commander', user_id: commander.id, assigned_at: now }).execute();
      await recordChange(tx, incident, { kind: 'role_assigned', body: `${commander.handle} is incident commander`, data: { role: 'commander', user: commander.handle } }, { touch: false });
    }
    return toView(row, services, commander ? [{ role: 'commander', handle: commander.handle }] : []);
  });
}
