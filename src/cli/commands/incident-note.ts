import type { TimelineEntryView } from '../../modules/incidents/schemas.ts';
import { displayTimeZone, formatLocalTime, toJson } from '../format.ts';
import { createApiClient, refPath, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';

/** `firebreak incident note <ref> <text…>`: the words after the ref are the note (use -- before text starting with "-"). */
export async function incidentNoteCommand(args: string[], flags: ClientFlags & { json?: boolean }, io: Io): Promise<number> {
  const [ref, ...words] = args;
  const text = words.join(' ').trim();
  if (!ref || !text) throw new CliError('usage: firebreak incident note <ref> <text…>', 2);
  const entry = await createApiClient(flags, io.env).request<TimelineEntryView>('POST', `${refPath(ref)}/notes`, { body: text });
  io.out(flags.json ? toJson(entry) : `Noted on ${/^\d+$/.test(ref) ? `INC-${ref}` : ref} at ${formatLocalTime(entry.at, displayTimeZone(io.env))}\n`);
  return 0;
}
