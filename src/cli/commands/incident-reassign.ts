import { toJson } from '../format.ts';
import { createApiClient, refPath, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { shownRef } from './incident-escalate.ts';

const USAGE = 'usage: firebreak incident reassign <ref> --user HANDLE | --schedule SCHEDULE [--note "why"]';

/** `firebreak incident reassign <ref> --user H | --schedule S [--note N]`: they are paged now; automatic escalation stops. */
export async function incidentReassignCommand(args: string[], flags: ClientFlags & { user?: string; schedule?: string; note?: string; json?: boolean }, io: Io): Promise<number> {
  const [ref, ...extra] = args;
  if (!ref || extra.length) throw new CliError(USAGE, 2);
  if ((flags.user === undefined) === (flags.schedule === undefined)) throw new CliError(`incident reassign needs exactly one of --user and --schedule\n${USAGE}`, 2);
  const body = {
    ...(flags.user !== undefined && { user: flags.user }),
    ...(flags.schedule !== undefined && { schedule: flags.schedule }),
    ...(flags.note !== undefined && { note: flags.note }),
  };
  const result = await createApiClient(flags, io.env).request<{ step: string }>('POST', `${refPath(ref)}/reassign`, body);
  const who = flags.user ?? `whoever is on call for ${flags.schedule}`;
  io.out(flags.json ? toJson(result) : `Reassigned ${shownRef(ref)} to ${who} (step ${result.step}); automatic escalation has stopped\n`);
  return 0;
}
