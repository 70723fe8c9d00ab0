import { isoTime } from '../../lib/iso-time.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findPostmortemRow, loadRevisions } from './repository.ts';
import { EDITABLE_SECTIONS, type PostmortemContent, type PostmortemStatus, type RevisionView } from './schemas.ts';

/** Every saved revision, oldest first, with who saved it and which sections it changed (viewer and up). */
export async function listPostmortemRevisions(ctx: Ctx, id: string): Promise<{ data: RevisionView[] }> {
  requireRole(ctx, 'viewer');
  const row = await findPostmortemRow(ctx, id);
  const revisions = await loadRevisions(ctx, row.id);
  let before: PostmortemContent | null = null;
  const data = revisions.map((r) => {
    const content = JSON.parse(r.content) as PostmortemContent;
    const prior = before;
    const changed = prior === null ? [...EDITABLE_SECTIONS] : EDITABLE_SECTIONS.filter((k) => JSON.stringify(content[k]) !== JSON.stringify(prior[k]));
    before = content;
    return {
      revision: r.revision,
      at: isoTime(Number(r.at)),
      actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name },
      status: r.status as PostmortemStatus,
      note: r.note,
      changed,
      content,
    };
  });
  return { data };
}
