/** A dependency cycle among nodes (each listing what it depends on), as the ids around it, or null. Self-edges are ignored (reported separately). */
export function findCycle(nodes: { id: string; depends_on: string[] }[]): string[] | null {
  const deps = new Map(nodes.map((s) => [s.id, s.depends_on]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const d of deps.get(id) ?? []) {
      if (d === id) continue;
      const found = visit(d);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const s of nodes) {
    const found = visit(s.id);
    if (found) return found;
  }
  return null;
}
