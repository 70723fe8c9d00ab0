import type { LayerView, OnCallView, OverrideView, ScheduleView, ShiftsView } from '../../modules/oncall/schedule-schemas.ts';
import { formatDuration } from '../../lib/duration.ts';
import { displayTimeZone, formatLocalTime, NONE, toJson } from '../format.ts';
import { createApiClient, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { renderFields, renderTable } from '../table.ts';
import { describeSource, person } from './oncall-list.ts';
import { colorWanted, dayAfter, renderOnCallPicture, startOfDay, zoneName } from './oncall-picture.ts';

export const DEFAULT_DAYS = 14;
/** The API answers ranges of at most 92 days; a picture starts at the local midnight, so leave room. */
export const MAX_DAYS = 90;

const ALL_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** "every day 00:00–06:00", "mon,tue,wed,thu,fri 09:00–17:00"; "-" without restrictions. */
export function describeRestrictions(layer: LayerView): string {
  if (!layer.restrictions.length) return NONE;
  return layer.restrictions
    .map((r) => `${ALL_DAYS.every((d) => (r.days as string[]).includes(d)) ? 'every day' : r.days.join(',')} ${r.from}–${r.to}`)
    .join('; ');
}

const rotation = (l: LayerView) => (l.rotation.type === 'custom' ? `every ${formatDuration(l.rotation.shift_minutes * 60_000)}` : l.rotation.type);

/** Reads --days: a whole number from 1 to MAX_DAYS. */
export function parseDays(text: string | undefined): number {
  if (text === undefined) return DEFAULT_DAYS;
  const days = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw new CliError(`--days must be a whole number of days from 1 to ${MAX_DAYS} (got "${text}")`, 2);
  return days;
}

/** `firebreak oncall show <schedule> [--days N]`: layers, who is on call now and next, and who is on call when as a picture. */
export async function oncallShowCommand(args: string[], flags: ClientFlags & { days?: string; json?: boolean }, io: Io): Promise<number> {
  if (args.length !== 1) throw new CliError(`usage: firebreak oncall show <schedule> [--days N (1–${MAX_DAYS}, default ${DEFAULT_DAYS})]`, 2);
  const days = parseDays(flags.days);
  const api = createApiClient(flags, io.env);
  const tz = displayTimeZone(io.env);
  const now = Date.now();
  const from = new Date(startOfDay(now, tz)).toISOString();
  const to = new Date(dayAfter(now, days, tz)).toISOString();
  const path = `/api/v1/schedules/${encodeURIComponent(args[0])}`;
  const schedule = await api.request<ScheduleView>('GET', path);
  const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const [shifts, overrides] = await Promise.all([
    api.request<ShiftsView>('GET', `${path}/shifts?${range}`),
    api.request<{ data: OverrideView[] }>('GET', `${path}/overrides?${range}`),
  ]);
  if (flags.json) {
    io.out(toJson({ ...schedule, from: shifts.from, to: shifts.to, shifts: shifts.shifts, overrides: overrides.data }));
    return 0;
  }

  const t = (iso: string | null | undefined) => formatLocalTime(iso, tz);
  const stretch = (o: OnCallView | null) => (o ? `${person(o)} from ${t(o.since)} until ${t(o.until)}, ${describeSource(o.source)}` : 'nobody');
  let out = `${schedule.name} (${schedule.id}), rotations in ${schedule.time_zone}\n`;
  out += renderFields([
    ['on call now', stretch(schedule.on_call)],
    ['next', schedule.on_call || schedule.next ? stretch(schedule.next) : NONE],
  ]);
  out += `\nLayers (a later layer wins wherever it has someone on call)\n`;
  out += renderTable(
    schedule.layers,
    [
      { header: '#', value: (l) => String(l.index), align: 'right' },
      { header: 'NAME', value: (l) => l.name ?? NONE, max: 30 },
      { header: 'ROTATION', value: rotation },
      { header: 'HANDOFF', value: (l) => l.rotation.handoff },
      { header: 'START', value: (l) => l.start },
      { header: 'ONLY', value: describeRestrictions, max: 40 },
      { header: 'MEMBERS', value: (l) => l.members.map((m) => m.handle).join(', ') },
    ],
    '  ',
  );
  out += `\nWho is on call, ${days} ${days === 1 ? 'day' : 'days'} from today in ${zoneName(tz)}, one letter an hour\n`;
  out += renderOnCallPicture(shifts.shifts, {
    start: Date.parse(shifts.from),
    days,
    timeZone: tz,
    now,
    color: colorWanted(io.env, process.stdout.isTTY === true),
    people: schedule.layers.flatMap((l) => l.members.map((m) => m.handle)),
  });
  if (overrides.data.length) {
    out += `\nOverrides (${overrides.data.length})\n`;
    out += renderTable(
      overrides.data,
      [
        { header: 'ID', value: (o) => o.id },
        { header: 'USER', value: (o) => o.user },
        { header: 'REPLACES', value: (o) => o.replaces ?? NONE },
        { header: 'FROM', value: (o) => t(o.start) },
        { header: 'TO', value: (o) => t(o.end) },
        { header: 'BY', value: (o) => o.created_by },
        { header: 'REASON', value: (o) => o.reason, max: 60 },
      ],
      '  ',
    );
  }
  io.out(out);
  return 0;
}
