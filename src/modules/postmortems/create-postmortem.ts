import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { newId } from '../../lib/ids.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow, getIncidentTimeline, loadIncidentViewsById, recordChange } from '../incidents/index.ts';
import { prefillContent } from './prefill.ts';
import { armPostmortemReminder } from './reminders.ts';
import { findPostmortemOfIncident, insertPostmortem, resolveOwner, toPostmortemView, usersById, type PostmortemRow } from './repository.ts';
import { requestPostmortemInput, type PostmortemView } from './schemas.ts';

type IncidentRow = Awaited<ReturnType<typeof findIncidentRow>>;

/**
 * Creates an incident's postmortem, prefilled, with its first revision, reminder and timeline
 * entry, in the caller's transaction; undefined when the incident has one already. Automatic ones
 * are due `due_within` after the resolution, requested ones that long after the request.
 */
export async function createPostmortemRecord(tx: Ctx, incident: IncidentRow, opts: { source: 'auto' | 'manual'; ownerId?: string }): Promise<PostmortemRow | undefined> {
  const config = tx.config.current;
  const now = tx.clock.now();
  const [view] = await loadIncidentViewsById(tx, [incident.id]);
  const timeline = await getIncidentTimeline(tx, incident.id);
  const commander = await q(tx).selectFrom('incident_roles').select('user_id').where('incident_id', '=', incident.id).where('role', '=', 'commander').executeTakeFirst();
  const ownerId = opts.ownerId ?? commander?.user_id ?? null;
  const base = opts.source === 'auto' && incident.resolved_at !== null ? Number(incident.resolved_at) : now;
  const row: PostmortemRow = {
    id: newId('pm', now),
    incident_id: incident.id,
    status: 'draft',
    owner_id: ownerId,
    due_at: base + config.postmortems.due_within,
    content: JSON.stringify(prefillContent(config, incident, view, timeline)),
    revision: 1,
    created_at: now,
    updated_at: now,
    completed_at: null,
    published_at: null,
    reminded_at: null,
    source: opts.source,
    created_by: tx.actor.name,
  };
  const created = await insertPostmortem(tx, row);
  if (!created) return undefined;
  // Items filed on the incident before its postmortem existed belong to it from now on.
  await q(tx).updateTable('action_items').set({ postmortem_id: row.id }).where('incident_id', '=', incident.id).where('postmortem_id', 'is', null).execute();
  await armPostmortemReminder(tx, row);
  const owner = ownerId ? (await usersById(tx, [ownerId])).get(ownerId)?.handle ?? null : null;
  await recordChange(tx, incident, {
    kind: 'postmortem_created',
    body: `Postmortem created${opts.source === 'auto' ? ` (every ${view.severity} gets one)` : ''}: due ${isoTime(row.due_at)}, owner ${owner ?? 'nobody yet'}`,
    data: { postmortem_id: row.id, due_at: isoTime(row.due_at), owner, source: opts.source },
  });
  return row;
}

/**
 * Asks for a postmortem of a resolved (or closed) incident of any severity (responder and up).
 * An incident has at most one: asking again, or after the automatic one, is a CONFLICT naming it.
 */
export async function requestPostmortem(ctx: Ctx, ref: string, input: z.input<typeof requestPostmortemInput> = {}): Promise<PostmortemView> {
  requireRole(ctx, 'responder');
  const data = requestPostmortemInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const incident = await findIncidentRow(tx, ref, { forUpdate: true });
    if (incident.state !== 'resolved' && incident.state !== 'closed') {
      throw new DomainError('INVALID_TRANSITION', `a postmortem follows the resolution; INC-${incident.number} is ${incident.state}`, { state: incident.state });
    }
    const existing = await findPostmortemOfIncident(tx, incident.id);
    if (existing) throw alreadyHasOne(incident.number, existing.id);
    const owner = data.owner === undefined ? undefined : await resolveOwner(tx, data.owner);
    const row = await createPostmortemRecord(tx, incident, { source: 'manual', ownerId: owner?.id });
    // Created by the automatic reaction between the check and the insert.
    if (!row) throw alreadyHasOne(incident.number, (await findPostmortemOfIncident(tx, incident.id))?.id ?? null);
    return toPostmortemView(tx, row);
  });
}

const alreadyHasOne = (number: number, id: string | null) => new DomainError('CONFLICT', `INC-${number} already has a postmortem${id ? ` (${id})` : ''}`, { postmortem: id });
