import { z } from 'zod';
import { FIREBREAK_INTEGRATION_ID } from './monitors-schema.ts';
import { duration, slug } from './primitives.ts';
import { runbookSchema, type LeafStep, type RunbookDefinition } from './runbook-schema.ts';

/** Step ids the drill adds around its runbook's steps; a drilled runbook may not use them. */
export const MARKER_WRITE_STEP = 'drill-marker-write';
export const MARKER_READ_STEP = 'drill-marker-read';
/** The dedup key prefix of Firebreak's own alert that a drill failed (one per drill id). */
export const DRILL_FAILED_ALERT_PREFIX = 'recovery/drill/';
/** The fingerprint prefix of the incident that alert opens (`<integration>/<dedup key>`). */
export const DRILL_FAILED_FINGERPRINT = `${FIREBREAK_INTEGRATION_ID}/${DRILL_FAILED_ALERT_PREFIX}`;

/** Leaf steps, as a runbook's rollback list takes them (no groups). */
const cleanupSteps = runbookSchema.shape.rollback.unwrap();

/**
 * Where a drill may act. A target marked `production` can only be drilled by a drill that says
 * `production: true`; `addresses` are the host names, ports or URLs by which a runbook variable
 * is recognised as pointing at this target.
 */
const targetSchema = z.strictObject({
  id: slug,
  description: z.string().max(1000).optional(),
  production: z.boolean().default(false),
  addresses: z.array(z.string().min(3).max(1000)).max(50).default([]),
});

/**
 * How RPO is measured: before the failure the drill writes a marker row (the statement gets the
 * marker's time in milliseconds as its one parameter), after recovery it reads the newest marker
 * that survived (the query returns one row whose first column is that time in milliseconds).
 */
const markerSchema = z.strictObject({
  /** A connection id from runbooks.connections, where the marker is written. */
  connection: slug,
  /** Where the surviving marker is read (the promoted replica, say); default: `connection`. */
  read_connection: slug.optional(),
  write: z.string().min(1).max(10_000),
  read: z.string().min(1).max(10_000),
});

const drillSchema = z.strictObject({
  id: slug,
  name: z.string().min(1).max(200).optional(),
  runbook: slug,
  /** The service whose recovery objectives the measurements are compared with. */
  service: slug,
  target: slug,
  /** Allows a production target (or variables pointing at one). */
  production: z.boolean().default(false),
  variables: z.record(z.string(), z.union([z.string().max(10_000), z.number(), z.boolean()])).default({}),
  /** Run on a schedule this often (a durable timer); absent: on demand only. */
  every: duration.refine((ms) => ms >= 60_000, { error: 'must be at least 1m' }).optional(),
  marker: markerSchema.optional(),
  /** The runbook step that injects the failure: RTO and RPO are measured from its start. Default: the first step. */
  failure_step: slug.optional(),
  /** The runbook step whose success means "service verified healthy": RTO ends when it finishes. */
  recovered_step: slug,
  /**
   * What the runbook's statuspage steps do in the drill: `hold` (default) records the update they
   * would have posted on the incident's timeline and posts nothing, so customers never read about
   * an exercise; `publish` posts it (a drill of the public communication itself, or a status page
   * that is the drill target's own).
   */
  status_page: z.enum(['hold', 'publish']).default('hold'),
  /** Steps that always run at the end of the drill, whether it passed or failed. Mandatory. */
  cleanup: cleanupSteps.default([]),
});

export type DrillConfig = z.output<typeof drillSchema>;
export type DrillTarget = z.output<typeof targetSchema>;

/** The `drills:` section. */
export const drillsSectionSchema = z
  .strictObject({
    targets: z.array(targetSchema).max(200).default([]),
    definitions: z.array(drillSchema).max(500).default([]),
  })
  .prefault({});

export interface DrillsConfig {
  targets: DrillTarget[];
  definitions: DrillConfig[];
}

export const finishDrills = (raw: z.output<typeof drillsSectionSchema>): DrillsConfig => ({ targets: raw.targets, definitions: raw.definitions });

/** The production addresses a drill's variables point at (empty when none, or when the drill allows production). */
export function productionProblems(drill: Pick<DrillConfig, 'target' | 'production' | 'variables'>, targets: DrillTarget[], variables: Record<string, unknown> = drill.variables): string[] {
  if (drill.production) return [];
  const problems: string[] = [];
  const target = targets.find((t) => t.id === drill.target);
  if (target?.production) problems.push(`target "${target.id}" is production; a drill against it needs production: true`);
  for (const t of targets.filter((x) => x.production)) {
    for (const [name, value] of Object.entries(variables)) {
      const hit = t.addresses.find((a) => String(value).includes(a));
      if (hit) problems.push(`variable "${name}" points at production target "${t.id}" (${hit}); a drill against it needs production: true`);
    }
  }
  return problems;
}

