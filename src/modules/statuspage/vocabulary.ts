/**
 * The Statuspage v2 vocabularies (docs/status-page.md) and the rules that combine them. Pure:
 * the page, the JSON, the feeds and the badge all agree because they all read these.
 */

export const COMPONENT_STATUSES = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] as const;
export type PublicIncidentStatus = (typeof INCIDENT_STATUSES)[number];
export const UNRESOLVED_STATUSES: readonly PublicIncidentStatus[] = ['investigating', 'identified', 'monitoring'];

export const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];
export const ACTIVE_MAINTENANCE: readonly MaintenanceStatus[] = ['in_progress', 'verifying'];

export const IMPACTS = ['none', 'minor', 'major', 'critical'] as const;
export type Impact = (typeof IMPACTS)[number];

export const INDICATORS = ['none', 'minor', 'major', 'critical', 'maintenance'] as const;
export type Indicator = (typeof INDICATORS)[number];

/** How bad a component status is, for "worst of": maintenance is not an outage. */
const STATUS_RANK: Record<ComponentStatus, number> = { operational: 0, under_maintenance: 1, degraded_performance: 2, partial_outage: 3, major_outage: 4 };

export function worstStatus(list: Iterable<ComponentStatus>): ComponentStatus {
  let worst: ComponentStatus = 'operational';
  for (const s of list) if (STATUS_RANK[s] > STATUS_RANK[worst]) worst = s;
  return worst;
}

/** A component status as an impact: degraded is minor, a partial outage major, a major outage critical. */
export function impactOfStatus(status: ComponentStatus): Impact {
  return status === 'major_outage' ? 'critical' : status === 'partial_outage' ? 'major' : status === 'degraded_performance' ? 'minor' : 'none';
}

export function worstImpact(list: Iterable<Impact>): Impact {
  let worst = 0;
  for (const i of list) worst = Math.max(worst, IMPACTS.indexOf(i));
  return IMPACTS[worst];
}

export const INDICATOR_DESCRIPTIONS: Record<Indicator, string> = {
  none: 'All Systems Operational',
  minor: 'Partially Degraded Service',
  major: 'Partial System Outage',
  critical: 'Major System Outage',
  maintenance: 'Service Under Maintenance',
};

/**
 * The page-level status, deterministically: the worse of (a) the worst component status as an
 * impact and (b) the worst impact of an unresolved public incident. When both are `none` and a
 * maintenance is in progress (or a component is under maintenance), `maintenance`.
 */
export function pageIndicator(componentStatuses: ComponentStatus[], unresolvedImpacts: Impact[], maintenanceActive: boolean): { indicator: Indicator; description: string } {
  const impact = worstImpact([...componentStatuses.map(impactOfStatus), ...unresolvedImpacts]);
  const indicator: Indicator = impact === 'none' && (maintenanceActive || componentStatuses.includes('under_maintenance')) ? 'maintenance' : impact;
  return { indicator, description: INDICATOR_DESCRIPTIONS[indicator] };
}

/** Readable labels, for the page, feeds and emails. */
export const STATUS_LABELS: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

export const PHASE_LABELS: Record<PublicIncidentStatus | MaintenanceStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  verifying: 'Verifying',
  completed: 'Completed',
};
