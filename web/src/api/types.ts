/**
 * The API's types, taken from the server's own schemas: a change to the API that breaks the
 * console fails `npm run typecheck` (type-only imports: nothing of the server is bundled).
 */
import type { z } from 'zod';
import type { changePasswordInput, createTokenInput, createUserInput, loginInput, TokenView, updateUserInput, UserView } from '../../../src/modules/auth/index.ts';
import type {
  createIncidentInput,
  IncidentView,
  LifecycleVerb,
  listIncidentsQuery,
  resolveInput,
  noteInput,
  mitigationInput,
  roleInput,
  severityInput,
  stakeholderUpdateInput,
  TimelineEntryView,
  ChangeEventView,
  IncidentState,
  IncidentRole,
  IncidentPostmortemSummary,
} from '../../../src/modules/incidents/index.ts';
import type { listServices } from '../../../src/modules/services/index.ts';
import type { createOverrideInput, everyoneOnCallView, OverrideView, ScheduleView, shiftsView } from '../../../src/modules/oncall/index.ts';
import type { getMonitor, monitorRollups, MonitorView } from '../../../src/modules/monitors/index.ts';
import type { PublicationView } from '../../../src/modules/statuspage/index.ts';
import type { ErrorCode } from '../../../src/lib/errors.ts';
import type { ValidationCheck, ValidationResult } from '../../../src/modules/resolution/index.ts';
import type {
  updatePostmortemInput,
  createActionItemInput,
  updateActionItemInput,
  publishPostmortemInput,
  requestPostmortemInput,
  listPostmortemsQuery,
  listActionItemsQuery,
  PostmortemView,
  PostmortemSummaryView,
  ActionItemView,
  RevisionView,
  BlamelessHint,
  PostmortemStatus,
  ActionItemStatus,
  PostmortemContent,
  publishResultView,
} from '../../../src/modules/postmortems/index.ts';
import type { decisionInput, runbookDetailView, startRunInput } from '../../../src/modules/runbooks/index.ts';
import type { DrillReport, DrillRunView } from '../../../src/modules/drills/index.ts';
import type { listRpo, ServiceObjectives } from '../../../src/modules/recovery/index.ts';

export type { IncidentView, TimelineEntryView, IncidentPage, ChangeEventView, IncidentState, IncidentRole, LifecycleVerb, OpenIncidentCounts } from '../../../src/modules/incidents/index.ts';
export type { UserView, TokenView, ScheduleView, OverrideView, MonitorView, PublicationView, ErrorCode };
export type CreateUserInput = z.input<typeof createUserInput>;
export type UpdateUserInput = z.input<typeof updateUserInput>;
export type CreateTokenInput = z.input<typeof createTokenInput>;
export type TokenScope = TokenView['scopes'][number];
/** POST /api/v1/tokens: the token's view and, this once, its secret. */
export type CreatedToken = TokenView & { token: string };
export type CreateOverrideInput = z.input<typeof createOverrideInput>;
export type ShiftsView = z.output<typeof shiftsView>;
export type ShiftView = ShiftsView['shifts'][number];
/** GET /api/v1/monitors/:id (no response schema: the function's return type). */
export type MonitorDetail = Awaited<ReturnType<typeof getMonitor>>;
export type MonitorRollups = Awaited<ReturnType<typeof monitorRollups>>;
export type OnCallView = NonNullable<ScheduleView['on_call']>;

export type Severity = IncidentView['severity'];
export type Role = UserView['role'];
export type LoginInput = z.input<typeof loginInput>;
export type ChangePasswordInput = z.input<typeof changePasswordInput>;
export type CreateIncidentInput = z.input<typeof createIncidentInput>;
export type NoteInput = z.input<typeof noteInput>;
export type MitigationInput = z.input<typeof mitigationInput>;
export type SeverityInput = z.input<typeof severityInput>;
export type RoleInput = z.input<typeof roleInput>;
export type StakeholderUpdateInput = z.input<typeof stakeholderUpdateInput>;
/** The list's query as the server reads it (everything is a string on the wire). */
export type ListIncidentsQuery = z.input<typeof listIncidentsQuery>;
export type IncidentDetail = IncidentView & { timeline: TimelineEntryView[]; recent_changes: ChangeEventView[]; postmortem: IncidentPostmortemSummary | null };
export type ServiceView = Awaited<ReturnType<typeof listServices>>[number];
export type EveryoneOnCall = z.output<typeof everyoneOnCallView>;

