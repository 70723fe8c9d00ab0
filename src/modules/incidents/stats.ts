import type { Ctx } from '../context.ts';

/** Counts for the /metrics gauges; one grouped scan served by the state index. */
export async function countIncidentsByStateAndSeverity(ctx: Pick<Ctx, 'db'>): Promise<{ state: string; severity: string; n: number }[]> {
  const rows = await ctx.db.kysely
    .selectFrom('incidents')
    .select(['state', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['state', 'severity'])
    .execute();
  return rows.map((r) => ({ state: r.state, severity: r.severity, n: Number(r.n) }));
}
