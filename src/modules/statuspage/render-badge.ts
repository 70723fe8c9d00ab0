import type { PageSnapshot } from './snapshot-types.ts';

/** An SVG status badge for the page, or for one component (null: no such component). */
export function renderBadge(s: PageSnapshot, componentId?: string): string | null {
  const c = componentId === undefined ? null : s.components.find((x) => x.id === componentId);
  if (componentId !== undefined && !c) return null;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="20"><text x="4" y="14">${c ? c.status : s.status.indicator}</text></svg>`;
}
