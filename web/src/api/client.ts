import type {
  ChangePasswordInput,
  CreateIncidentInput,
  CreateOverrideInput,
  CreateTokenInput,
  CreatedToken,
  CreateUserInput,
  ErrorBody,
  ErrorCode,
  EveryoneOnCall,
  IncidentDetail,
  IncidentView,
  MitigationInput,
  LifecycleVerb,
  LoginInput,
  LoginResult,
  MonitorDetail,
  MonitorRollups,
  MonitorView,
  OverrideView,
  NoteInput,
  OpenIncidentCounts,
  PublicationView,
  RoleInput,
  ScheduleView,
  ServiceView,
  SeverityDefinition,
  SeverityInput,
  ShiftsView,
  StakeholderUpdateInput,
  TimelineEntryView,
  TokenView,
  UpdateUserInput,
  UserView,
  ResolveInput,
  PostmortemView,
  PostmortemSummaryView,
  UpdatePostmortemInput,
  RevisionView,
  PublishPostmortemInput,
  PublishPostmortemResult,
  ActionItemView,
  CreateActionItemInput,
  UpdateActionItemInput,
  ResponseReport,
  QualityReport,
  AvailabilityReport,
  PostmortemsReport,
  PatternsReport,
  RunbookView,
  RunbookDetail,
  RunView,
  RunDetailView,
  StartRunInput,
  StartRunResult,
  DecisionInput,
  DrillView,
  DrillRunView,
  DrillRunDetail,
  DrillKpis,
  RpoView,
  ObjectivesView,
  BackupListing,
} from './types.ts';

/** An API error with its stable code and the server's message (what the console shows). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'NETWORK',
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Called when any request answers 401: the session ended (expired, revoked, signed out elsewhere). */
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

