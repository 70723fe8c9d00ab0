import type { IncidentView } from '../../modules/incidents/schemas.ts';
import { toJson } from '../format.ts';
import { createApiClient, refPath, type ClientFlags } from '../http-client.ts';
import { stateLine } from '../incident-view.ts';
import { CliError, type Io } from '../io.ts';

/** `firebreak incident resolve <ref> [--note N]`: the note goes on the timeline entry. */
export async function incidentResolveCommand(args: string[], flags: ClientFlags & { note?: string; json?: boolean }, io: Io): Promise<number> {
  const [ref, ...extra] = args;
  if (!ref || extra.length) throw new CliError('usage: firebreak incident resolve <ref> [--note "what fixed it"]', 2);
  const body = flags.note !== undefined ? { note: flags.note } : {};
  const incident = await createApiClient(flags, io.env).request<IncidentView>('POST', `${refPath(ref)}/resolve`, body);
  io.out(flags.json ? toJson(incident) : stateLine(incident));
  return 0;
}
