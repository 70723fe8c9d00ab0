import type { IncidentView } from '../../modules/incidents/schemas.ts';
import { toJson } from '../format.ts';
import { createApiClient, refPath, type ClientFlags } from '../http-client.ts';
import { stateLine } from '../incident-view.ts';
import { CliError, type Io } from '../io.ts';

/** `firebreak incident ack <ref>`: someone is on it. */
export async function incidentAckCommand(args: string[], flags: ClientFlags & { json?: boolean }, io: Io): Promise<number> {
  const [ref, ...extra] = args;
  if (!ref || extra.length) throw new CliError('usage: firebreak incident ack <ref>', 2);
  const incident = await createApiClient(flags, io.env).request<IncidentView>('POST', `${refPath(ref)}/acknowledge`, {});
  io.out(flags.json ? toJson(incident) : stateLine(incident));
  return 0;
}
