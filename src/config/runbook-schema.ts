import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseJsonAssertion } from '../lib/json-assertion.ts';
import { SEVERITIES } from './defaults.ts';
import { duration, slug } from './primitives.ts';

/** What a step does when it has failed after its retries. */
export const ON_FAILURE = ['stop', 'continue', 'rollback'] as const;
export type OnFailure = (typeof ON_FAILURE)[number];

/** Steps default to five minutes each; an approval to an hour (people take longer than machines). */
export const DEFAULT_STEP_TIMEOUT = 5 * 60_000;
export const DEFAULT_APPROVAL_TIMEOUT = 60 * 60_000;

const assertion = z.string().superRefine((text, ctx) => {
  try {
    parseJsonAssertion(text);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `bad assertion: ${(e as Error).message}` });
  }
});
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be an HTTP header name');
const stringMap = z.record(z.string().min(1).max(200), z.string().max(10_000));

/** What an HTTP answer must look like; absent: any 2xx. */
const httpExpect = z.strictObject({
  status: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1).max(20)]).optional(),
  /** Assertions on the JSON body: `$.state == "primary"`, `len($.replicas) > 0`. */
  body: z.array(assertion).max(50).optional(),
  /** Header name → text the header's value must contain. */
  headers: z.record(headerName, z.string().max(1000)).optional(),
});

const httpRequest = {
  url: z.string().min(1).max(4000),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
  headers: z.record(headerName, z.string().max(10_000)).optional(),
  /** A string is sent as is; anything else as JSON. */
  body: z.unknown().optional(),
  expect: httpExpect.optional(),
};

/** Fields every step has. */
const stepBase = {
  id: slug,
  name: z.string().min(1).max(200).optional(),
  timeout: duration.optional(),
  /** Attempts after the first, with exponential backoff from `backoff` (doubling each time). */
  retries: z.number().int().min(0).max(20).default(0),
  backoff: duration.default(1000),
  on_failure: z.enum(ON_FAILURE).default('stop'),
  /**
   * Runs the step only when this holds, an assertion (as `expect.body` writes them) on
   * `{ vars, steps, incident }`: `$.vars.region == "eu"`, `$.steps.check-lag.output.json.lag < 30`.
   * Otherwise the step is recorded as skipped and the run goes on.
   */
  when: assertion.optional(),
};

const httpStep = z.strictObject({ ...stepBase, type: z.literal('http'), ...httpRequest });

const commandStep = z
  .strictObject({
    ...stepBase,
    type: z.literal('command'),
    /** An argument list, run without a shell; a single string needs `shell: true`. */
    command: z.union([z.array(z.string().max(10_000)).min(1).max(200), z.string().min(1).max(10_000)]),
    shell: z.boolean().default(false),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), z.string().max(10_000)).optional(),
    cwd: z.string().min(1).max(1000).optional(),
    /** Exit codes that count as success. */
    success_codes: z.array(z.number().int().min(0).max(255)).min(1).max(50).default([0]),
  })
  .superRefine((s, ctx) => {
    if (typeof s.command === 'string' && !s.shell) ctx.addIssue({ code: 'custom', path: ['command'], message: 'a command string runs through a shell: write an argument list, or set shell: true' });
  });

const sqlStep = z.strictObject({
  ...stepBase,
  type: z.literal('sql'),
  /** A connection id from runbooks.connections. */
  connection: slug,
  /** One statement; `params` fill its placeholders ($1… on PostgreSQL, ? on SQLite). */
  query: z.string().min(1).max(100_000),
  params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).max(100).optional(),
});

