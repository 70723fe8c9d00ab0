import type { ComponentStatus, Impact, Indicator, MaintenanceStatus, PublicIncidentStatus } from './vocabulary.ts';

/**
 * Everything the public may see, read from the database in one go and cached: the HTML page,
 * the Statuspage JSON, the feeds and the badge are all rendered from one snapshot, so they agree
 * and a refresh storm never reaches the database. Only public data is in here: no internal
 * titles, notes, responders or unpublished service names. Times are epoch milliseconds.
 */
export interface PageSnapshot {
  /** When it was read. */
  builtAt: number;
  page: {
    id: string;
    name: string;
    /** The page's public address, without a trailing slash. */
    url: string;
    time_zone: string;
    /** The last change to anything on the page. */
    updated_at: number;
    logo_url: string | null;
    links: { label: string; url: string }[];
    about: string | null;
    /** Whether people can subscribe by email and by webhook. */
    subscribe: { email: boolean; webhook: boolean };
    /** Days of uptime bars. */
    history_days: number;
  };
  status: { indicator: Indicator; description: string };
  /** Groups and their members, flat, in page order (a group, then its members, then the next). */
  components: SnapshotComponent[];
  /** Public incidents not yet resolved, newest first. */
  unresolved: PublicIncident[];
  /** The 50 most recent public incidents, newest first. */
  incidents: PublicIncident[];
  /** Maintenances in `scheduled`, soonest first. */
  upcoming: PublicIncident[];
  /** Maintenances in `in_progress` or `verifying`. */
  active: PublicIncident[];
  /** The 50 most recent maintenances, newest first. */
  maintenances: PublicIncident[];
  /** Per showcased component: one bar per day, oldest first, ending today (in the page's zone). */
  uptime: Record<string, UptimeDay[]>;
}

export interface SnapshotComponent {
  id: string;
  name: string;
  description: string | null;
  status: ComponentStatus;
  created_at: number;
  updated_at: number;
  /** 1-based, within the page (groups and ungrouped components) or within the group. */
  position: number;
  showcase: boolean;
  /** "YYYY-MM-DD" or null. */
  start_date: string | null;
  group_id: string | null;
  group: boolean;
  only_show_if_degraded: boolean;
  /** Group rows only: member ids. */
  components?: string[];
}

export interface PublicIncident {
  id: string;
  kind: 'incident' | 'maintenance';
  name: string;
  status: PublicIncidentStatus | MaintenanceStatus;
  /** Maintenances: `maintenance`. */
  impact: Impact | 'maintenance';
  created_at: number;
  updated_at: number;
  started_at: number;
  monitoring_at: number | null;
  resolved_at: number | null;
  /** Maintenances only. */
  scheduled_for: number | null;
  scheduled_until: number | null;
  /** Affected component ids. */
  components: string[];
  /** Newest first. */
  updates: PublicUpdate[];
  /** Published postmortem (Markdown-ish plain text), once attached. */
  postmortem_body: string | null;
  postmortem_published_at: number | null;
}

export interface PublicUpdate {
  id: string;
  status: PublicIncidentStatus | MaintenanceStatus;
  body: string;
  created_at: number;
  display_at: number;
  affected_components: { code: string; name: string; old_status: ComponentStatus; new_status: ComponentStatus }[] | null;
  deliver_notifications: boolean;
}

/** One day of a component's uptime bar. */
export interface UptimeDay {
  /** "YYYY-MM-DD" in the page's zone. */
  date: string;
  /** Percent of the day the component was up, or null when there is no data (before start, no monitors and no history). */
  uptime: number | null;
  /** Minutes at each status that day, from the component's status history. */
  minutes: { major_outage: number; partial_outage: number; degraded_performance: number; under_maintenance: number };
  /** Public incidents that touched the component that day. */
  incidents: { id: string; name: string; impact: Impact | 'maintenance' }[];
}
