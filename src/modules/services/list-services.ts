import { q } from '../../db/transaction.ts';
import { notFound } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { OPEN_STATES } from '../incidents/state-machine.ts';
import { serviceGraph } from './service-graph.ts';

export interface ServiceView {
  id: string;
  name: string;
  description: string | null;
  tier: string;
  owners: string[];
  depends_on: string[];
  dependents: string[];
  customer_facing: boolean;
  user_share: number;
  open_incidents: { ref: string; title: string; severity: string; state: string }[];
}

/** Services come from the config; their open incidents from the database. */
export async function listServices(ctx: Ctx): Promise<ServiceView[]> {
  requireRole(ctx, 'viewer');
  const config = ctx.config.current;
  const graph = serviceGraph(config);
  const open = await q(ctx)
    .selectFrom('incident_services as s')
    .innerJoin('incidents as i', 'i.id', 's.incident_id')
    .select(['s.service_id', 'i.number', 'i.title', 'i.severity', 'i.state'])
    .where('i.state', 'in', [...OPEN_STATES])
    .orderBy('i.number', 'desc')
    .execute();
  return config.services.map((s) => ({
    id: s.id,
    name: s.name,
    description: s.description ?? null,
    tier: s.tier,
    owners: s.owners,
    depends_on: s.depends_on,
    dependents: [...(graph.dependents.get(s.id) ?? [])].sort(),
    customer_facing: s.customer_facing,
    user_share: s.user_share,
    open_incidents: open.filter((o) => o.service_id === s.id).map((o) => ({ ref: `INC-${o.number}`, title: o.title, severity: o.severity, state: o.state })),
  }));
}

export async function getService(ctx: Ctx, id: string): Promise<ServiceView> {
  const service = (await listServices(ctx)).find((s) => s.id === id);
  if (!service) throw notFound('service', id);
  return service;
}