const waitForStep = z
  .strictObject({
    ...stepBase,
    type: z.literal('wait_for'),
    /** A monitor id: wait until its confirmed state is `state`. */
    monitor: slug.optional(),
    state: z.enum(['up', 'down', 'degraded']).default('up'),
    /** Or an HTTP condition: wait until a request meets `expect`. */
    http: z.strictObject(httpRequest).optional(),
    /**
     * Or an incident: wait until Firebreak opens one on the service (at least `min_severity`) after
     * the run started, and link the run to it: a drill waits here for detection to do its work.
     */
    incident: z.strictObject({ service: slug, min_severity: z.enum(SEVERITIES).default('P3') }).optional(),
    /** How often to look; the step's timeout is the deadline. */
    interval: duration.default(5000),
  })
  .superRefine((s, ctx) => {
    const given = [s.monitor, s.http, s.incident].filter((c) => c !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: 'custom', path: ['monitor'], message: 'give exactly one of monitor, http or incident' });
  });

const approvalStep = z
  .strictObject({
    ...stepBase,
    type: z.literal('approval'),
    /** The question put to the approvers. */
    message: z.string().min(1).max(2000),
    /** Who may approve: user handles and/or a least role. Absent: any responder. */
    approvers: z
      .strictObject({ users: z.array(z.string().min(1).max(100)).max(100).optional(), role: z.enum(['responder', 'admin']).optional() })
      .optional(),
  })
  .superRefine((s, ctx) => {
    if (s.retries > 0) ctx.addIssue({ code: 'custom', path: ['retries'], message: 'an approval is asked once: retries do not apply' });
  });

const notifyStep = z
  .strictObject({
    ...stepBase,
    type: z.literal('notify'),
    message: z.string().min(1).max(5000),
    channels: z.array(slug).max(50).optional(),
    users: z.array(z.string().min(1).max(100)).max(100).optional(),
  })
  .superRefine((s, ctx) => {
    if (!s.channels?.length && !s.users?.length) ctx.addIssue({ code: 'custom', path: ['channels'], message: 'name at least one channel or user' });
  });

const statuspageStep = z.strictObject({
  ...stepBase,
  type: z.literal('statuspage'),
  status: z.enum(['investigating', 'identified', 'monitoring', 'resolved']),
  body: z.string().min(1).max(10_000),
  name: z.string().min(1).max(200).optional(),
});

const incidentStep = z
  .strictObject({
    ...stepBase,
    type: z.literal('incident'),
    /** note / severity / a lifecycle verb on the run's incident, or create one (the run is then linked to it). */
    action: z.enum(['create', 'note', 'severity', 'acknowledge', 'investigate', 'identify', 'monitor', 'resolve']),
    title: z.string().min(1).max(500).optional(),
    body: z.string().min(1).max(10_000).optional(),
    severity: z.enum(SEVERITIES).optional(),
    services: z.array(slug).max(50).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.action === 'create' && (!s.title || !s.severity)) ctx.addIssue({ code: 'custom', path: [s.title ? 'severity' : 'title'], message: 'creating an incident needs a title and a severity' });
    if (s.action === 'note' && !s.body) ctx.addIssue({ code: 'custom', path: ['body'], message: 'a note needs a body' });
    if (s.action === 'severity' && (!s.severity || !s.body)) ctx.addIssue({ code: 'custom', path: [s.severity ? 'body' : 'severity'], message: 'a severity change needs severity and body (the reason)' });
  });

/** A step that is not a group. */
const leafStep = z.discriminatedUnion('type', [httpStep, commandStep, sqlStep, waitForStep, approvalStep, notifyStep, statuspageStep, incidentStep]);

const parallelStep = z.strictObject({
  ...stepBase,
  type: z.literal('parallel'),
  steps: z.array(leafStep).min(1).max(50),
});

const topStep = z.discriminatedUnion('type', [httpStep, commandStep, sqlStep, waitForStep, approvalStep, notifyStep, statuspageStep, incidentStep, parallelStep]);

const variableSchema = z.strictObject({
  description: z.string().max(1000).optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  required: z.boolean().default(false),
});