/** POST /api/v1/auth/login's answer (src/http/routes/auth.ts). */
export interface LoginResult {
  user: UserView;
  expires_at: string;
  password_change_required: boolean;
}

/**
 * GET /api/v1/severities (src/http/routes/services.ts builds it inline, with no exported type;
 * the level is checked against the server's Severity type at least).
 */
export interface SeverityDefinition {
  level: Severity;
  name: string;
  definition: string;
  examples: string[];
  response_target_seconds: number;
  ack_target_seconds: number;
  resolve_target_seconds: number;
  update_cadence_seconds: number;
  escalation: string;
  public: boolean;
}

/** The error body every API error has (src/http/error-handler.ts). */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/** One Server-Sent `incident` event (src/http/live-stream.ts). */
export interface IncidentEvent {
  incident_id: string;
  ref: string;
  topic: string;
  at: string;
}

// Validated resolution, postmortems and action items, analytics.
export type { ValidationCheck, ValidationResult };
export type { PostmortemView, PostmortemSummaryView, ActionItemView, RevisionView, BlamelessHint, PostmortemStatus, ActionItemStatus, PostmortemContent };
export type { ResponseReport, QualityReport, AvailabilityReport, PostmortemsReport, PatternsReport, AnalyticsQueryInput } from '../../../src/modules/analytics/index.ts';
export type ResolveInput = z.input<typeof resolveInput>;
export type UpdatePostmortemInput = z.input<typeof updatePostmortemInput>;
export type RequestPostmortemInput = z.input<typeof requestPostmortemInput>;
export type CreateActionItemInput = z.input<typeof createActionItemInput>;
export type UpdateActionItemInput = z.input<typeof updateActionItemInput>;
export type PublishPostmortemInput = z.input<typeof publishPostmortemInput>;
export type PublishPostmortemResult = z.output<typeof publishResultView>;
export type ListPostmortemsQuery = z.input<typeof listPostmortemsQuery>;
export type ListActionItemsQuery = z.input<typeof listActionItemsQuery>;
export type ActionItemPriority = ActionItemView['priority'];
/** The 409 RESOLUTION_NOT_VALIDATED answer's details (src/modules/resolution/resolve-incident.ts). */
export interface ResolutionRefusal {
  checks: ValidationCheck[];
  failed: string[];
}

// Disaster recovery: runbooks and their runs, drills, recovery objectives and points, backups.
export type { RunbookView, RunView, RunDetailView, StepRunView, PlanStepView, StartRunResult, RunStatus } from '../../../src/modules/runbooks/index.ts';
export type { DrillView, DrillRunView, DrillReport, DrillKpis, Measure } from '../../../src/modules/drills/index.ts';
export type { BackupListing, BackupTargetView, BackupEntryView } from '../../../src/modules/backups/index.ts';
export type RunbookDetail = z.output<typeof runbookDetailView>;
export type StartRunInput = z.input<typeof startRunInput>;
export type DecisionInput = z.input<typeof decisionInput>;
export type DrillRunDetail = DrillRunView & { report: DrillReport | null };
export type RpoView = Awaited<ReturnType<typeof listRpo>>[number];
/** GET /api/v1/recovery/objectives (src/http/routes/services.ts): the objectives with seconds instead of ms. */
export type ObjectivesView = Omit<ServiceObjectives, 'rto_ms' | 'rpo_ms'> & { rto_seconds: number; rpo_seconds: number };
