import { displayTimeZone, toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { incidentColumns, type IncidentPage } from '../incident-view.ts';
import { CliError, type Io } from '../io.ts';
import { renderTable } from '../table.ts';

export interface IncidentListFlags extends ClientFlags {
  state?: string;
  severity?: string;
  service?: string[];
  open?: boolean;
  limit?: string;
  cursor?: string;
  json?: boolean;
}

/** `firebreak incident list [--state S] [--severity P1] [--service X] [--open] [--limit N] [--cursor C]`: newest first. */
export async function incidentListCommand(args: string[], flags: IncidentListFlags, io: Io): Promise<number> {
  if (args.length) throw new CliError(`incident list takes no arguments (got "${args.join(' ')}"); filter with --state, --severity, --service, --open`, 2);
  if (flags.service && flags.service.length > 1) throw new CliError('incident list filters on one --service at a time', 2);
  const api = createApiClient(flags, io.env);
  const query = new URLSearchParams();
  if (flags.state) query.set('state', flags.state);
  if (flags.severity) query.set('severity', flags.severity.toUpperCase());
  if (flags.service?.[0]) query.set('service', flags.service[0]);
  if (flags.open) query.set('open', 'true');
  if (flags.limit) query.set('limit', flags.limit);
  if (flags.cursor) query.set('cursor', flags.cursor);
  const qs = query.toString();
  const page = await api.request<IncidentPage>('GET', `/api/v1/incidents${qs ? `?${qs}` : ''}`);
  if (flags.json) {
    io.out(toJson(page));
    return 0;
  }
  if (page.data.length === 0) io.out(flags.cursor ? 'no more incidents\n' : 'no incidents match\n');
  else io.out(renderTable(page.data, incidentColumns(displayTimeZone(io.env))));
  if (page.next_cursor) io.out(`(more: add --cursor ${page.next_cursor})\n`);
  return 0;
}