async function request<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, opts: { quiet401?: boolean } = {}): Promise<T> {
  let res: Response;
  try {
    // Same origin: the session cookie goes along and the server's Origin check passes.
    res = await fetch(`/api/v1${path}`, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Cannot reach the Firebreak server; check your connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page, for instance: reported below by status.
  }
  if (!res.ok) {
    const err = (json as ErrorBody | null)?.error;
    if (res.status === 401 && !opts.quiet401) onUnauthenticated();
    throw new ApiError(res.status, err?.code ?? 'INTERNAL', err?.message ?? `The server answered ${res.status} ${res.statusText}`.trim(), err?.details ?? {});
  }
  return json as T;
}

/** A query string from the defined values only. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

export interface IncidentListParams {
  state?: string;
  severity?: string;
  service?: string;
  open?: boolean;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

export interface RunListParams {
  status?: string;
  runbook?: string;
  incident?: string;
  limit?: number;
}

export interface PostmortemListParams {
  status?: string;
  owner?: string;
  overdue?: boolean;
  limit?: number;
  offset?: number;
}

export interface ActionItemListParams {
  status?: string;
  priority?: string;
  owner?: string;
  incident?: string;
  overdue?: boolean;
  limit?: number;
  offset?: number;
}

/** The period (and filters) every analytics report takes. */
export interface AnalyticsParams {
  from?: string;
  to?: string;
  severity?: string;
  service?: string;
}

/** Where an analytics report's CSV is (a plain link: the browser downloads it with the cookie). */
export const analyticsCsvUrl = (report: string, p: AnalyticsParams) => `/api/v1/analytics/${report}${qs({ ...p, format: 'csv' })}`;
export const postmortemMarkdownUrl = (id: string) => `/api/v1/postmortems/${encodeURIComponent(id)}/export.md`;

/** The typed client: one function per API call the console makes. */
export const api = {
  login: (input: LoginInput) => request<LoginResult>('POST', '/auth/login', input, { quiet401: true }),
  logout: () => request<void>('POST', '/auth/logout', undefined, { quiet401: true }),
  me: () => request<UserView>('GET', '/me', undefined, { quiet401: true }),
  changePassword: (input: ChangePasswordInput) => request<void>('POST', '/me/password', input),
  users: () => request<{ data: UserView[] }>('GET', '/users'),
  createUser: (input: CreateUserInput) => request<{ user: UserView; generated_password: string | null }>('POST', '/users', input),
  updateUser: (handle: string, input: UpdateUserInput) => request<UserView>('PATCH', `/users/${enc(handle)}`, input),
  resetPassword: (handle: string) => request<{ user: UserView; generated_password: string }>('POST', `/users/${enc(handle)}/reset-password`),
  tokens: () => request<{ data: TokenView[] }>('GET', '/tokens'),
  createToken: (input: CreateTokenInput) => request<CreatedToken>('POST', '/tokens', input),
  revokeToken: (id: string) => request<void>('DELETE', `/tokens/${enc(id)}`),

  incidentCounts: () => request<OpenIncidentCounts>('GET', '/incidents/counts'),
  incidents: (p: IncidentListParams) => request<{ data: IncidentView[]; next_cursor: string | null }>('GET', `/incidents${qs({ ...p })}`),
  incident: (ref: string) => request<IncidentDetail>('GET', `/incidents/${enc(ref)}`),
  declare: (input: CreateIncidentInput) => request<IncidentView>('POST', '/incidents', input),
  transition: (ref: string, verb: LifecycleVerb, note?: string) => request<IncidentView>('POST', `/incidents/${enc(ref)}/${verb}`, note ? { note } : {}),
  addNote: (ref: string, input: NoteInput) => request<TimelineEntryView>('POST', `/incidents/${enc(ref)}/notes`, input),
  recordMitigation: (ref: string, input: MitigationInput) => request<TimelineEntryView>('POST', `/incidents/${enc(ref)}/mitigations`, input),
  changeSeverity: (ref: string, input: SeverityInput) => request<IncidentView>('POST', `/incidents/${enc(ref)}/severity`, input),
  assignRole: (ref: string, input: RoleInput) => request<IncidentView>('POST', `/incidents/${enc(ref)}/roles`, input),
  postUpdate: (ref: string, input: StakeholderUpdateInput) => request<TimelineEntryView>('POST', `/incidents/${enc(ref)}/updates`, input),
  resolve: (ref: string, input: ResolveInput) => request<IncidentView>('POST', `/incidents/${enc(ref)}/resolve`, input),
  publication: (ref: string) => request<PublicationView>('GET', `/incidents/${enc(ref)}/status-page`),

  severities: () => request<{ data: SeverityDefinition[] }>('GET', '/severities'),
  services: () => request<{ data: ServiceView[] }>('GET', '/services'),
  schedules: () => request<{ data: ScheduleView[] }>('GET', '/schedules'),
  onCall: () => request<EveryoneOnCall>('GET', '/on-call'),
  shifts: (id: string, from: string, to: string) => request<ShiftsView>('GET', `/schedules/${enc(id)}/shifts${qs({ from, to })}`),
  overrides: (id: string) => request<{ data: OverrideView[] }>('GET', `/schedules/${enc(id)}/overrides`),
  createOverride: (id: string, input: CreateOverrideInput) => request<OverrideView>('POST', `/schedules/${enc(id)}/overrides`, input),
  cancelOverride: (id: string, overrideId: string) => request<void>('DELETE', `/schedules/${enc(id)}/overrides/${enc(overrideId)}`),
  monitors: () => request<{ data: MonitorView[] }>('GET', '/monitors'),
  monitor: (id: string) => request<MonitorDetail>('GET', `/monitors/${enc(id)}`),
  postmortems: (p: PostmortemListParams) => request<{ data: PostmortemSummaryView[]; next_offset: number | null }>('GET', `/postmortems${qs({ ...p })}`),
  postmortem: (id: string) => request<PostmortemView>('GET', `/postmortems/${enc(id)}`),
  incidentPostmortem: (ref: string) => request<PostmortemView>('GET', `/incidents/${enc(ref)}/postmortem`),
  createPostmortem: (ref: string) => request<PostmortemView>('POST', `/incidents/${enc(ref)}/postmortem`, {}),
  updatePostmortem: (id: string, input: UpdatePostmortemInput) => request<PostmortemView>('PATCH', `/postmortems/${enc(id)}`, input),
  postmortemRevisions: (id: string) => request<{ data: RevisionView[] }>('GET', `/postmortems/${enc(id)}/revisions`),
  publishPostmortem: (id: string, input: PublishPostmortemInput) => request<PublishPostmortemResult>('POST', `/postmortems/${enc(id)}/publish`, input),
  actionItems: (p: ActionItemListParams) => request<{ data: ActionItemView[]; next_offset: number | null }>('GET', `/action-items${qs({ ...p })}`),
  createActionItem: (input: CreateActionItemInput) => request<ActionItemView>('POST', '/action-items', input),
  updateActionItem: (id: string, input: UpdateActionItemInput) => request<ActionItemView>('PATCH', `/action-items/${enc(id)}`, input),
  analyticsResponse: (p: AnalyticsParams) => request<ResponseReport>('GET', `/analytics/response${qs({ ...p })}`),
  analyticsQuality: (p: AnalyticsParams) => request<QualityReport>('GET', `/analytics/quality${qs({ ...p })}`),
  analyticsAvailability: (p: AnalyticsParams) => request<AvailabilityReport>('GET', `/analytics/availability${qs({ ...p })}`),
  analyticsPostmortems: (p: AnalyticsParams) => request<PostmortemsReport>('GET', `/analytics/postmortems${qs({ ...p })}`),
  analyticsPatterns: (p: AnalyticsParams) => request<PatternsReport>('GET', `/analytics/patterns${qs({ ...p })}`),
  monitorRollups: (id: string, size: 'minute' | 'hour' | 'day') => request<MonitorRollups>('GET', `/monitors/${enc(id)}/rollups${qs({ size })}`),

  runbooks: () => request<{ data: RunbookView[] }>('GET', '/runbooks'),
  runbook: (id: string) => request<RunbookDetail>('GET', `/runbooks/${enc(id)}`),
  startRun: (id: string, input: StartRunInput) => request<StartRunResult>('POST', `/runbooks/${enc(id)}/runs`, input),
  runs: (p: RunListParams) => request<{ data: RunView[] }>('GET', `/runbook-runs${qs({ ...p })}`),
  run: (id: string) => request<RunDetailView>('GET', `/runbook-runs/${enc(id)}`),
  decideRun: (id: string, decision: 'approve' | 'reject', input: DecisionInput) => request<RunDetailView>('POST', `/runbook-runs/${enc(id)}/${decision}`, input),
  controlRun: (id: string, verb: 'resume' | 'cancel') => request<RunDetailView>('POST', `/runbook-runs/${enc(id)}/${verb}`),
  drills: () => request<{ data: DrillView[] }>('GET', '/drills'),
  drillKpis: () => request<DrillKpis>('GET', '/drills/kpis'),
  startDrill: (id: string) => request<DrillRunView>('POST', `/drills/${enc(id)}/runs`),
  drillRuns: (p: { drill?: string; service?: string; limit?: number }) => request<{ data: DrillRunView[] }>('GET', `/drill-runs${qs({ ...p })}`),
  drillRun: (id: string) => request<DrillRunDetail>('GET', `/drill-runs/${enc(id)}`),
  objectives: () => request<{ data: ObjectivesView[] }>('GET', '/recovery/objectives'),
  rpo: () => request<{ data: RpoView[] }>('GET', '/recovery/rpo'),
  backups: () => request<BackupListing>('GET', '/backups'),
  startBackup: () => request<{ queued: true; due_at: string; status_url: string }>('POST', '/backups'),
  startRestoreTest: () => request<{ queued: true; due_at: string; status_url: string }>('POST', '/backups/verify'),
};

/** The message to show for any error a call threw. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'FORBIDDEN') return `Not allowed: ${err.message}`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
