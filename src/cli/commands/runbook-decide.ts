import type { RunDetailView } from '../../modules/runbooks/schemas.ts';
import { toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';

/** `firebreak runbook approve|reject <run-id> <step> [--comment C]`: the decision on the step a run waits on. */
export function runbookDecideCommand(decision: 'approve' | 'reject') {
  return async (args: string[], flags: ClientFlags & { json?: boolean; comment?: string }, io: Io): Promise<number> => {
    const [id, step, ...extra] = args;
    if (!id || !step || extra.length) throw new CliError(`usage: firebreak runbook ${decision} <run-id> <step> [--comment "why"]`, 2);
    const run = await createApiClient(flags, io.env).request<RunDetailView>('POST', `/api/v1/runbook-runs/${encodeURIComponent(id)}/${decision}`, { step, ...(flags.comment ? { comment: flags.comment } : {}) });
    io.out(flags.json ? toJson(run) : `${decision === 'approve' ? 'approved' : 'rejected'} "${step}"; run ${run.id} is ${run.status}\n`);
    return 0;
  };
}

/** `firebreak runbook resume|cancel <run-id>`. */
export function runbookControlCommand(action: 'resume' | 'cancel') {
  return async (args: string[], flags: ClientFlags & { json?: boolean }, io: Io): Promise<number> => {
    const [id, ...extra] = args;
    if (!id || extra.length) throw new CliError(`usage: firebreak runbook ${action} <run-id>`, 2);
    const run = await createApiClient(flags, io.env).request<RunDetailView>('POST', `/api/v1/runbook-runs/${encodeURIComponent(id)}/${action}`);
    io.out(flags.json ? toJson(run) : `run ${run.id} is ${run.status}${action === 'resume' ? ` (from step "${run.current_step ?? 'the first'}")` : ''}\n`);
    return 0;
  };
}
