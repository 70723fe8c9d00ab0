import { INDICATOR_TONE } from './page-style.ts';
import { renderComponents } from './render-components.ts';
import { esc, frame, historyUrl, incidentUrl, pageUrl, timeEl } from './render-html.ts';
import { historyList, incidentCard, incidentDetail, upcomingCard } from './render-incidents.ts';
import { renderSubscribe } from './render-subscribe.ts';
import type { PageSnapshot, PublicIncident } from './snapshot-types.ts';

/**
 * The public status page's HTML views. Pure and synchronous: each is rendered once per snapshot
 * and cached (see StatusPageCache), complete without JavaScript (the page carries none, and its
 * Content-Security-Policy forbids any).
 */

/** The public status page (HTML, complete without JavaScript). */
export function renderStatusPage(s: PageSnapshot): string {
  const section = (id: string, title: string, body: string) => (body ? `<section aria-labelledby="${id}"><h2 id="${id}">${title}</h2>${body}</section>` : '');
  const main = [
    `<section aria-label="Overall status"><p class="banner t-${INDICATOR_TONE[s.status.indicator] ?? 'neutral'}">${esc(s.status.description)}</p><p class="updated muted">Last updated ${timeEl(s, s.page.updated_at)}</p>${s.page.about ? `<p class="about">${esc(s.page.about)}</p>` : ''}</section>`,
    section('active-h', 'Maintenance in progress', s.active.map((m) => incidentCard(s, m)).join('')),
    section('incidents-h', 'Active incidents', s.unresolved.map((i) => incidentCard(s, i)).join('')),
    renderComponents(s),
    section('upcoming-h', 'Scheduled maintenance', s.upcoming.map((m) => upcomingCard(s, m)).join('')),
    `<p><a href="${esc(historyUrl(s))}">View incident history</a></p>`,
    renderSubscribe(s),
  ].join('\n');
  return frame(s, {
    title: `${s.page.name} status: ${s.status.description}`,
    description: `Live status of ${s.page.name}: ${s.status.description}.`,
    brandIsHeading: true,
    current: 'status',
    canonical: pageUrl(s),
    main,
  });
}

/** One public incident or maintenance, with every update (the `shortlink` target). */
export function renderIncidentPage(s: PageSnapshot, incident: PublicIncident): string {
  const back = `<p><a href="${esc(pageUrl(s))}">Back to current status</a> · <a href="${esc(historyUrl(s))}">Incident history</a></p>`;
  return frame(s, {
    title: `${incident.name} · ${s.page.name} status`,
    description: `${incident.kind === 'maintenance' ? 'Maintenance' : 'Incident'} on the ${s.page.name} status page: ${incident.name}`,
    canonical: incidentUrl(s, incident.id),
    main: `${incidentDetail(s, incident)}\n${back}`,
  });
}

/** Incident history, newest first, a page at a time. */
export function renderHistoryPage(s: PageSnapshot, incidents: PublicIncident[], page: { number: number; hasNext: boolean }): string {
  const list = incidents.length ? historyList(s, incidents) : `<p>${page.number > 1 ? 'Nothing more: this is past the oldest entry.' : 'No incidents or maintenance have been reported.'}</p>`;
  const newer = page.number > 1 ? `<a rel="prev" href="${esc(historyUrl(s, page.number - 1))}">Newer entries</a>` : '';
  const older = page.hasNext ? `<a rel="next" href="${esc(historyUrl(s, page.number + 1))}">Older entries</a>` : '';
  // An empty span keeps "Older" on the right when there is no "Newer".
  const pager = newer || older ? `<nav class="pages" aria-label="History pages">${newer || '<span></span>'}${older}</nav>` : '';
  return frame(s, {
    title: `Incident history${page.number > 1 ? ` (page ${page.number})` : ''} · ${s.page.name} status`,
    description: `Past incidents and maintenance on the ${s.page.name} status page.`,
    current: 'history',
    canonical: historyUrl(s, page.number),
    main: `<h1>Incident history</h1><p class="muted">Incidents and maintenance, newest first${page.number > 1 ? `; page ${page.number}` : ''}.</p>${list}${pager}`,
  });
}

/**
 * A short page in the status page's frame for subscription flows: "check your email",
 * "subscription confirmed", an unsubscribe button (a form, so that mail scanners following the
 * link never act), or an error. `status` is the route's reply code; the page itself reads the same
 * whatever it is.
 */
export function renderNoticePage(s: PageSnapshot, notice: { title: string; message: string; status?: number; form?: { action: string; button: string; fields?: Record<string, string> } }): string {
  const action = notice.form ? formAction(notice.form.action) : null;
  const form =
    notice.form && action
      ? `<form method="post" action="${esc(action)}">${Object.entries(notice.form.fields ?? {})
          .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
          .join('')}<button type="submit">${esc(notice.form.button)}</button></form>`
      : '';
  return frame(s, {
    title: `${notice.title} · ${s.page.name} status`,
    description: notice.title,
    noindex: true,
    main: `<h1>${esc(notice.title)}</h1><p>${esc(notice.message)}</p>${form}<p><a href="${esc(pageUrl(s))}">Back to ${esc(s.page.name)} status</a></p>`,
  });
}

/** A form target: a root-relative path or an http(s) URL; anything else (javascript:, //host) is refused. */
function formAction(action: string): string | null {
  if (/^\/(?![/\\])/.test(action)) return action;
  try {
    const url = new URL(action);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
