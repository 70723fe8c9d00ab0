import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow, recordChange } from '../incidents/index.ts';
import { armPostmortemReminder } from './reminders.ts';
import { findPostmortemRow, insertRevision, resolveOwner, toPostmortemView, type PostmortemRow } from './repository.ts';
import { EDITABLE_SECTIONS, updatePostmortemInput, type PostmortemContent, type PostmortemStatus, type PostmortemView } from './schemas.ts';

/** Where a postmortem may go from each status; a completed one goes back to review to be edited. */
const MOVES: Record<PostmortemStatus, PostmortemStatus[]> = {
  draft: ['in_review', 'completed'],
  in_review: ['draft', 'completed'],
  completed: ['in_review'],
};
const LABELS: Record<PostmortemStatus, string> = { draft: 'draft', in_review: 'in review', completed: 'completed' };

/**
 * Saves an edit (responder and up): the sections it names, the status, the owner. The client sends
 * the revision it edited; if someone saved since, nothing is written and the answer is CONFLICT
 * with the current revision. Every save is a new revision. Completing needs a summary and a root
 * cause; a completed postmortem is a record, edited only after moving it back to review.
 */
export async function updatePostmortem(ctx: Ctx, id: string, input: z.input<typeof updatePostmortemInput>): Promise<PostmortemView> {
  requireRole(ctx, 'responder');
  const data = updatePostmortemInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const row = await findPostmortemRow(tx, id, { forUpdate: true });
    if (row.revision !== data.revision) {
      throw new DomainError('CONFLICT', `revision ${data.revision} is stale: the postmortem is at revision ${row.revision}; load it again and reapply the edit`, { revision: data.revision, current_revision: row.revision });
    }
    const from = row.status as PostmortemStatus;
    const to = data.status ?? from;
    const changed = EDITABLE_SECTIONS.filter((k) => data[k] !== undefined);
    if (from !== to && !MOVES[from].includes(to)) {
      throw new DomainError('INVALID_TRANSITION', `a ${LABELS[from]} postmortem cannot move to ${LABELS[to]}; allowed: ${MOVES[from].join(', ')}`, { from, to, allowed: MOVES[from] });
    }
    if (from === 'completed' && to === 'completed' && changed.length) {
      throw new DomainError('INVALID_TRANSITION', 'the postmortem is completed: move it back to in_review to edit it', { from, to, allowed: MOVES[from] });
    }
    const content = merge(JSON.parse(row.content) as PostmortemContent, data);
    if (to === 'completed' && from !== 'completed') {
      const missing = (['summary', 'root_cause'] as const).filter((k) => content[k].trim() === '');
      if (missing.length) {
        throw new DomainError('VALIDATION_FAILED', `completing a postmortem needs ${missing.join(' and ')}`, { issues: missing.map((path) => ({ path, message: 'must not be empty to complete the postmortem' })) });
      }
    }
    const ownerId = data.owner === undefined ? row.owner_id : data.owner === null ? null : (await resolveOwner(tx, data.owner)).id;
    const now = tx.clock.now();
    const next: PostmortemRow = {
      ...row,
      content: JSON.stringify(content),
      revision: row.revision + 1,
      status: to,
      owner_id: ownerId,
      updated_at: now,
      completed_at: to === 'completed' ? (from === 'completed' ? row.completed_at : now) : null,
    };
    const res = await q(tx)
      .updateTable('postmortems')
      .set({ content: next.content, revision: next.revision, status: next.status, owner_id: next.owner_id, updated_at: now, completed_at: next.completed_at })
      .where('id', '=', row.id)
      .where('revision', '=', row.revision)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) throw new DomainError('CONFLICT', 'the postmortem was saved by someone else meanwhile; load it again', { revision: data.revision });
    await insertRevision(tx, next, data.note ?? null);
    await writeAudit(tx, { action: 'postmortem.updated', entityType: 'postmortem', entityId: row.id, data: { revision: next.revision, sections: changed, status: to, owner_changed: ownerId !== row.owner_id } });
    if (from !== to) {
      const incident = await findIncidentRow(tx, row.incident_id);
      const kind = to === 'completed' ? 'postmortem_completed' : from === 'completed' ? 'postmortem_reopened' : `postmortem_${to}`;
      await recordChange(tx, incident, { kind, body: `Postmortem ${to === 'completed' ? 'completed' : `moved to ${LABELS[to]}`}`, data: { postmortem_id: row.id, from, to, revision: next.revision } });
      await armPostmortemReminder(tx, next);
    }
    return toPostmortemView(tx, next);
  });
}

/** The content with the sections the edit names replaced (factor and lesson lists one by one). */
function merge(content: PostmortemContent, data: z.output<typeof updatePostmortemInput>): PostmortemContent {
  const out = { ...content };
  if (data.summary !== undefined) out.summary = data.summary;
  if (data.root_cause !== undefined) out.root_cause = data.root_cause;
  if (data.resolution !== undefined) out.resolution = data.resolution;
  if (data.prevention !== undefined) out.prevention = data.prevention;
  if (data.factors !== undefined) out.factors = { ...content.factors, ...stripUndefined(data.factors) };
  if (data.lessons !== undefined) out.lessons = { ...content.lessons, ...stripUndefined(data.lessons) };
  if (data.five_whys !== undefined) out.five_whys = data.five_whys;
  return out;
}

const stripUndefined = <T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
