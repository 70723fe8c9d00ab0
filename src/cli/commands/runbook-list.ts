import type { RunbookView } from '../../modules/runbooks/schemas.ts';
import { NONE, toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { renderTable } from '../table.ts';

const count = (rb: RunbookView) => rb.steps.reduce((n, s) => n + 1 + (s.steps?.length ?? 0), 0);

/** `firebreak runbook list`: every runbook with its version, steps and where it was declared. */
export async function runbookListCommand(args: string[], flags: ClientFlags & { json?: boolean }, io: Io): Promise<number> {
  if (args.length) throw new CliError(`runbook list takes no arguments (got "${args.join(' ')}")`, 2);
  const page = await createApiClient(flags, io.env).request<{ data: RunbookView[] }>('GET', '/api/v1/runbooks');
  if (flags.json) {
    io.out(toJson(page));
    return 0;
  }
  if (!page.data.length) {
    io.out('no runbooks (declare them under runbooks: in the config)\n');
    return 0;
  }
  io.out(
    renderTable(page.data, [
      { header: 'RUNBOOK', value: (r) => r.id },
      { header: 'VERSION', value: (r) => r.version },
      { header: 'STEPS', value: (r) => String(count(r)), align: 'right' },
      { header: 'VARIABLES', value: (r) => r.variables.map((v) => (v.required ? `${v.name}*` : v.name)).join(', ') || NONE, max: 50 },
      { header: 'SOURCE', value: (r) => r.source ?? 'config' },
      { header: 'NAME', value: (r) => r.name, max: 60 },
    ]),
  );
  return 0;
}
