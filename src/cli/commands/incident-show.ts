import { displayTimeZone, toJson } from '../format.ts';
import { createApiClient, refPath, type ClientFlags } from '../http-client.ts';
import { renderIncident, type IncidentWithTimeline } from '../incident-view.ts';
import { CliError, type Io } from '../io.ts';

/** `firebreak incident show <ref>`: one incident with impact, roles and timeline. */
export async function incidentShowCommand(args: string[], flags: ClientFlags & { json?: boolean }, io: Io): Promise<number> {
  const [ref, ...extra] = args;
  if (!ref || extra.length) throw new CliError('usage: firebreak incident show <ref>   (INC-42, 42 or an id)', 2);
  const incident = await createApiClient(flags, io.env).request<IncidentWithTimeline>('GET', refPath(ref));
  io.out(flags.json ? toJson(incident) : renderIncident(incident, displayTimeZone(io.env)));
  return 0;
}
