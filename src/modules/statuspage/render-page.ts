import type { PageSnapshot, PublicIncident } from './snapshot-types.ts';

/** The public status page (HTML, complete without JavaScript). */
export function renderStatusPage(s: PageSnapshot): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(s.page.name)} status</title></head><body><main><h1>${esc(s.page.name)}</h1><p>${esc(s.status.description)}</p></main></body></html>`;
}

/** One public incident or maintenance, with every update (the `shortlink` target). */
export function renderIncidentPage(s: PageSnapshot, incident: PublicIncident): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(incident.name)}</title></head><body><main><h1>${esc(incident.name)}</h1></main></body></html>`;
}

/** Incident history, newest first, a page at a time. */
export function renderHistoryPage(s: PageSnapshot, incidents: PublicIncident[], page: { number: number; hasNext: boolean }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(s.page.name)} history</title></head><body><main><h1>History</h1>${incidents.map((i) => `<p>${esc(i.name)}</p>`).join('')}${page.hasNext ? '' : ''}</main></body></html>`;
}

const esc = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
