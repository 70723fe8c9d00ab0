import { EXAMPLE_CONFIG_PATH, formatIssues, loadConfigFile } from '../../config/load.ts';
import { resolveSettings, type Flags } from '../../config/settings.ts';
import { formatDuration } from '../../lib/duration.ts';
import type { Io } from '../io.ts';

/** `firebreak config check`: validates firebreak.yaml without starting anything. */
export async function configCheckCommand(flags: Flags & { json?: boolean }, io: Io): Promise<number> {
  const settings = resolveSettings(flags, io.env);
  const path = settings.configPath ?? EXAMPLE_CONFIG_PATH;
  const result = loadConfigFile(path, settings.env);
  if (!result.ok) {
    if (flags.json) io.out(`${JSON.stringify({ ok: false, path, issues: result.issues }, null, 2)}\n`);
    else io.err(`${path}: ${result.issues.length} problem(s)\n${formatIssues(path, result.issues)}\n`);
    return 1;
  }
  const c = result.config;
  if (flags.json) {
    io.out(`${JSON.stringify({ ok: true, path, organisation: c.organisation.name, services: c.services.length }, null, 2)}\n`);
    return 0;
  }
  io.out(`${path}: OK\n  organisation: ${c.organisation.name} (${c.organisation.time_zone})\n  services:     ${c.services.length} (${c.services.map((s) => s.id).join(', ')})\n`);
  for (const [level, p] of Object.entries(c.severities)) {
    io.out(`  ${level} ${p.name.padEnd(9)} respond <${formatDuration(p.response_target)}, update every ${formatDuration(p.update_cadence)}\n`);
  }
  return 0;
}
