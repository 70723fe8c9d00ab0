import type { IncidentView } from '../../modules/incidents/schemas.ts';
import { toJson } from '../format.ts';
import { createApiClient, refPath, type ClientFlags } from '../http-client.ts';
import { stateLine } from '../incident-view.ts';
import { CliError, type Io } from '../io.ts';

const USAGE = 'usage: firebreak incident resolve <ref> [--note "what fixed it"] [--override-reason "why anyway" | --not-an-incident]';

/**
 * `firebreak incident resolve <ref> [--note N] [--override-reason R | --not-an-incident]`: the
 * server validates the resolution first; a failing validation prints each check (see ApiError).
 */
export async function incidentResolveCommand(
  args: string[],
  flags: ClientFlags & { note?: string; json?: boolean; 'override-reason'?: string; 'not-an-incident'?: boolean },
  io: Io,
): Promise<number> {
  const [ref, ...extra] = args;
  if (!ref || extra.length) throw new CliError(USAGE, 2);
  if (flags['override-reason'] !== undefined && flags['not-an-incident']) throw new CliError(`--override-reason and --not-an-incident do not go together\n${USAGE}`, 2);
  const body = {
    ...(flags.note !== undefined ? { note: flags.note } : {}),
    ...(flags['override-reason'] !== undefined ? { override_reason: flags['override-reason'] } : {}),
    ...(flags['not-an-incident'] ? { resolution: 'not_an_incident' } : {}),
  };
  const incident = await createApiClient(flags, io.env).request<IncidentView>('POST', `${refPath(ref)}/resolve`, body);
  io.out(flags.json ? toJson(incident) : stateLine(incident));
  return 0;
}
