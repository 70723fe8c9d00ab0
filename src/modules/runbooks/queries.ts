import type { z } from 'zod';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow } from '../incidents/index.ts';
import { notFound } from '../../lib/errors.ts';
import type { RunbookConfig } from '../../config/runbook-schema.ts';
import { findRun, incidentRefOf, listRunRows, stepRunsOf } from './repository.ts';
import { listRunsQuery, type RunbookView, type RunDetailView, type RunView } from './schemas.ts';
import { toRunbookView, toRunDetail, toRunView } from './views.ts';

/** A configured runbook by id, or NOT_FOUND. */
export function findRunbook(ctx: Pick<Ctx, 'config'>, id: string): RunbookConfig {
  const rb = ctx.config.current.runbooks.runbooks.find((r) => r.definition.id === id);
  if (!rb) throw notFound('runbook', id);
  return rb;
}

/** Every runbook in the config, with its version. */
export function listRunbooks(ctx: Ctx): { data: RunbookView[] } {
  requireRole(ctx, 'viewer');
  return { data: ctx.config.current.runbooks.runbooks.map(toRunbookView) };
}

/** One runbook with its full definition. */
export function getRunbook(ctx: Ctx, id: string): RunbookView & { definition: Record<string, unknown> } {
  requireRole(ctx, 'viewer');
  const rb = findRunbook(ctx, id);
  return { ...toRunbookView(rb), definition: rb.definition as unknown as Record<string, unknown> };
}

const refOf = async (ctx: Ctx, id: string | null) => {
  const inc = await incidentRefOf(ctx, id);
  return inc ? `INC-${inc.number}` : null;
};

/** Runs, newest first, by status, incident or runbook. */
export async function listRuns(ctx: Ctx, input: z.input<typeof listRunsQuery>): Promise<{ data: RunView[] }> {
  requireRole(ctx, 'viewer');
  const query = listRunsQuery.parse(input);
  const incidentId = query.incident ? (await findIncidentRow(ctx, query.incident)).id : undefined;
  const rows = await listRunRows(ctx, { status: query.status, incidentId, runbookId: query.runbook, limit: query.limit });
  const data: RunView[] = [];
  for (const row of rows) {
    const waiting = row.status === 'waiting_approval' ? (await stepRunsOf(ctx, row.id)).find((s) => s.status === 'waiting') : undefined;
    data.push(toRunView(row, await refOf(ctx, row.incident_id), waiting));
  }
  return { data };
}

/** A run with every attempt of every step. */
export async function getRun(ctx: Ctx, id: string): Promise<RunDetailView> {
  requireRole(ctx, 'viewer');
  const row = await findRun(ctx, id);
  return toRunDetail(row, await refOf(ctx, row.incident_id), await stepRunsOf(ctx, id));
}