const leafIds = (def: RunbookDefinition): string[] => def.steps.flatMap((s) => [s.id, ...(s.type === 'parallel' ? s.steps.map((c) => c.id) : [])]);

/**
 * What a drill refers to must exist and be safe: its runbook (and variables), service, target,
 * marker connections and steps; cleanup steps are unattended and uniquely named.
 */
export function crossCheckDrills(
  drills: DrillsConfig,
  known: { runbooks: Map<string, RunbookDefinition>; services: Set<string>; connections: Set<string> },
): { path: PropertyKey[]; message: string }[] {
  const issues: { path: PropertyKey[]; message: string }[] = [];
  const targetIds = new Set<string>();
  drills.targets.forEach((t, i) => {
    if (targetIds.has(t.id)) issues.push({ path: ['drills', 'targets', i, 'id'], message: `duplicate target id "${t.id}"` });
    targetIds.add(t.id);
  });
  const ids = new Set<string>();
  drills.definitions.forEach((d, i) => {
    const at = (...p: PropertyKey[]) => ['drills', 'definitions', i, ...p];
    if (ids.has(d.id)) issues.push({ path: at('id'), message: `duplicate drill id "${d.id}"` });
    ids.add(d.id);
    if (!known.services.has(d.service)) issues.push({ path: at('service'), message: `unknown service "${d.service}"` });
    if (!targetIds.has(d.target)) issues.push({ path: at('target'), message: `unknown target "${d.target}" (declare it under drills.targets)` });
    if (d.cleanup.length === 0) issues.push({ path: at('cleanup'), message: 'a drill needs at least one cleanup step (run at the end, pass or fail)' });
    for (const p of productionProblems(d, drills.targets)) issues.push({ path: at('production'), message: p });
    if (d.marker) {
      if (!known.connections.has(d.marker.connection)) issues.push({ path: at('marker', 'connection'), message: `unknown connection "${d.marker.connection}" (declare it under runbooks.connections)` });
      if (d.marker.read_connection && !known.connections.has(d.marker.read_connection)) issues.push({ path: at('marker', 'read_connection'), message: `unknown connection "${d.marker.read_connection}" (declare it under runbooks.connections)` });
    }
    d.cleanup.forEach((s: LeafStep, j) => {
      if (s.type === 'approval') issues.push({ path: at('cleanup', j, 'type'), message: 'cleanup steps run unattended: no approval' });
      if (s.on_failure === 'rollback') issues.push({ path: at('cleanup', j, 'on_failure'), message: 'a cleanup step cannot roll back' });
      if (s.type === 'sql' && !known.connections.has(s.connection)) issues.push({ path: at('cleanup', j, 'connection'), message: `unknown connection "${s.connection}"` });
    });
    const rb = known.runbooks.get(d.runbook);
    if (!rb) {
      issues.push({ path: at('runbook'), message: `unknown runbook "${d.runbook}"` });
      return;
    }
    const top = new Set(rb.steps.map((s) => s.id));
    const all = new Set([...leafIds(rb), ...rb.rollback.map((s) => s.id)]);
    if (!top.has(d.recovered_step)) issues.push({ path: at('recovered_step'), message: `runbook "${rb.id}" has no step "${d.recovered_step}"` });
    if (d.failure_step && !top.has(d.failure_step)) issues.push({ path: at('failure_step'), message: `runbook "${rb.id}" has no step "${d.failure_step}"` });
    const failure = d.failure_step ?? rb.steps[0]?.id;
    if (top.has(d.recovered_step) && failure && rb.steps.findIndex((s) => s.id === failure) > rb.steps.findIndex((s) => s.id === d.recovered_step)) issues.push({ path: at('recovered_step'), message: `"${d.recovered_step}" comes before the failure step "${failure}"` });
    for (const reserved of [MARKER_WRITE_STEP, MARKER_READ_STEP]) if (all.has(reserved)) issues.push({ path: at('runbook'), message: `runbook "${rb.id}" uses the step id "${reserved}", which drills reserve` });
    d.cleanup.forEach((s, j) => {
      if (all.has(s.id)) issues.push({ path: at('cleanup', j, 'id'), message: `cleanup step "${s.id}" has the id of a step of runbook "${rb.id}"` });
    });
    for (const name of Object.keys(d.variables)) if (!Object.hasOwn(rb.variables, name)) issues.push({ path: at('variables', name), message: `runbook "${rb.id}" has no variable "${name}"` });
    for (const [name, v] of Object.entries(rb.variables)) if (v.required && v.default === undefined && !Object.hasOwn(d.variables, name)) issues.push({ path: at('variables'), message: `runbook "${rb.id}" needs variable "${name}"` });
  });
  return issues;
}
