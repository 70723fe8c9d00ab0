import { SEVERITIES } from '../../config/defaults.ts';
import { requireRole, type Ctx } from '../context.ts';
import { OPEN_STATES } from './state-machine.ts';

/** Counts for the /metrics gauges; one grouped scan served by the state index. */
export async function countIncidentsByStateAndSeverity(ctx: Pick<Ctx, 'db'>): Promise<{ state: string; severity: string; n: number }[]> {
  const rows = await ctx.db.kysely
    .selectFrom('incidents')
    .select(['state', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['state', 'severity'])
    .execute();
  return rows.map((r) => ({ state: r.state, severity: r.severity, n: Number(r.n) }));
}

/** Open incidents per severity and per state, exactly (one grouped read over the open states' index range). */
export async function countOpenIncidents(ctx: Pick<Ctx, 'db' | 'actor'>): Promise<{ by_severity: Record<string, number>; by_state: Record<string, number>; total: number }> {
  requireRole(ctx, 'viewer');
  const rows = await ctx.db.kysely
    .selectFrom('incidents')
    .select(['state', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', 'in', [...OPEN_STATES])
    .groupBy(['state', 'severity'])
    .execute();
  const by_severity: Record<string, number> = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  const by_state: Record<string, number> = Object.fromEntries(OPEN_STATES.map((s) => [s, 0]));
  let total = 0;
  for (const r of rows) {
    by_severity[r.severity] = (by_severity[r.severity] ?? 0) + Number(r.n);
    by_state[r.state] = (by_state[r.state] ?? 0) + Number(r.n);
    total += Number(r.n);
  }
  return { by_severity, by_state, total };
}
