import { requireRole, type Ctx } from '../context.ts';
import { getPostmortem } from './get-postmortem.ts';
import { renderPostmortemMarkdown } from './markdown.ts';

/** The postmortem as a Markdown document (viewer and up), with a file name for downloads. */
export async function exportPostmortemMarkdown(ctx: Ctx, id: string): Promise<{ filename: string; markdown: string }> {
  requireRole(ctx, 'viewer');
  const pm = await getPostmortem(ctx, id);
  return { filename: `postmortem-${pm.incident.ref}.md`, markdown: renderPostmortemMarkdown(pm) };
}
