import type { FirebreakConfig, ServiceConfig } from '../../config/schema.ts';

/** The service dependency graph of one config, with transitive closures computed once. */
export interface ServiceGraph {
  byId: Map<string, ServiceConfig>;
  /** Services that depend on the key, directly or transitively. */
  dependents: Map<string, Set<string>>;
  /** Services the key depends on, directly or transitively. */
  dependencies: Map<string, Set<string>>;
}

const cache = new WeakMap<FirebreakConfig, ServiceGraph>();

export function serviceGraph(config: FirebreakConfig): ServiceGraph {
  let graph = cache.get(config);
  if (graph) return graph;
  const byId = new Map(config.services.map((s) => [s.id, s]));
  const direct = new Map<string, string[]>(config.services.map((s) => [s.id, []]));
  for (const s of config.services) for (const d of s.depends_on) direct.get(d)?.push(s.id);
  const closure = (start: string, next: (id: string) => readonly string[]) => {
    const seen = new Set<string>();
    const stack = [...next(start)];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id) || id === start) continue;
      seen.add(id);
      stack.push(...next(id));
    }
    return seen;
  };
  graph = {
    byId,
    dependents: new Map(config.services.map((s) => [s.id, closure(s.id, (id) => direct.get(id) ?? [])])),
    dependencies: new Map(config.services.map((s) => [s.id, closure(s.id, (id) => byId.get(id)?.depends_on ?? [])])),
  };
  cache.set(config, graph);
  return graph;
}

export interface Impact {
  /** The affected services plus every service that depends on them. */
  impacted_services: string[];
  customer_facing: boolean;
  /**
   * Estimated share of users affected: the largest user_share among impacted services. Users of
   * different services overlap, so the maximum is the honest lower bound; a sum would overstate.
   */
  user_share: number;
  /** The most critical tier among impacted services (p0 is most critical), or null. */
  highest_tier: string | null;
}

export function computeImpact(config: FirebreakConfig, serviceIds: readonly string[]): Impact {
  const graph = serviceGraph(config);
  const impacted = new Set<string>();
  for (const id of serviceIds) {
    impacted.add(id);
    for (const d of graph.dependents.get(id) ?? []) impacted.add(d);
  }
  let customerFacing = false;
  let share = 0;
  let tier: string | null = null;
  for (const id of impacted) {
    const s = graph.byId.get(id);
    if (!s) continue;
    customerFacing ||= s.customer_facing;
    share = Math.max(share, s.user_share);
    if (tier === null || s.tier < tier) tier = s.tier;
  }
  return { impacted_services: [...impacted].sort(), customer_facing: customerFacing, user_share: share, highest_tier: tier };
}