/** One runbook, as written in the config or in its own file. */
export const runbookSchema = z
  .strictObject({
    id: slug,
    name: z.string().min(1).max(200),
    description: z.string().max(5000).optional(),
    variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a variable name'), variableSchema).default({}),
    steps: z.array(topStep).min(1).max(200),
    /** Run, in order, when a step whose on_failure is `rollback` fails (after its retries). */
    rollback: z.array(leafStep).max(100).default([]),
  })
  .superRefine((rb, ctx) => {
    const seen = new Map<string, string>();
    const claim = (id: string, path: PropertyKey[]) => {
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [...path, 'id'], message: `duplicate step id "${id}" (first at ${seen.get(id)})` });
      else seen.set(id, path.map(String).join('.'));
    };
    rb.steps.forEach((s, i) => {
      claim(s.id, ['steps', i]);
      if (s.type === 'parallel') {
        s.steps.forEach((c, j) => {
          claim(c.id, ['steps', i, 'steps', j]);
          if (c.type === 'approval') ctx.addIssue({ code: 'custom', path: ['steps', i, 'steps', j, 'type'], message: 'an approval cannot be inside a parallel group' });
          if (c.on_failure === 'rollback') ctx.addIssue({ code: 'custom', path: ['steps', i, 'steps', j, 'on_failure'], message: 'inside a parallel group on_failure is stop or continue (the group decides on rollback)' });
        });
      }
    });
    rb.rollback.forEach((s, i) => {
      claim(s.id, ['rollback', i]);
      if (s.type === 'approval') ctx.addIssue({ code: 'custom', path: ['rollback', i, 'type'], message: 'rollback steps run unattended: no approval' });
      if (s.on_failure === 'rollback') ctx.addIssue({ code: 'custom', path: ['rollback', i, 'on_failure'], message: 'a rollback step cannot roll back' });
    });
    if (rb.steps.some((s) => s.on_failure === 'rollback') && rb.rollback.length === 0) {
      const i = rb.steps.findIndex((s) => s.on_failure === 'rollback');
      ctx.addIssue({ code: 'custom', path: ['steps', i, 'on_failure'], message: 'on_failure: rollback needs a rollback: list on the runbook' });
    }
  });

export type RunbookInput = z.input<typeof runbookSchema>;
export type RunbookDefinition = z.output<typeof runbookSchema>;
export type RunbookStep = RunbookDefinition['steps'][number];
export type LeafStep = z.output<typeof leafStep>;

/** A database a sql step may query: postgres://… or sqlite:<path> (a `${ENV}` keeps credentials out of the file). */
const connectionSchema = z.strictObject({
  id: slug,
  url: z.string().regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'must be postgres://… or sqlite:<path>'),
});

/**
 * A runbook proposed for an incident: when a monitor has been down for a while, or an incident of
 * at least a severity is open on a service. Proposing is a timeline entry with a link; the rule
 * starts the run only when it says `run: true` (and the run still stops at its approvals).
 */
const incidentRuleSchema = z
  .strictObject({
    id: slug,
    runbook: slug,
    when: z
      .strictObject({
        monitor_down: z.strictObject({ monitor: slug, for: duration }).optional(),
        incident: z.strictObject({ service: slug, min_severity: z.enum(SEVERITIES) }).optional(),
      })
      .refine((w) => (w.monitor_down === undefined) !== (w.incident === undefined), { message: 'give exactly one of monitor_down or incident' }),
    variables: z.record(z.string(), z.union([z.string().max(10_000), z.number(), z.boolean()])).default({}),
    run: z.boolean().default(false),
  });
export type IncidentRuleConfig = z.output<typeof incidentRuleSchema>;
export const incidentRulesSchema = z.array(incidentRuleSchema).max(500).default([]);

/** The `runbooks:` section: runbooks written inline, files (paths or globs relative to the config file) and sql connections. */
export const runbooksSectionSchema = z
  .strictObject({
    files: z.array(z.string().min(1).max(1000)).max(200).default([]),
    definitions: z.array(runbookSchema).max(500).default([]),
    connections: z.array(connectionSchema).max(50).default([]),
    /**
     * A node executing a run renews its lease on it a third of this often; a run whose lease has
     * run out this long is presumed orphaned (its node died) and marked interrupted.
     */
    lease: duration.refine((ms) => ms >= 1000, { error: 'must be at least 1s' }).default(30_000),
  })
  .prefault({});

