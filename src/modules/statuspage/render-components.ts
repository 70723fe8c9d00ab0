import { STATUS_TONE, type Tone } from './page-style.ts';
import { esc } from './render-html.ts';
import type { PageSnapshot, SnapshotComponent, UptimeDay } from './snapshot-types.ts';
import { STATUS_LABELS } from './vocabulary.ts';

/**
 * The components section: groups with their members, each with its status in words, and uptime
 * bars for showcased components. Bars carry their meaning in text too: every day says its date,
 * uptime, outage minutes and incidents (visually hidden, shown as a tooltip on hover).
 */

/** On narrow screens only the most recent days' bars show; older ones are hidden by CSS. */
const PHONE_DAYS = 30;

/** Whether the public sees a component now: `only_show_if_degraded` hides it while operational. */
export const isVisible = (c: SnapshotComponent) => !(c.only_show_if_degraded && c.status === 'operational');

/** A component status in words, with a coloured dot beside it. */
export const statusWords = (status: SnapshotComponent['status']) => `<span class="st t-${STATUS_TONE[status] ?? 'neutral'}">${esc(STATUS_LABELS[status] ?? status)}</span>`;

/** The colour of a day: grey without data, green at 100%, else by how bad the day was. */
export function dayTone(d: UptimeDay): Tone {
  if (d.uptime === null) return 'nodata';
  const m = d.minutes;
  if (d.uptime < 99) return 'critical';
  if (d.uptime < 99.9 || m.major_outage > 0 || m.partial_outage > 0) return 'major';
  if (d.uptime < 100 || m.degraded_performance > 0) return 'minor';
  if (m.under_maintenance > 0) return 'maintenance';
  return 'ok';
}

/** A percentage, never rounded up to a better figure: 99.999 reads 99.99%, only a clean day 100%. */
export function formatPercent(p: number): string {
  if (p >= 100) return '100%';
  return `${(Math.floor(p * 100 + 1e-9) / 100).toFixed(2)}%`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function formatMinutes(min: number): string {
  const h = Math.floor(min / 60);
  const m = Math.round(min - h * 60);
  return h ? `${h} h${m ? ` ${m} min` : ''}` : `${m} min`;
}

/** The words for one day's bar, e.g. "2026-03-10: 99.95% uptime, 4 min partial outage, 1 incident". */
export function dayText(d: UptimeDay): string {
  if (d.uptime === null) return `${d.date}: no data`;
  const parts = [`${d.date}: ${formatPercent(d.uptime)} uptime`];
  const m = d.minutes;
  if (m.major_outage > 0) parts.push(`${formatMinutes(m.major_outage)} major outage`);
  if (m.partial_outage > 0) parts.push(`${formatMinutes(m.partial_outage)} partial outage`);
  if (m.degraded_performance > 0) parts.push(`${formatMinutes(m.degraded_performance)} degraded performance`);
  if (m.under_maintenance > 0) parts.push(`${formatMinutes(m.under_maintenance)} maintenance`);
  const incidents = d.incidents.filter((i) => i.impact !== 'maintenance').length;
  const maintenances = d.incidents.length - incidents;
  if (incidents) parts.push(plural(incidents, 'incident'));
  if (maintenances) parts.push(plural(maintenances, 'maintenance'));
  return parts.join(', ');
}

/** Uptime over the days that have data (null when none do). */
export function periodUptime(days: UptimeDay[]): number | null {
  const known = days.filter((d) => d.uptime !== null);
  return known.length ? known.reduce((sum, d) => sum + (d.uptime as number), 0) / known.length : null;
}

function uptimeBars(s: PageSnapshot, c: SnapshotComponent): string {
  const days = s.uptime[c.id];
  if (!c.showcase || !days?.length) return '';
  const total = periodUptime(days);
  const span = `the past ${plural(days.length, 'day')}`;
  const summary = total === null ? `No uptime data yet for ${span}` : `${formatPercent(total)} uptime over ${span}`;
  const oldCut = days.length - PHONE_DAYS;
  const bars = days.map((d, i) => `<li${i < oldCut ? ' class="o"' : ''}><span class="b t-${dayTone(d)}"></span><span class="vh tip">${esc(dayText(d))}</span></li>`).join('');
  const far = `${days.length - 1} days ago`;
  const axis = days.length > PHONE_DAYS ? `<span class="far">${far}</span><span class="near">${PHONE_DAYS - 1} days ago</span>` : `<span>${far}</span>`;
  return `<div class="uptime"><p class="meta">${summary}</p><ol class="bars" aria-label="${esc(c.name)}: uptime by day, oldest first">${bars}</ol><p class="axis muted" aria-hidden="true">${axis}<span>Today</span></p></div>`;
}

function componentItem(s: PageSnapshot, c: SnapshotComponent, level: 3 | 4, members = ''): string {
  const desc = c.description ? `<p class="comp-desc">${esc(c.description)}</p>` : '';
  return `<li><div class="comp-head"><h${level}>${esc(c.name)}</h${level}>${statusWords(c.status)}</div>${desc}${members}${c.group ? '' : uptimeBars(s, c)}</li>`;
}

const LEGEND: [Tone, string][] = [
  ['ok', 'No downtime'],
  ['minor', 'Degraded or brief errors'],
  ['major', 'Partial outage or under 99.9%'],
  ['critical', 'Under 99% uptime'],
  ['maintenance', 'Maintenance'],
  ['nodata', 'No data'],
];

/** The components section; empty when the page declares no components. */
export function renderComponents(s: PageSnapshot): string {
  const byId = new Map(s.components.map((c) => [c.id, c]));
  const items: string[] = [];
  for (const c of s.components) {
    if (c.group_id !== null) continue;
    if (!c.group) {
      if (isVisible(c)) items.push(componentItem(s, c, 3));
      continue;
    }
    const members = (c.components ?? []).map((id) => byId.get(id)).filter((m): m is SnapshotComponent => m !== undefined && isVisible(m));
    // A group whose members are all hidden would be an empty heading.
    if (!members.length) continue;
    items.push(componentItem(s, c, 3, `<ul class="members">${members.map((m) => componentItem(s, m, 4)).join('')}</ul>`));
  }
  if (!items.length) return '';
  const hasBars = s.components.some((c) => c.showcase && !c.group && isVisible(c) && s.uptime[c.id]?.length);
  const legend = hasBars ? `<ul class="legend" aria-label="What the bar colours mean">${LEGEND.map(([t, label]) => `<li class="key t-${t}">${label}</li>`).join('')}</ul>` : '';
  return `<section aria-labelledby="components-h"><h2 id="components-h">Components</h2><ul class="components">${items.join('')}</ul>${legend}</section>`;
}
