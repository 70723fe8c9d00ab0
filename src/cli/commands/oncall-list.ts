import type { OnCallView, ScheduleView, SourceView } from '../../modules/oncall/schedule-schemas.ts';
import { displayTimeZone, formatLocalTime, NONE, toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { renderTable } from '../table.ts';

/** Why someone is on call: `layer "weekly"`, `layer 0`, or `override: <reason> (by <who>)`. */
export function describeSource(source: SourceView): string {
  if (source.type === 'layer') return source.name ? `layer "${source.name}"` : `layer ${source.layer}`;
  return `override by ${source.created_by}: ${source.reason}`;
}

/** "bob (Bob Okafor)". */
export const person = (p: { handle: string; name: string }) => (p.name && p.name !== p.handle ? `${p.handle} (${p.name})` : p.handle);

/** Who comes next: the handle, with when they start if that is not when the current stretch ends. */
function nextCell(s: ScheduleView, tz: string | undefined): string {
  if (!s.next) return NONE;
  if (s.on_call && s.on_call.until === s.next.since) return s.next.handle;
  return `${s.next.handle} from ${formatLocalTime(s.next.since, tz)}`;
}

const since = (o: OnCallView | null, tz: string | undefined) => (o ? formatLocalTime(o.since, tz) : NONE);
const until = (o: OnCallView | null, tz: string | undefined) => (o ? formatLocalTime(o.until, tz) : NONE);

/** `firebreak oncall`: who is on call now for every schedule (since, until, why) and who is next. */
export async function oncallListCommand(args: string[], flags: ClientFlags & { json?: boolean }, io: Io): Promise<number> {
  if (args.length) throw new CliError(`oncall takes no arguments (got "${args.join(' ')}"); for one schedule: firebreak oncall show <schedule>`, 2);
  const page = await createApiClient(flags, io.env).request<{ data: ScheduleView[] }>('GET', '/api/v1/schedules');
  if (flags.json) {
    io.out(toJson(page));
    return 0;
  }
  if (!page.data.length) {
    io.out('no schedules (declare them under schedules: in firebreak.yaml)\n');
    return 0;
  }
  const tz = displayTimeZone(io.env);
  io.out(
    renderTable(page.data, [
      { header: 'SCHEDULE', value: (s) => s.id },
      { header: 'ON CALL', value: (s) => s.on_call?.handle ?? 'nobody' },
      { header: 'SINCE', value: (s) => since(s.on_call, tz) },
      { header: 'UNTIL', value: (s) => until(s.on_call, tz) },
      { header: 'NEXT', value: (s) => nextCell(s, tz) },
      { header: 'WHY', value: (s) => (s.on_call ? describeSource(s.on_call.source) : NONE), max: 80 },
    ]),
  );
  return 0;
}