/** A runbook with where it was written and its version: a hash of its normalized definition. */
export interface RunbookConfig {
  definition: RunbookDefinition;
  version: string;
  /** The file it came from, or null when written inline in the config. */
  source: string | null;
}

export interface RunbooksConfig {
  runbooks: RunbookConfig[];
  connections: z.output<typeof connectionSchema>[];
  /** Milliseconds. */
  lease: number;
}

/** JSON with object keys sorted, so the same definition always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The version of a parsed definition: defaults filled in, so whitespace, key order and spelled-out defaults do not change it. */
export const runbookVersion = (def: RunbookDefinition): string => createHash('sha256').update(canonical(def)).digest('hex').slice(0, 12);

/** The inline runbooks as the rest of Firebreak reads them (the loader adds those from files). */
export function finishRunbooks(raw: z.output<typeof runbooksSectionSchema>): RunbooksConfig {
  return {
    runbooks: raw.definitions.map((definition) => ({ definition, version: runbookVersion(definition), source: null })),
    connections: raw.connections,
    lease: raw.lease,
  };
}

/**
 * Names the step a problem is in: "step \"promote\" (steps[3]), field timeout: …", so an error in a
 * long runbook is found without counting list items. `path` is relative to the runbook.
 */
export function describeRunbookIssue(runbook: unknown, path: readonly PropertyKey[], message: string): string {
  const parts: string[] = [];
  let node: unknown = runbook;
  let i = 0;
  for (; i < path.length; i++) {
    const key = path[i];
    node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key as string] : undefined;
    const isStepList = (key === 'steps' || key === 'rollback') && typeof path[i + 1] === 'number';
    if (isStepList) {
      const step = Array.isArray(node) ? node[path[i + 1] as number] : undefined;
      const id = step && typeof step === 'object' && typeof (step as { id?: unknown }).id === 'string' ? (step as { id: string }).id : null;
      parts.push(id ? `step "${id}"` : `${String(key)}[${String(path[i + 1])}]`);
      node = step;
      i++;
    }
  }
  const tail = fieldAfterLastStep(path);
  const rb = runbook && typeof runbook === 'object' && typeof (runbook as { id?: unknown }).id === 'string' ? `runbook "${(runbook as { id: string }).id}"` : 'runbook';
  return `${[rb, ...parts].join(', ')}${tail ? `, field ${tail}` : ''}: ${message}`;
}

