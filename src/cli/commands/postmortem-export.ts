import { renderPostmortemMarkdown } from '../../modules/postmortems/markdown.ts';
import type { PostmortemView } from '../../modules/postmortems/schemas.ts';
import { toJson } from '../format.ts';
import { createApiClient, refPath, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';

/**
 * `firebreak postmortem export <ref>`: an incident's postmortem as Markdown, rendered here from the
 * API's JSON by the server's own renderer, so the file matches GET …/export.md.
 */
export async function postmortemExportCommand(args: string[], flags: ClientFlags & { json?: boolean }, io: Io): Promise<number> {
  const [ref, ...extra] = args;
  if (!ref || extra.length) throw new CliError('usage: firebreak postmortem export <ref>   (INC-42, 42 or an id)', 2);
  const postmortem = await createApiClient(flags, io.env).request<PostmortemView>('GET', `${refPath(ref)}/postmortem`);
  io.out(flags.json ? toJson(postmortem) : renderPostmortemMarkdown(postmortem));
  return 0;
}
