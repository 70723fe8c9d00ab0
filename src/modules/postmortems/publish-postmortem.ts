import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow, recordChange } from '../incidents/index.ts';
import { getPublication, publishPostmortem } from '../statuspage/index.ts';
import { withoutNames, type Person } from './blameless.ts';
import { allPeople, findPostmortemRow, toPostmortemView } from './repository.ts';
import { publishPostmortemInput, type PostmortemContent, type PostmortemView } from './schemas.ts';

/**
 * The customer-facing version when the responder gives none: the summary, the resolution and the
 * prevention measures, with every name, handle and @mention taken out. Never the timeline.
 */
export function customerFacingBody(content: PostmortemContent, people: Person[]): string {
  const parts: string[] = [];
  if (content.summary.trim()) parts.push(`What happened\n\n${content.summary.trim()}`);
  if (content.resolution.trim()) parts.push(`How we resolved it\n\n${content.resolution.trim()}`);
  if (content.prevention.length) parts.push(`What we are changing\n\n${content.prevention.map((p) => `- ${p}`).join('\n')}`);
  return withoutNames(parts.join('\n\n'), people);
}

/**
 * Publishes the postmortem on the status page (responder and up): attaches the customer-facing
 * text to the incident's public incident (which must be resolved) through the status page's own
 * verb, in one transaction with `published_at` and the timeline entry. No public incident is a
 * CONFLICT: there is nothing to attach it to.
 */
export async function publishPostmortemToStatusPage(
  ctx: Ctx,
  id: string,
  input: z.input<typeof publishPostmortemInput>,
): Promise<{ postmortem: PostmortemView; public_incident: { id: string; status: string }; body: string }> {
  requireRole(ctx, 'responder');
  const data = publishPostmortemInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const row = await findPostmortemRow(tx, id, { forUpdate: true });
    const incident = await findIncidentRow(tx, row.incident_id);
    const publication = await getPublication(tx, incident.id);
    if (!publication.public_incident) {
      throw new DomainError('CONFLICT', `INC-${incident.number} has no public incident on the status page, so there is nothing to attach its postmortem to`, { incident: `INC-${incident.number}` });
    }
    const content = JSON.parse(row.content) as PostmortemContent;
    // Customers are told what happened first: without a summary there is nothing to build from.
    if (data.body === undefined && content.summary.trim() === '') throw new DomainError('CONFLICT', 'nothing to publish: write the summary (or send a body) first', { postmortem: row.id });
    const body = data.body ?? customerFacingBody(content, [...tx.config.current.users, ...(await allPeople(tx))]);
    const publicIncident = await publishPostmortem(tx, publication.public_incident.id, { body, deliver_notifications: data.deliver_notifications });
    const now = tx.clock.now();
    await q(tx).updateTable('postmortems').set({ published_at: now, updated_at: now }).where('id', '=', row.id).execute();
    await recordChange(tx, incident, { kind: 'postmortem_published', body: `Postmortem published on the status page (public incident ${publicIncident.id})`, data: { postmortem_id: row.id, public_incident: publicIncident.id } });
    return {
      postmortem: await toPostmortemView(tx, { ...row, published_at: now, updated_at: now }),
      public_incident: { id: publicIncident.id, status: publicIncident.status },
      body,
    };
  });
}