function fieldAfterLastStep(path: readonly PropertyKey[]): string {
  let last = -1;
  for (let i = 0; i < path.length - 1; i++) if ((path[i] === 'steps' || path[i] === 'rollback') && typeof path[i + 1] === 'number') last = i + 1;
  const rest = path.slice(last + 1);
  let out = '';
  for (const p of rest) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/**
 * What a runbook refers to must exist: connections, monitors, channels, and steps named in
 * `${{ steps.<id>… }}` (declared earlier in the runbook, so their output exists when read).
 */
export function crossCheckRunbook(
  def: RunbookDefinition,
  known: { connections: Set<string>; monitors: Set<string>; channels: Set<string>; users: Set<string>; services: Set<string> },
): { path: PropertyKey[]; message: string }[] {
  const issues: { path: PropertyKey[]; message: string }[] = [];
  const check = (step: RunbookStep | LeafStep, path: PropertyKey[], before: Set<string>) => {
    if (step.type === 'sql' && !known.connections.has(step.connection)) issues.push({ path: [...path, 'connection'], message: `unknown connection "${step.connection}" (declare it under runbooks.connections)` });
    if (step.type === 'wait_for' && step.monitor !== undefined && !known.monitors.has(step.monitor)) issues.push({ path: [...path, 'monitor'], message: `unknown monitor "${step.monitor}"` });
    if (step.type === 'wait_for' && step.incident !== undefined && !known.services.has(step.incident.service)) issues.push({ path: [...path, 'incident', 'service'], message: `unknown service "${step.incident.service}"` });
    if (step.type === 'notify') {
      step.channels?.forEach((c, k) => {
        if (!known.channels.has(c)) issues.push({ path: [...path, 'channels', k], message: `unknown channel "${c}"` });
      });
    }
    if (step.type === 'approval') {
      step.approvers?.users?.forEach((u, k) => {
        if (!known.users.has(u)) issues.push({ path: [...path, 'approvers', 'users', k], message: `unknown user "${u}"` });
      });
    }
    if (step.when !== undefined) {
      for (const m of step.when.matchAll(/\$\.steps\.([a-z0-9][a-z0-9_-]*)/g)) if (!before.has(m[1])) issues.push({ path: [...path, 'when'], message: `the condition reads step "${m[1]}", which is not an earlier step` });
      for (const m of step.when.matchAll(/\$\.vars\.([A-Za-z_][A-Za-z0-9_]*)/g)) if (!Object.hasOwn(def.variables, m[1])) issues.push({ path: [...path, 'when'], message: `the condition reads variable "${m[1]}", which the runbook does not declare` });
    }
    const text = JSON.stringify(step.type === 'parallel' ? { ...step, steps: [] } : step);
    for (const m of text.matchAll(/\$\{\{\s*steps\.([a-z0-9][a-z0-9_-]*)/g)) {
      if (!before.has(m[1])) issues.push({ path, message: `refers to step "${m[1]}", which is not an earlier step` });
    }
    for (const m of text.matchAll(/\$\{\{\s*vars\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
      if (!Object.hasOwn(def.variables, m[1])) issues.push({ path, message: `refers to variable "${m[1]}", which the runbook does not declare` });
    }
  };
  const before = new Set<string>();
  def.steps.forEach((step, i) => {
    check(step, ['steps', i], before);
    // A parallel group's steps see the steps before the group, not each other.
    if (step.type === 'parallel') step.steps.forEach((c, j) => check(c, ['steps', i, 'steps', j], before));
    before.add(step.id);
    if (step.type === 'parallel') for (const c of step.steps) before.add(c.id);
  });
  // Rollback may read any step's output (absent when that step never ran).
  def.rollback.forEach((step, i) => check(step, ['rollback', i], before));
  return issues;
}

/** Rules refer to things that exist: the runbook (and its variables), the monitor, the service. */
export function crossCheckIncidentRules(
  rules: IncidentRuleConfig[],
  known: { runbooks: Map<string, RunbookDefinition>; monitors: Set<string>; services: Set<string> },
): { path: PropertyKey[]; message: string }[] {
  const issues: { path: PropertyKey[]; message: string }[] = [];
  const ids = new Set<string>();
  rules.forEach((r, i) => {
    if (ids.has(r.id)) issues.push({ path: ['incident_rules', i, 'id'], message: `duplicate rule id "${r.id}"` });
    ids.add(r.id);
    const rb = known.runbooks.get(r.runbook);
    if (!rb) issues.push({ path: ['incident_rules', i, 'runbook'], message: `unknown runbook "${r.runbook}"` });
    if (r.when.monitor_down && !known.monitors.has(r.when.monitor_down.monitor)) issues.push({ path: ['incident_rules', i, 'when', 'monitor_down', 'monitor'], message: `unknown monitor "${r.when.monitor_down.monitor}"` });
    if (r.when.incident && !known.services.has(r.when.incident.service)) issues.push({ path: ['incident_rules', i, 'when', 'incident', 'service'], message: `unknown service "${r.when.incident.service}"` });
    if (!rb) return;
    for (const name of Object.keys(r.variables)) if (!Object.hasOwn(rb.variables, name)) issues.push({ path: ['incident_rules', i, 'variables', name], message: `runbook "${rb.id}" has no variable "${name}"` });
    for (const [name, v] of Object.entries(rb.variables)) if (v.required && v.default === undefined && !Object.hasOwn(r.variables, name)) issues.push({ path: ['incident_rules', i, 'variables'], message: `runbook "${rb.id}" needs variable "${name}"` });
  });
  return issues;
}
