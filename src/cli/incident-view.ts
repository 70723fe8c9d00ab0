import type { IncidentPostmortemSummary, IncidentView, TimelineEntryView } from '../modules/incidents/schemas.ts';
import { formatLocalTime, list, NONE } from './format.ts';
import { renderFields, renderTable, type Column } from './table.ts';

export type IncidentWithTimeline = IncidentView & { timeline: TimelineEntryView[]; postmortem?: IncidentPostmortemSummary | null };
export interface IncidentPage {
  data: IncidentView[];
  next_cursor: string | null;
}

/** Columns of `incident list`. */
export const incidentColumns = (tz: string | undefined): Column<IncidentView>[] => [
  { header: 'REF', value: (i) => i.ref },
  { header: 'SEV', value: (i) => i.severity },
  { header: 'STATE', value: (i) => i.state },
  { header: 'TRIGGERED', value: (i) => formatLocalTime(i.triggered_at, tz) },
  { header: 'SERVICES', value: (i) => list(i.services), max: 30 },
  { header: 'TITLE', value: (i) => i.title, max: 60 },
];

const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;

/** `incident show`: header fields, impact, roles, description and the timeline in local time. */
export function renderIncident(i: IncidentWithTimeline, tz: string | undefined): string {
  const t = (iso: string | null) => formatLocalTime(iso, tz);
  let out = `${i.ref}  ${i.title}\n`;
  out += renderFields([
    ['severity', `${i.severity}${i.severity_source === 'automation' ? ' (set by automation)' : ''}`],
    ['state', `${i.state}${i.allowed_actions.length ? `  (next: ${i.allowed_actions.join(', ')})` : ''}`],
    ['source', i.source],
    ['services', list(i.services)],
    ['created by', i.created_by ?? NONE],
    ['detected', t(i.detected_at)],
    ['triggered', t(i.triggered_at)],
    ['acknowledged', t(i.acknowledged_at)],
    ['resolved', t(i.resolved_at)],
    ['closed', t(i.closed_at)],
    ['reopened', i.reopen_count ? `${i.reopen_count} time(s)` : NONE],
    ['war room', i.war_room_url ?? NONE],
    ['postmortem', i.postmortem ? `${i.postmortem.id} (${i.postmortem.status.replace('_', ' ')}, due ${t(i.postmortem.due_at)})` : NONE],
    ['id', i.id],
  ]);
  out += '\nImpact\n';
  out += renderFields([
    ['customer-facing', i.impact.customer_facing ? 'yes' : 'no'],
    ['user share', percent(i.impact.user_share)],
    ['impacted services', list(i.impact.impacted_services)],
    ['highest tier', i.impact.highest_tier ?? NONE],
  ]);
  out += '\nRoles\n';
  out += renderFields([
    ['commander', i.roles.commander ?? NONE],
    ['communications lead', i.roles.communications_lead ?? NONE],
    ['scribe', i.roles.scribe ?? NONE],
    ['responders', list(i.roles.responders)],
  ]);
  if (i.description.trim()) out += `\nDescription\n${i.description.trim().replace(/^/gm, '  ')}\n`;
  out += `\nTimeline (${i.timeline.length} ${i.timeline.length === 1 ? 'entry' : 'entries'})\n`;
  out += renderTable(
    i.timeline,
    [
      { header: 'TIME', value: (e) => t(e.at) },
      { header: 'KIND', value: (e) => e.kind },
      { header: 'BY', value: (e) => e.actor.name, max: 32 },
      { header: 'WHAT', value: (e) => e.body },
    ],
    '  ',
  );
  return out;
}

/** One line after a state change, e.g. "INC-7 is now acknowledged (P1): Database down". */
export const stateLine = (i: IncidentView) => `${i.ref} is now ${i.state} (${i.severity}): ${i.title}\n`;
