import { useSyncExternalStore } from 'react';
import type { ServiceView } from '../api/types.ts';

const NARROW = '(max-width: 40rem)';
const subscribe = (fn: () => void) => {
  const m = window.matchMedia(NARROW);
  m.addEventListener('change', fn);
  return () => m.removeEventListener('change', fn);
};
/** Whether the screen is phone-narrow (the graph then runs top to bottom). */
const useNarrow = () => useSyncExternalStore(subscribe, () => window.matchMedia(NARROW).matches);

const W = 176;
const H = 50;
const GAP_X = 56;
const GAP_Y = 14;
const PER_ROW_NARROW = 2;
const GAP_NARROW = 12;
const LEVEL_GAP_NARROW = 40;

/**
 * Each service's depth: 0 when nothing depends on it, else one more than its deepest dependent, so
 * a service's dependencies are always in a later column (or row, on a phone).
 */
export function depths(services: ServiceView[]): Map<string, number> {
  const byId = new Map(services.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const of = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle (the config refuses them): stop here
    visiting.add(id);
    const dependents = services.filter((s) => s.depends_on.includes(id));
    const d = dependents.length ? 1 + Math.max(...dependents.map((s) => of(s.id))) : 0;
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const s of byId.keys()) of(s);
  return depth;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The dependency graph as a picture: a box per service (name and tier in text), an arrow to each dependency. */
export function ServiceGraph({ services }: { services: ServiceView[] }) {
  const narrow = useNarrow();
  const depth = depths(services);
  const levels: ServiceView[][] = [];
  for (const s of [...services].sort((a, b) => a.tier.localeCompare(b.tier) || a.name.localeCompare(b.name))) (levels[depth.get(s.id)!] ??= []).push(s);
  // Fewer crossings: after the first, each level is ordered by where its dependents are.
  const order = new Map<string, number>();
  levels.forEach((level, l) => {
    if (l > 0) {
      const at = (s: ServiceView) => {
        const ps = s.dependents.map((d) => order.get(d)).filter((n): n is number => n !== undefined);
        return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : Infinity;
      };
      level.sort((a, b) => at(a) - at(b));
    }
    level.forEach((s, i) => order.set(s.id, i));
  });
  const pos = new Map<string, { x: number; y: number }>();
  let width: number;
  let height: number;
  if (narrow) {
    let y = 0;
    levels.forEach((level) => {
      level.forEach((s, i) => pos.set(s.id, { x: (i % PER_ROW_NARROW) * (W + GAP_NARROW), y: y + Math.floor(i / PER_ROW_NARROW) * (H + GAP_NARROW) }));
      y += Math.ceil(level.length / PER_ROW_NARROW) * (H + GAP_NARROW) - GAP_NARROW + LEVEL_GAP_NARROW;
    });
    width = PER_ROW_NARROW * W + (PER_ROW_NARROW - 1) * GAP_NARROW;
    height = y - LEVEL_GAP_NARROW;
  } else {
    levels.forEach((level, l) => level.forEach((s, i) => pos.set(s.id, { x: l * (W + GAP_X), y: i * (H + GAP_Y) })));
    width = levels.length * W + (levels.length - 1) * GAP_X;
    height = Math.max(...levels.map((l) => l.length)) * (H + GAP_Y) - GAP_Y;
  }
  const pad = 4;
  const edges = services.flatMap((s) => s.depends_on.filter((d) => pos.has(d)).map((d) => ({ from: s.id, to: d })));
  const path = (from: { x: number; y: number }, to: { x: number; y: number }) => {
    if (narrow) {
      const a = { x: from.x + W / 2, y: from.y + H };
      const b = { x: to.x + W / 2, y: to.y - 2 };
      const m = (a.y + b.y) / 2;
      return `M${a.x},${a.y} C${a.x},${m} ${b.x},${m} ${b.x},${b.y}`;
    }
    const a = { x: from.x + W, y: from.y + H / 2 };
    const b = { x: to.x - 2, y: to.y + H / 2 };
    const m = (a.x + b.x) / 2;
    return `M${a.x},${a.y} C${m},${a.y} ${m},${b.y} ${b.x},${b.y}`;
  };
  const description = services
    .map((s) => `${s.name} (tier ${s.tier})${s.depends_on.length ? ` depends on ${s.depends_on.join(', ')}` : ' depends on nothing'}`)
    .join('; ');
  return (
    <figure className="graph">
      <svg
        className="svc-graph"
        role="img"
        aria-labelledby="svc-graph-title svc-graph-desc"
        viewBox={`${-pad} ${-pad} ${width + 2 * pad} ${height + 2 * pad}`}
        width="100%"
        style={{ maxWidth: `${width + 2 * pad}px` }}
        data-layout={narrow ? 'vertical' : 'horizontal'}
      >
        <title id="svc-graph-title">Service dependency graph</title>
        <desc id="svc-graph-desc">{description}</desc>
        <defs>
          <marker id="svc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="svc-arrowhead" />
          </marker>
        </defs>
        {edges.map((e) => (
          <path key={`${e.from}>${e.to}`} className="svc-edge" d={path(pos.get(e.from)!, pos.get(e.to)!)} markerEnd="url(#svc-arrow)" data-edge={`${e.from}>${e.to}`} />
        ))}
        {services.map((s) => {
          const p = pos.get(s.id)!;
          const open = s.open_incidents.length;
          return (
            <g key={s.id} className={`svc-node${open ? ' has-open' : ''}`} transform={`translate(${p.x},${p.y})`} data-service={s.id}>
              <title>{`${s.name} (${s.id}), tier ${s.tier}${open ? `, ${open} open incident${open === 1 ? '' : 's'}` : ''}`}</title>
              <rect width={W} height={H} rx={6} />
              <text x={8} y={20} className="svc-name">
                {clip(s.name, 19)}
              </text>
              <text x={8} y={38} className="svc-meta">
                tier {s.tier}
                {open ? ` · ${open} open` : ''}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="small-text muted">
        {narrow ? 'Each service points down to what it depends on.' : 'Each service points right to what it depends on.'} A thick orange border and “open” in words:
        open incidents.
      </figcaption>
    </figure>
  );
}
