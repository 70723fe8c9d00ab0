import { displayTimeZone, formatLocalTime, toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { colorWanted } from './oncall-picture.ts';

interface Day {
  date: string;
  uptime: number | null;
  incidents: { name: string }[];
}
interface ComponentUptime {
  id: string;
  name: string;
  status: string;
  days: Day[];
}
interface Incident {
  name: string;
  status: string;
  impact: string;
  shortlink: string;
  scheduled_for?: string;
  incident_updates: { body: string; display_at: string }[];
}

const esc = (codes: string) => `\u001b[${codes}m`;
const STATUS_COLOUR: Record<string, string> = { operational: '32', degraded_performance: '33', partial_outage: '33;1', major_outage: '31;1', under_maintenance: '34' };

/** One character a day: █ all up, ▆ ≥ 99.9%, ▄ ≥ 99%, ▂ less, · no data. */
export function dayBar(days: Day[], color: boolean): string {
  return days
    .map((d) => {
      const mark = d.uptime === null ? '·' : d.uptime >= 100 ? '█' : d.uptime >= 99.9 ? '▆' : d.uptime >= 99 ? '▄' : '▂';
      if (!color || d.uptime === null) return mark;
      const c = d.uptime >= 100 ? '32' : d.uptime >= 99 ? '33' : '31';
      return `${esc(c)}${mark}${esc('0')}`;
    })
    .join('');
}

/** Uptime over the days that have data, as the page shows it. */
export function overall(days: Day[]): string {
  const known = days.filter((d) => d.uptime !== null);
  return known.length ? `${(known.reduce((a, d) => a + (d.uptime ?? 0), 0) / known.length).toFixed(2)}%` : 'no data';
}

/**
 * `firebreak status`: the public status page in the terminal: overall status, every component
 * with its status and its uptime bar (one character a day, the last --days days, 90 by default),
 * unresolved incidents and maintenance.
 */
export async function statusShowCommand(args: string[], flags: ClientFlags & { json?: boolean; days?: string }, io: Io): Promise<number> {
  if (args.length) throw new CliError(`status takes no arguments (got "${args.join(' ')}")`, 2);
  const days = flags.days === undefined ? 90 : Number(flags.days);
  if (!Number.isInteger(days) || days < 1 || days > 365) throw new CliError('--days must be a whole number from 1 to 365', 2);
  const api = createApiClient(flags, io.env);
  const uptime = await api.request<{ status: { indicator: string; description: string }; components: ComponentUptime[] }>('GET', '/api/v1/status-page/uptime');
  const summary = await api.request<{ incidents: Incident[]; scheduled_maintenances: Incident[] }>('GET', '/api/v2/summary.json');
  if (flags.json) {
    io.out(toJson({ ...uptime, incidents: summary.incidents, scheduled_maintenances: summary.scheduled_maintenances }));
    return 0;
  }
  const color = colorWanted(io.env, process.stdout.isTTY === true);
  const tz = displayTimeZone(io.env);
  io.out(`${uptime.status.description} (${uptime.status.indicator})\n\n`);
  const nameWidth = Math.min(28, Math.max(9, ...uptime.components.map((c) => c.name.length)));
  const statusWidth = Math.max(...uptime.components.map((c) => c.status.length), 6);
  io.out(`  ${'COMPONENT'.padEnd(nameWidth)}  ${'STATUS'.padEnd(statusWidth)}  UPTIME    LAST ${days} DAYS (█ 100% ▆ ≥99.9% ▄ ≥99% ▂ less · no data)\n`);
  for (const c of uptime.components) {
    const shown = c.days.slice(-days);
    const status = color ? `${esc(STATUS_COLOUR[c.status] ?? '0')}${c.status.padEnd(statusWidth)}${esc('0')}` : c.status.padEnd(statusWidth);
    io.out(`  ${c.name.slice(0, nameWidth).padEnd(nameWidth)}  ${status}  ${overall(shown).padEnd(8)}  ${dayBar(shown, color)}\n`);
  }
  for (const [title, list] of [['Unresolved incidents', summary.incidents], ['Maintenance', summary.scheduled_maintenances]] as const) {
    if (!list.length) continue;
    io.out(`\n${title}\n`);
    for (const i of list) {
      const latest = i.incident_updates[0];
      io.out(`  ${i.name} — ${i.status}${i.scheduled_for ? ` from ${formatLocalTime(i.scheduled_for, tz)}` : ''} (${i.impact})\n`);
      if (latest) io.out(`    ${formatLocalTime(latest.display_at, tz)}  ${latest.body.replace(/\s+/g, ' ').slice(0, 200)}\n`);
      io.out(`    ${i.shortlink}\n`);
    }
  }
  return 0;
}
