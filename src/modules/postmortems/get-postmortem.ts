import { DomainError } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow } from '../incidents/index.ts';
import { findPostmortemOfIncident, findPostmortemRow, toPostmortemView } from './repository.ts';
import type { PostmortemView } from './schemas.ts';

/** One postmortem with its content, the incident's action items and the blameless hints (viewer and up). */
export async function getPostmortem(ctx: Ctx, id: string): Promise<PostmortemView> {
  requireRole(ctx, 'viewer');
  return toPostmortemView(ctx, await findPostmortemRow(ctx, id));
}

/** The postmortem of an incident ("INC-42", 42 or its id); NOT_FOUND when it has none. */
export async function getIncidentPostmortem(ctx: Ctx, ref: string): Promise<PostmortemView> {
  requireRole(ctx, 'viewer');
  const incident = await findIncidentRow(ctx, ref);
  const row = await findPostmortemOfIncident(ctx, incident.id);
  if (!row) throw new DomainError('NOT_FOUND', `INC-${incident.number} has no postmortem`, { ref, incident: `INC-${incident.number}` });
  return toPostmortemView(ctx, row);
}
