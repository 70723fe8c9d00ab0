import { z } from 'zod';
import type { RunbookDefinition } from '../../config/runbook-schema.ts';
import { DomainError } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findDrillRun, lastDrillRuns, listDrillRunRows, verificationsSince } from './repository.ts';
import { toDrillRunView, toDrillView, type DrillReport, type DrillRunView, type DrillView } from './views.ts';

/** Every configured drill with its newest run (viewer and up). */
export async function listDrills(ctx: Ctx): Promise<{ data: DrillView[] }> {
  requireRole(ctx, 'viewer');
  const drills = ctx.config.current.drills.definitions;
  const last = await lastDrillRuns(ctx, drills.map((d) => d.id));
  return { data: drills.map((d) => toDrillView(d, last.get(d.id))) };
}

export const drillRunsQuery = z.strictObject({
  service: z.string().min(1).max(100).optional(),
  drill: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Drill runs, newest first, by service and/or drill (viewer and up). */
export async function listDrillRuns(ctx: Ctx, input: unknown): Promise<{ data: DrillRunView[] }> {
  requireRole(ctx, 'viewer');
  const parsed = drillRunsQuery.safeParse(input ?? {});
  if (!parsed.success) throw new DomainError('VALIDATION_FAILED', parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '), { issues: parsed.error.issues });
  const rows = await listDrillRunRows(ctx, parsed.data);
  return { data: rows.map(toDrillRunView) };
}

/** One drill run with its report (null while its run has not ended) (viewer and up). */
export async function getDrillRun(ctx: Ctx, id: string): Promise<DrillRunView & { report: DrillReport | null }> {
  requireRole(ctx, 'viewer');
  const row = await findDrillRun(ctx, id);
  return { ...toDrillRunView(row), report: row.report ? (JSON.parse(row.report) as DrillReport) : null };
}

const DAY = 86_400_000;
const monthKey = (ms: number) => new Date(ms).toISOString().slice(0, 7);

/** Leaf steps a person must act on (approvals) versus steps Firebreak performs. */
function automation(def: RunbookDefinition): { steps: number; automated: number } {
  const leaves = def.steps.flatMap((s) => (s.type === 'parallel' ? s.steps : [s]));
  return { steps: leaves.length, automated: leaves.filter((s) => s.type !== 'approval').length };
}

export interface DrillKpis {
  at: string;
  /** Drills per service per calendar month (UTC), for the last `months` months including this one; the plan asks for one a month. */
  monthly_drills: { target_per_month: number; months: string[]; services: { service: string; drills: number[]; passed: number[]; months_met: number }[] };
  /** Restore verifications of Firebreak's backups over the last four weeks, per week (oldest first); the plan asks for all of them to pass. */
  restore_tests: { weeks: { week_start: string; verified: number; passed: number }[]; verified: number; passed: number; share_passing: number | null; target: number; met: boolean | null };
  /** Share of runbook steps Firebreak performs itself (every leaf step but approvals), per runbook and overall. */
  automation_coverage: { steps: number; automated: number; share: number | null; runbooks: { runbook: string; steps: number; automated: number; share: number }[] };
}

/** The plan's DR KPIs, computed from drill history, backup verifications and the runbooks (viewer and up). */
export async function drillKpis(ctx: Ctx, input: unknown = {}): Promise<DrillKpis> {
  requireRole(ctx, 'viewer');
  const { months: count } = z.strictObject({ months: z.coerce.number().int().min(1).max(24).default(6) }).parse(input ?? {});
  const now = ctx.clock.now();
  const d = new Date(now);
  const months: string[] = [];
  for (let i = count - 1; i >= 0; i--) months.push(monthKey(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - i, 1)));
  const since = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - (count - 1), 1);
  const rows = await listDrillRunRows(ctx, { since, limit: 100_000 });
  const services = [...new Set([...ctx.config.current.drills.definitions.map((x) => x.service), ...rows.map((r) => r.service_id)])];
  const perService = services.map((service) => {
    const mine = rows.filter((r) => r.service_id === service);
    const drills = months.map((m) => mine.filter((r) => monthKey(Number(r.started_at)) === m).length);
    const passed = months.map((m) => mine.filter((r) => monthKey(Number(r.started_at)) === m && Number(r.passed) === 1).length);
    return { service, drills, passed, months_met: drills.filter((n) => n >= 1).length };
  });
  const weekStart = now - 28 * DAY;
  const checks = await verificationsSince(ctx, weekStart);
  const weeks = [0, 1, 2, 3].map((w) => {
    const from = weekStart + w * 7 * DAY;
    const inWeek = checks.filter((c) => c.verified_at >= from && c.verified_at < from + 7 * DAY);
    return { week_start: new Date(from).toISOString(), verified: inWeek.length, passed: inWeek.filter((c) => c.ok).length };
  });
  const passedChecks = checks.filter((c) => c.ok).length;
  const share = checks.length ? passedChecks / checks.length : null;
  const runbooks = ctx.config.current.runbooks.runbooks.map((r) => {
    const a = automation(r.definition);
    return { runbook: r.definition.id, ...a, share: a.steps ? a.automated / a.steps : 1 };
  });
  const steps = runbooks.reduce((n, r) => n + r.steps, 0);
  const automated = runbooks.reduce((n, r) => n + r.automated, 0);
  return {
    at: new Date(now).toISOString(),
    monthly_drills: { target_per_month: 1, months, services: perService },
    restore_tests: { weeks, verified: checks.length, passed: passedChecks, share_passing: share, target: 1, met: share === null ? null : share === 1 },
    automation_coverage: { steps, automated, share: steps ? automated / steps : null, runbooks },
  };
}
