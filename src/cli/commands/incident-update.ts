import type { TimelineEntryView } from '../../modules/incidents/schemas.ts';
import { displayTimeZone, formatLocalTime, toJson } from '../format.ts';
import { createApiClient, refPath, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { shownRef } from './incident-escalate.ts';

/**
 * `firebreak incident update <ref> <text…>`: a stakeholder update, sent to the stakeholder groups
 * told about the incident (use -- before text starting with "-").
 */
export async function incidentUpdateCommand(args: string[], flags: ClientFlags & { json?: boolean }, io: Io): Promise<number> {
  const [ref, ...words] = args;
  const text = words.join(' ').trim();
  if (!ref || !text) throw new CliError('usage: firebreak incident update <ref> <text…>', 2);
  const entry = await createApiClient(flags, io.env).request<TimelineEntryView>('POST', `${refPath(ref)}/updates`, { body: text });
  io.out(flags.json ? toJson(entry) : `Posted a stakeholder update on ${shownRef(ref)} at ${formatLocalTime(entry.at, displayTimeZone(io.env))}\n`);
  return 0;
}
