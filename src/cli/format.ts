/** Placeholder for an empty value in human output. */
export const NONE = '-';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let f = formatters.get(key);
  if (!f) {
    const opts: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };
    try {
      f = new Intl.DateTimeFormat('en-US', { ...opts, timeZone });
    } catch {
      // An unknown TZ value: fall back to the process default rather than failing the command.
      f = new Intl.DateTimeFormat('en-US', opts);
    }
    formatters.set(key, f);
  }
  return f;
}

/** An ISO timestamp as local wall-clock time, e.g. "2026-06-01 04:13:00 CEST"; "-" when null. */
export function formatLocalTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return NONE;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(d)) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

/** The time zone to show times in: TZ from the environment when set, else the system default. */
export const displayTimeZone = (env: Readonly<Record<string, string | undefined>>): string | undefined => env.TZ || undefined;

export const list = (items: readonly string[] | null | undefined) => (items && items.length ? items.join(', ') : NONE);

/** Pretty JSON for `--json`, exactly what the API (or the verb) returned. */
export const toJson = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
