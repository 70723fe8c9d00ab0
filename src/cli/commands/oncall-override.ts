import type { OverrideView } from '../../modules/oncall/schedule-schemas.ts';
import { displayTimeZone, formatLocalTime, toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { parseTimeArg } from './oncall-picture.ts';

export interface OverrideFlags extends ClientFlags {
  user?: string;
  from?: string;
  to?: string;
  reason?: string;
  replaces?: string;
  json?: boolean;
}

const USAGE = 'usage: firebreak oncall override <schedule> --user HANDLE --from TIME --to TIME --reason "why" [--replaces HANDLE]\n       firebreak oncall override cancel <schedule> <override-id>';

const schedulePath = (id: string) => `/api/v1/schedules/${encodeURIComponent(id)}`;

/**
 * `firebreak oncall override <schedule> --user H --from T --to T --reason R [--replaces H]` puts
 * someone on call; `firebreak oncall override cancel <schedule> <override-id>` takes it back.
 * Times: ISO 8601 with an offset, a local time in TZ ("2026-04-08 12:00"), "now", or "+2h"
 * (for --to: after --from).
 */
export async function oncallOverrideCommand(args: string[], flags: OverrideFlags, io: Io): Promise<number> {
  if (args[0] === 'cancel' && (args.length > 1 || flags.user === undefined)) return cancel(args.slice(1), flags, io);
  if (args.length !== 1) throw new CliError(USAGE, 2);
  const missing = (['user', 'from', 'to', 'reason'] as const).filter((f) => flags[f] === undefined || flags[f] === '');
  if (missing.length) throw new CliError(`oncall override needs ${missing.map((f) => `--${f}`).join(', ')}\n${USAGE}`, 2);
  const tz = displayTimeZone(io.env);
  const now = Date.now();
  const start = parseTimeArg(flags.from!, '--from', now, now, tz);
  const end = parseTimeArg(flags.to!, '--to', now, start, tz);
  const body = {
    user: flags.user,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    reason: flags.reason,
    ...(flags.replaces !== undefined && { replaces: flags.replaces }),
  };
  const override = await createApiClient(flags, io.env).request<OverrideView>('POST', `${schedulePath(args[0])}/overrides`, body);
  if (flags.json) {
    io.out(toJson(override));
    return 0;
  }
  const t = (iso: string) => formatLocalTime(iso, tz);
  io.out(
    `Override ${override.id}: ${override.user} is on call for ${override.schedule} from ${t(override.start)} until ${t(override.end)}` +
      `${override.replaces ? ` where ${override.replaces} would be` : ''}\n` +
      `  reason: ${override.reason}\n` +
      `  undo with: firebreak oncall override cancel ${override.schedule} ${override.id}\n`,
  );
  return 0;
}

async function cancel(args: string[], flags: OverrideFlags, io: Io): Promise<number> {
  const stray = (['user', 'from', 'to', 'reason', 'replaces'] as const).filter((f) => flags[f] !== undefined);
  if (stray.length) throw new CliError(`oncall override cancel does not take ${stray.map((f) => `--${f}`).join(', ')} (see firebreak --help)`, 2);
  if (args.length !== 2) throw new CliError('usage: firebreak oncall override cancel <schedule> <override-id>', 2);
  const [schedule, id] = args;
  await createApiClient(flags, io.env).request('DELETE', `${schedulePath(schedule)}/overrides/${encodeURIComponent(id)}`);
  io.out(flags.json ? toJson({ cancelled: id, schedule }) : `Cancelled override ${id} on ${schedule}\n`);
  return 0;
}
