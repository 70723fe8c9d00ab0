import type { IncidentView } from '../../modules/incidents/schemas.ts';
import { list, toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';

export interface IncidentCreateFlags extends ClientFlags {
  title?: string;
  severity?: string;
  service?: string[];
  services?: string;
  description?: string;
  json?: boolean;
}

/** `firebreak incident create --title T --severity P1 [--service a --service b | --services a,b] [--description D]`. */
export async function incidentCreateCommand(args: string[], flags: IncidentCreateFlags, io: Io): Promise<number> {
  if (args.length) throw new CliError(`incident create takes no arguments (got "${args.join(' ')}"); quote the title: --title "…"`, 2);
  const missing = (['title', 'severity'] as const).filter((f) => !flags[f]);
  if (missing.length) throw new CliError(`incident create needs ${missing.map((f) => `--${f}`).join(' and ')}`, 2);
  const services = [...(flags.service ?? []), ...(flags.services?.split(',') ?? [])].map((s) => s.trim()).filter(Boolean);
  const body = {
    title: flags.title,
    severity: flags.severity!.toUpperCase(),
    ...(services.length && { services }),
    ...(flags.description !== undefined && { description: flags.description }),
  };
  const incident = await createApiClient(flags, io.env).request<IncidentView>('POST', '/api/v1/incidents', body);
  if (flags.json) {
    io.out(toJson(incident));
    return 0;
  }
  io.out(`Declared ${incident.ref} (${incident.severity}, ${incident.state}): ${incident.title}\n`);
  io.out(`  impact: ${incident.impact.customer_facing ? 'customer-facing' : 'internal'}, ${Math.round(incident.impact.user_share * 1000) / 10}% of users, services ${list(incident.impact.impacted_services)}\n`);
  return 0;
}
