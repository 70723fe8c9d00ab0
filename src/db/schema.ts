import type { Generated } from 'kysely';

/** Table shapes as Kysely sees them. Times are epoch milliseconds; JSON columns hold text. */
export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  counters: CountersTable;
  incidents: IncidentsTable;
  incident_services: IncidentServicesTable;
  incident_roles: IncidentRolesTable;
  incident_timeline: IncidentTimelineTable;
  audit_log: AuditLogTable;
  outbox: OutboxTable;
  signals: SignalsTable;
  alerts: AlertsTable;
  change_events: ChangeEventsTable;
  user_reports: UserReportsTable;
  report_groups: ReportGroupsTable;
  silences: SilencesTable;
  maintenance_windows: MaintenanceWindowsTable;
  timers: TimersTable;
  monitor_state: MonitorStateTable;
  monitor_results: MonitorResultsTable;
  monitor_rollups: MonitorRollupsTable;
  monitor_rollup_marks: { size: number; through: number };
  monitor_changes: MonitorChangesTable;
  heartbeat_pings: HeartbeatPingsTable;
  recovery_points: RecoveryPointsTable;
  rpo_state: RpoStateTable;
  monitor_nodes: { node_id: string; seen_until: number };
  schedule_overrides: ScheduleOverridesTable;
  escalations: EscalationsTable;
  escalation_steps: EscalationStepsTable;
  notifications: NotificationsTable;
  notification_attempts: NotificationAttemptsTable;
  action_link_uses: { nonce: string; incident_id: string; action: string; used_at: number; used_by: string };
  app_secrets: { name: string; value: string; created_at: number };
  status_components: StatusComponentsTable;
  status_component_changes: { id: Generated<number>; component_id: string; at: number; from_status: string; to_status: string };
  status_incidents: StatusIncidentsTable;
  status_incident_updates: StatusIncidentUpdatesTable;
  incident_publications: IncidentPublicationsTable;
  status_subscribers: StatusSubscribersTable;
  postmortems: PostmortemsTable;
  postmortem_revisions: PostmortemRevisionsTable;
  action_items: ActionItemsTable;
  backups: BackupsTable;
  runbook_runs: RunbookRunsTable;
  runbook_step_runs: RunbookStepRunsTable;
  runbook_proposals: RunbookProposalsTable;
  drill_runs: DrillRunsTable;
  backup_leases: { name: string; owner: string; until: number };
}

