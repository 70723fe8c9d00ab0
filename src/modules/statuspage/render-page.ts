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

/**
 * A short page in the status page's frame for subscription flows: "check your email",
 * "subscription confirmed", an unsubscribe button (a form, so that mail scanners following the
 * link never act), or an error.
 */
export function renderNoticePage(s: PageSnapshot, notice: { title: string; message: string; status?: number; form?: { action: string; button: string; fields?: Record<string, string> } }): string {
  const form = notice.form ? `<form method="post" action="${esc(notice.form.action)}">${Object.entries(notice.form.fields ?? {}).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('')}<button type="submit">${esc(notice.form.button)}</button></form>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(notice.title)} · ${esc(s.page.name)}</title></head><body><main><h1>${esc(notice.title)}</h1><p>${esc(notice.message)}</p>${form}</main></body></html>`;
}

const esc = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
