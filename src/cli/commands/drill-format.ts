import type { DrillReport, DrillRunView } from '../../modules/drills/index.ts';
import { formatDuration } from '../../lib/duration.ts';
import { formatLocalTime, NONE } from '../format.ts';
import { renderFields, renderTable } from '../table.ts';

/** A duration for people: 420ms, 12.5s, then 3m20s and up. */
export const ms = (v: number | null | undefined) => (v === null || v === undefined ? NONE : v < 1000 ? `${v}ms` : v < 60_000 ? `${(v / 1000).toFixed(1)}s` : formatDuration(v));
const verdict = (met: boolean | null) => (met === null ? 'not measured' : met ? 'met' : 'MISSED');

/** The drill report: verdict, RTO and RPO against the objectives, steps, cleanup and action items. */
export function renderReport(r: DrillReport, tz?: string): string {
  const fields: [string, string][] = [
    ['Drill', `${r.drill} (${r.name})`],
    ['Result', r.passed ? 'PASSED' : 'FAILED'],
    ['Runbook', `${r.runbook} ${r.version}, run ${r.run} ${r.run_status}`],
    ['Service', r.service],
    ['Target', `${r.target}${r.production ? ' (production)' : ''}`],
    ['Started', formatLocalTime(r.started_at, tz)],
    ['RTO', `${ms(r.rto.measured_ms)} (objective ${ms(r.rto.objective_ms)}: ${verdict(r.rto.met)}), ${r.rto.from_step} → ${r.rto.to_step}`],
    ['RPO', r.rpo ? `${ms(r.rpo.measured_ms)} (objective ${ms(r.rpo.objective_ms)}: ${verdict(r.rpo.met)}), newest surviving marker ${r.rpo.surviving_marker_at ?? NONE}` : 'not measured (no marker)'],
    ['Cleanup', r.cleanup.ran ? (r.cleanup.ok ? 'ran, succeeded' : 'ran, FAILED') : 'did not run'],
  ];
  if (r.incident) fields.push(['Incident', r.incident]);
  let out = renderFields(fields);
  out += `\nSteps:\n${renderTable([...r.steps, ...r.cleanup.steps], [
    { header: 'STEP', value: (s) => s.path },
    { header: 'TYPE', value: (s) => s.type },
    { header: 'STATUS', value: (s) => s.status },
    { header: 'ATTEMPTS', value: (s) => String(s.attempts) },
    { header: 'DURATION', value: (s) => ms(s.duration_ms) },
    { header: 'ERROR', value: (s) => s.error ?? '' },
  ], '  ')}`;
  if (r.reasons.length) out += `\nWhy it failed:\n${r.reasons.map((x) => `  - ${x}`).join('\n')}\n`;
  if (r.action_items.length) out += `\nAction items${r.incident ? ` (filed on ${r.incident})` : ' (no incident: file them yourself)'}:\n${r.action_items.map((a) => `  - [${a.priority}] ${a.title}${a.id ? ` (${a.id})` : ''}`).join('\n')}\n`;
  return out;
}

/**
 * RTO per drill run, oldest first, as horizontal bars on one scale with the objective marked:
 * a trend at a glance. `█` within the objective, `▒` over it, `│` where the objective is.
 */
export function rtoTrend(runs: DrillRunView[], width = 40, color = false): string {
  const rows = [...runs].reverse();
  const max = Math.max(1, ...rows.map((r) => Math.max(r.rto_ms ?? 0, r.rto_objective_ms)));
  const col = (v: number) => Math.min(width - 1, Math.round((v / max) * (width - 1)));
  const lines = rows.map((r) => {
    const cells = Array.from({ length: width }, () => ' ');
    const over = r.rto_ms !== null && r.rto_ms > r.rto_objective_ms;
    if (r.rto_ms !== null) for (let i = 0; i <= col(r.rto_ms); i++) cells[i] = over ? '▒' : '█';
    const at = col(r.rto_objective_ms);
    if (cells[at] === ' ') cells[at] = '│';
    let bar = cells.join('');
    if (color) bar = `\u001b[${over || r.passed === false ? '31' : '32'}m${bar}\u001b[0m`;
    const result = r.status === 'running' ? 'running' : r.passed ? 'passed' : 'failed';
    return `  ${r.started_at.slice(0, 10)} ${r.drill.padEnd(16).slice(0, 16)} ${bar} ${ms(r.rto_ms).padStart(8)} ${result}`;
  });
  return `${lines.join('\n')}\n  ${' '.repeat(28)}█ RTO within objective  ▒ over it  │ objective\n`;
}