export interface UsersTable {
  id: string;
  handle: string;
  name: string;
  email: string;
  time_zone: string;
  role: string;
  password_hash: string | null;
  must_change_password: number;
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  scopes: string;
  created_at: number;
  created_by: string | null;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface CountersTable {
  name: string;
  value: number;
}

export interface IncidentsTable {
  id: string;
  number: number;
  title: string;
  description: string;
  severity: string;
  severity_source: string;
  state: string;
  source: string;
  customer_facing: number;
  user_share: number;
  impact: string;
  war_room_url: string | null;
  created_by: string | null;
  reopen_count: number;
  detected_at: number;
  triggered_at: number;
  acknowledged_at: number | null;
  resolved_at: number | null;
  closed_at: number | null;
  created_at: number;
  updated_at: number;
  /** The incident this one was absorbed into (its root cause), if any. */
  merged_into: string | null;
  /** First responder action past acknowledging: commander assigned, investigating or later, a note. */
  responded_at: number | null;
  /** Last severity change after the incident opened (escalation accuracy). */
  severity_changed_at: number | null;
  /** fixed | not_an_incident; null while open. */
  resolution: string | null;
  /** integration/dedup_key of the alert that opened it. */
  fingerprint: string | null;
  stakeholders_notified_at: number | null;
  /** First public status-page post. */
  status_posted_at: number | null;
  /** The runbook run of the drill that joined or opened it (left out of the KPIs). */
  drill_run_id: string | null;
}

export interface IncidentServicesTable {
  incident_id: string;
  incident_number: number;
  service_id: string;
  added_at: number;
}

export interface IncidentRolesTable {
  incident_id: string;
  role: string;
  user_id: string;
  assigned_at: number;
}

export interface IncidentTimelineTable {
  id: Generated<number>;
  incident_id: string;
  at: number;
  kind: string;
  actor_type: string;
  actor_id: string | null;
  actor_name: string;
  body: string;
  data: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor_type: string;
  actor_id: string | null;
  actor_name: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  request_id: string | null;
  data: string;
}

export interface OutboxTable {
  id: Generated<number>;
  at: number;
  topic: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: string;
  /** When a reaction consumer took the event; null while one may still want it. */
  reacted_at: number | null;
}

/** Every accepted inbound event, as received (without its routing key). */
export interface SignalsTable {
  id: Generated<number>;
  integration_id: string;
  received_at: number;
  /** 'alert' (trigger/acknowledge/resolve) or 'change'. */
  kind: string;
  event_action: string | null;
  dedup_key: string | null;
  /** The event as JSON text. */
  payload: string;
  /** What applying it does (JSON WorkItem[]); null once applied, for change events and for signals stored before 0006. */
  work: string | null;
  /** When the signal processor applied it; null while it waits. */
  processed_at: number | null;
  /** Why its work could not be applied, if it could not. */
  error: string | null;
}

/** One alert per (integration, dedup_key) while open; resolved alerts are kept. */
export interface AlertsTable {
  id: string;
  integration_id: string;
  dedup_key: string;
  /** 'triggered' | 'acknowledged' | 'resolved' */
  status: string;
  summary: string;
  source: string;
  /** The sender's severity (critical, error, warning, info); the incident carries P0–P3. */
  severity: string;
  service_id: string;
  incident_id: string | null;
  first_seen_at: number;
  last_seen_at: number;
  detected_at: number;
  acknowledged_at: number | null;
  resolved_at: number | null;
  event_count: number;
  /** component, group, class, custom_details, links, images, client, client_url as JSON text. */
  details: string;
  /** The label set silences match on, as JSON text ({} for alerts stored before 0004). */
  labels: string;
  /** The silence or maintenance window that kept this alert from opening or joining an incident, while it does. */
  suppressed_by: string | null;
  /** Since when the key has changed state too often to re-notify (null: not flapping). */
  flapping_since: number | null;
}

export interface MaintenanceWindowsTable {
  id: string;
  title: string;
  description: string;
  /** Service ids as JSON text. */
  services: string;
  time_zone: string;
  /** Wall-clock "YYYY-MM-DDTHH:MM" in time_zone. */
  starts_local: string;
  ends_local: string;
  /** null (one-off) | 'daily' | 'weekly' */
  recurrence: string | null;
  until_local: string | null;
  first_start_at: number;
  last_end_at: number | null;
  created_by: string;
  created_at: number;
  cancelled_at: number | null;
}

export interface TimersTable {
  kind: string;
  subject_id: string;
  due_at: number;
  /** JSON text. */
  data: string;
}

/** A silence: label matchers with a time window; matching new alerts are kept but page nobody. */
export interface SilencesTable {
  id: string;
  /** [{ name, op, value }] as JSON text. */
  matchers: string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  comment: string;
  created_at: number;
  expired_at: number | null;
}

/** A change event (deploy, config change) on a service: context for incidents, never a page. */
export interface ChangeEventsTable {
  id: Generated<number>;
  signal_id: number;
  integration_id: string;
  service_id: string;
  /** payload.timestamp when given, else when received. */
  happened_at: number;
  summary: string;
  source: string | null;
  /** custom_details and links as JSON text. */
  details: string;
}

/** A problem report from a person (signed in, or anonymous through the public form). */
export interface UserReportsTable {
  id: string;
  service_id: string;
  description: string;
  contact: string | null;
  reporter_user_id: string | null;
  /** The client address: for rate limiting and audit only, never shown. */
  reporter_address: string | null;
  received_at: number;
  group_id: string;
  incident_id: string | null;
}

/** Reports about one service that arrived close together; at the threshold they open or join an incident. */
export interface ReportGroupsTable {
  id: string;
  service_id: string;
  opened_at: number;
  last_report_at: number;
  report_count: number;
  incident_id: string | null;
  closed_at: number | null;
}

/** One row per configured monitor: its confirmed state, its last result, its lease. */
export interface MonitorStateTable {
  monitor_id: string;
  status: string;
  changed_at: number | null;
  streak_status: string | null;
  streak: Generated<number>;
  streak_since: number | null;
  last_check_at: number | null;
  last_status: string | null;
  last_reason: string | null;
  last_message: string | null;
  last_duration_ms: number | null;
  last_http_status: number | null;
  last_phases: string | null;
  cert_expires_at: number | null;
  signalled: string | null;
  held: string | null;
  paused_at: number | null;
  paused_by: string | null;
  last_ping_at: number | null;
  last_start_at: number | null;
  last_run_ms: number | null;
  due_at: number | null;
  lease_owner: string | null;
  lease_until: Generated<number>;
}

/** Raw check results, kept for monitoring.retention.raw. status: 0 up, 1 degraded, 2 down. */
export interface MonitorResultsTable {
  monitor_id: string;
  at: number;
  status: number;
  duration_ms: number;
  http_status: number | null;
  reason: string | null;
  message: string | null;
}

export interface MonitorRollupsTable {
  monitor_id: string;
  size: number;
  start: number;
  checks: number;
  failures: number;
  degraded: number;
  duration_sum: number;
  duration_max: number;
  p50: number;
  p95: number;
  hist: string;
}

export interface MonitorChangesTable {
  id: Generated<number>;
  monitor_id: string;
  at: number;
  from_status: string;
  to_status: string;
  reason: string | null;
  message: string | null;
  signal_id: number | null;
  held: string | null;
}

export interface HeartbeatPingsTable {
  id: Generated<number>;
  monitor_id: string;
  at: number;
  kind: string;
  exit_code: number | null;
  rid: string | null;
  duration_ms: number | null;
  method: string;
  remote_addr: string | null;
  user_agent: string | null;
  body: string | null;
}

/** A run-time change to a schedule: someone else on call for a while (or only instead of `replaces`). */
export interface ScheduleOverridesTable {
  id: string;
  schedule_id: string;
  user_handle: string;
  replaces: string | null;
  starts_at: number;
  ends_at: number;
  reason: string;
  created_by: string;
  created_at: number;
  cancelled_at: number | null;
  cancelled_by: string | null;
}

/** The escalation of one incident: the policy it is bound to and where it stands. */
export interface EscalationsTable {
  incident_id: string;
  policy_id: string | null;
  /** The bound policy as JSON text (null: no policy applies). */
  policy: string | null;
  severity: string;
  state: string;
  level: number;
  round: number;
  next_step_at: number | null;
  last_update_at: number | null;
  started_at: number;
  updated_at: number;
}

/** One escalation step that ran; the key makes it run once. */
export interface EscalationStepsTable {
  incident_id: string;
  step_key: string;
  level: number;
  round: number;
  due_at: number;
  fired_at: number;
  node: string;
  /** Who was notified, as JSON text. */
  recipients: string;
}

/** The notification outbox: one message to one destination, retried until sent or given up. */
export interface NotificationsTable {
  id: string;
  key: string;
  incident_id: string | null;
  kind: string;
  destination: string;
  provider: string;
  user_handle: string | null;
  /** The NotificationMessage as JSON text. */
  message: string;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  give_up_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
  updated_at: number;
}

export interface NotificationAttemptsTable {
  id: Generated<number>;
  notification_id: string;
  at: number;
  ok: number;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  node: string;
}

/** A status-page component's published status; the override, when set, is what a person chose. */
export interface StatusComponentsTable {
  id: string;
  status: string;
  override_status: string | null;
  override_by: string | null;
  override_at: number | null;
  override_reason: string | null;
  created_at: number;
  updated_at: number;
}

/** A public incident or scheduled maintenance. */
export interface StatusIncidentsTable {
  id: string;
  kind: string;
  incident_id: string | null;
  name: string;
  status: string;
  impact: string;
  impact_override: string | null;
  /** JSON object: affected component id → the status this incident declares for it. */
  components: string;
  created_at: number;
  updated_at: number;
  started_at: number;
  monitoring_at: number | null;
  resolved_at: number | null;
  scheduled_for: number | null;
  scheduled_until: number | null;
  time_zone: string | null;
  auto_transition: number;
  reminded_at: number | null;
  maintenance_window_id: string | null;
  postmortem_body: string | null;
  postmortem_published_at: number | null;
  source: string;
  created_by: string;
}

export interface StatusIncidentUpdatesTable {
  id: string;
  status_incident_id: string;
  status: string;
  body: string;
  created_at: number;
  display_at: number;
  affected_components: string | null;
  deliver_notifications: number;
  created_by: string;
}

/** How an internal incident relates to the status page: opted out, posted, when. */
export interface IncidentPublicationsTable {
  incident_id: string;
  opted_out_at: number | null;
  opted_out_by: string | null;
  opted_out_reason: string | null;
  status_incident_id: string | null;
  first_posted_at: number | null;
  detected_at: number;
  updated_at: number;
}

export interface StatusSubscribersTable {
  id: string;
  kind: string;
  address: string;
  components: string | null;
  created_at: number;
  confirmed_at: number | null;
  confirm_sent_at: number | null;
  unsubscribed_at: number | null;
  created_by: string;
}

/** A postmortem of one incident: its current content (JSON sections) and where it stands. */
export interface PostmortemsTable {
  id: string;
  incident_id: string;
  /** draft | in_review | completed */
  status: string;
  owner_id: string | null;
  due_at: number;
  /** JSON text: the sections (summary, root cause, factors, lessons, five whys…). */
  content: string;
  revision: number;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  published_at: number | null;
  reminded_at: number | null;
  /** auto | manual */
  source: string;
  created_by: string;
}

/** Every saved version of a postmortem, who saved it and why. */
export interface PostmortemRevisionsTable {
  id: Generated<number>;
  postmortem_id: string;
  revision: number;
  at: number;
  actor_type: string;
  actor_id: string | null;
  actor_name: string;
  content: string;
  status: string;
  note: string | null;
}

/** A follow-up task from an incident (usually its postmortem). */
export interface ActionItemsTable {
  id: string;
  incident_id: string;
  postmortem_id: string | null;
  title: string;
  description: string;
  owner_id: string | null;
  due_at: number | null;
  /** high | medium | low */
  priority: string;
  tracker_url: string | null;
  /** open | in_progress | done | wont_do */
  status: string;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  reminded_at: number | null;
  created_by: string;
}

export interface BackupsTable {
  id: string;
  target_id: string;
  created_at: number;
  status: string;
  engine: string;
  schema_version: string;
  plaintext_bytes: number;
  stored_bytes: number;
  duration_ms: number;
  error: string | null;
  verified_at: number | null;
  verify_ok: number | null;
  verify_ms: number | null;
  verify_error: string | null;
  deleted_at: number | null;
}

/** One execution (or dry run) of a runbook: the definition it ran, where it stands, its lease. */
export interface RunbookRunsTable {
  id: string;
  runbook_id: string;
  version: string;
  /** JSON text: the definition as it was when the run started. */
  definition: string;
  /** queued | running | waiting_approval | succeeded | failed | interrupted | cancelled */
  status: string;
  /** run | dry_run | drill */
  mode: string;
  incident_id: string | null;
  /** JSON text, secrets masked. */
  variables: string;
  started_by: string;
  started_by_user: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
  current_step: string | null;
  rerun_current: Generated<number>;
  deadline_at: number | null;
  error: string | null;
  lease_owner: string | null;
  lease_until: Generated<number>;
}

/** One attempt of one step of a run; inputs and outputs are JSON text with secrets masked. */
export interface RunbookStepRunsTable {
  id: string;
  run_id: string;
  step_path: string;
  step_type: string;
  attempt: number;
  /** running | succeeded | failed | waiting | rejected | interrupted | cancelled */
  status: string;
  inputs: string;
  outputs: string | null;
  started_at: number;
  finished_at: number | null;
  approved_by: string | null;
  comment: string | null;
  error: string | null;
}

/** A runbook an incident rule proposed (or started, run_id) for an incident: once per (rule, incident). */
export interface RunbookProposalsTable {
  rule_id: string;
  incident_id: string;
  runbook_id: string;
  at: number;
  run_id: string | null;
}

/** The newest restorable point a monitor reported for its service's data. */
export interface RecoveryPointsTable {
  monitor_id: string;
  service: string;
  source: 'heartbeat' | 'command' | 'replication';
  restorable_at: number;
  size_bytes: number | null;
  observed_at: number;
  detail: string | null;
}

/** The RPO status a service was last alerted on. */
export interface RpoStateTable {
  service: string;
  status: 'ok' | 'warning' | 'breached';
  changed_at: number;
}

/** One execution of a drill: its runbook run (mode drill), measurements against the objectives, and report. */
export interface DrillRunsTable {
  id: string;
  drill_id: string;
  run_id: string;
  service_id: string;
  /** running | passed | failed */
  status: string;
  /** on_demand | scheduled */
  trigger: string;
  started_at: number;
  finished_at: number | null;
  rto_ms: number | null;
  rpo_ms: number | null;
  rto_objective_ms: number;
  rpo_objective_ms: number;
  passed: number | null;
  /** JSON text. */
  report: string | null;
  /** JSON text: action item ids. */
  action_items: string;
  started_by: string;
}
