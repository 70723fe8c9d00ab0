import { toJson } from '../format.ts';
import { createApiClient, refPath, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';

/** "INC-42" for "42"; any other reference as given. */
export const shownRef = (ref: string) => (/^\d+$/.test(ref) ? `INC-${ref}` : ref);

/** `firebreak incident escalate <ref> [--note N]`: pages the next level of the escalation policy now. */
export async function incidentEscalateCommand(args: string[], flags: ClientFlags & { note?: string; json?: boolean }, io: Io): Promise<number> {
  const [ref, ...extra] = args;
  if (!ref || extra.length) throw new CliError('usage: firebreak incident escalate <ref> [--note "why"]', 2);
  const body = flags.note !== undefined ? { note: flags.note } : {};
  const result = await createApiClient(flags, io.env).request<{ level: number; step: string }>('POST', `${refPath(ref)}/escalate`, body);
  io.out(flags.json ? toJson(result) : `Escalated ${shownRef(ref)} to level ${result.level} (step ${result.step}); see who was paged: firebreak incident escalation ${shownRef(ref)}\n`);
  return 0;
}
