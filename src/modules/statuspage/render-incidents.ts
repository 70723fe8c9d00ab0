import { IMPACT_TONE } from './page-style.ts';
import { componentNames, esc, formatMonth, IMPACT_LABELS, incidentUrl, isMaintenance, paragraphs, timeEl } from './render-html.ts';
import type { PageSnapshot, PublicIncident, PublicUpdate } from './snapshot-types.ts';
import { PHASE_LABELS, STATUS_LABELS } from './vocabulary.ts';

/**
 * Incidents and maintenances as the public reads them: cards on the main page, the full story on
 * an incident's own page, and compact entries in the history. Statuses and impacts are always
 * written out in words; the coloured edge only repeats them.
 */

type Level = 2 | 3;

/** A status in words; an unexpected value (a newer vocabulary) reads as itself rather than failing. */
const phase = (status: string) => esc((PHASE_LABELS as Record<string, string>)[status] ?? status);
const impactWords = (impact: string) => esc((IMPACT_LABELS as Record<string, string>)[impact] ?? impact);
const statusLabel = (status: string) => esc((STATUS_LABELS as Record<string, string>)[status] ?? status);
const tone = (impact: string) => (IMPACT_TONE as Record<string, string>)[impact] ?? 'neutral';

/** "Major impact · Status: Identified" (or "Maintenance · …"), in words, for a card's meta line. */
function metaLine(i: PublicIncident): string {
  const kind = isMaintenance(i) ? 'Maintenance' : impactWords(i.impact);
  return `<p class="meta"><span class="tag">${kind}</span> · Status: <span class="tag">${phase(i.status)}</span></p>`;
}

function affectedLine(s: PageSnapshot, i: PublicIncident): string {
  if (!i.components.length) return '';
  return `<p class="meta">Affected: ${componentNames(s, i.components).map(esc).join(', ')}</p>`;
}

/** A maintenance's window, "Scheduled: … to …", in the page's zone; nothing for an incident. */
function windowLine(s: PageSnapshot, i: PublicIncident): string {
  if (i.scheduled_for === null) return '';
  const until = i.scheduled_until === null ? '' : ` to ${timeEl(s, i.scheduled_until)}`;
  return `<p class="meta">Scheduled: ${timeEl(s, i.scheduled_for)}${until}</p>`;
}

function updateItem(s: PageSnapshot, u: PublicUpdate): string {
  const changes = (u.affected_components ?? [])
    .map((a) => `${esc(a.name)}: ${statusLabel(a.new_status)}${a.old_status !== a.new_status ? ` (was ${statusLabel(a.old_status)})` : ''}`)
    .join('; ');
  return `<li><p class="upd-head"><strong>${phase(u.status)}</strong> · ${timeEl(s, u.display_at)}</p><div class="body">${paragraphs(u.body)}</div>${changes ? `<p class="meta">Components: ${changes}</p>` : ''}</li>`;
}

/** Updates, newest first (as the snapshot keeps them), at most `limit`. */
export function updatesList(s: PageSnapshot, updates: PublicUpdate[], limit = Infinity): string {
  if (!updates.length) return '';
  return `<ol class="updates">${updates.slice(0, limit).map((u) => updateItem(s, u)).join('')}</ol>`;
}

/** How many of an unresolved incident's updates the main page shows before "all updates". */
const CARD_UPDATES = 3;

/** A card for the main page: name linking to its page, impact and status in words, latest updates. */
export function incidentCard(s: PageSnapshot, i: PublicIncident, level: Level = 3): string {
  const more = i.updates.length > CARD_UPDATES ? `<p><a href="${esc(incidentUrl(s, i.id))}">All ${i.updates.length} updates<span class="vh"> for ${esc(i.name)}</span></a></p>` : '';
  return `<article class="inc t-${tone(i.impact)}"><h${level}><a href="${esc(incidentUrl(s, i.id))}">${esc(i.name)}</a></h${level}>${metaLine(i)}${windowLine(s, i)}${affectedLine(s, i)}${updatesList(s, i.updates, CARD_UPDATES)}${more}</article>`;
}

/** A card for an upcoming maintenance: when, what, and the latest word on it. */
export function upcomingCard(s: PageSnapshot, i: PublicIncident): string {
  return `<article class="inc t-maintenance"><h3><a href="${esc(incidentUrl(s, i.id))}">${esc(i.name)}</a></h3>${windowLine(s, i)}${affectedLine(s, i)}${updatesList(s, i.updates, 1)}</article>`;
}

/** The body of an incident's own page (its h1 is the incident's name). */
export function incidentDetail(s: PageSnapshot, i: PublicIncident): string {
  const fact = (term: string, value: string) => `<div><dt>${term}</dt><dd>${value}</dd></div>`;
  const facts = [
    fact('Status', phase(i.status)),
    fact(isMaintenance(i) ? 'Type' : 'Impact', impactWords(i.impact)),
    fact('Affected components', i.components.length ? componentNames(s, i.components).map(esc).join(', ') : 'None listed'),
    isMaintenance(i) && i.scheduled_for !== null ? fact('Scheduled', `${timeEl(s, i.scheduled_for)}${i.scheduled_until === null ? '' : ` to ${timeEl(s, i.scheduled_until)}`}`) : fact('Started', timeEl(s, i.started_at)),
    i.resolved_at !== null ? fact(isMaintenance(i) ? 'Completed' : 'Resolved', timeEl(s, i.resolved_at)) : '',
  ].join('');
  const postmortem =
    i.postmortem_body !== null
      ? `<section class="postmortem" aria-labelledby="postmortem-h"><h2 id="postmortem-h">Postmortem</h2>${i.postmortem_published_at !== null ? `<p class="meta">Published ${timeEl(s, i.postmortem_published_at)}</p>` : ''}<div class="body">${paragraphs(i.postmortem_body)}</div></section>`
      : '';
  const updates = i.updates.length ? updatesList(s, i.updates) : '<p class="muted">No updates have been posted.</p>';
  return `<article class="detail"><h1>${esc(i.name)}</h1><dl class="facts">${facts}</dl>${postmortem}<section aria-labelledby="updates-h"><h2 id="updates-h">Updates</h2>${updates}</section></article>`;
}

/** History entries grouped by month (in the page's zone), newest first. */
export function historyList(s: PageSnapshot, incidents: PublicIncident[]): string {
  const months: { label: string; items: PublicIncident[] }[] = [];
  for (const i of incidents) {
    const label = formatMonth(s, i.created_at);
    const last = months[months.length - 1];
    if (last?.label === label) last.items.push(i);
    else months.push({ label, items: [i] });
  }
  return months
    .map(
      (m) =>
        `<section><h2>${esc(m.label)}</h2>${m.items
          .map((i) => {
            const latest = i.updates[0];
            const ended = i.resolved_at !== null ? ` to ${timeEl(s, i.resolved_at)}` : '';
            const when = isMaintenance(i) && i.scheduled_for !== null ? windowLine(s, i) : `<p class="meta">${timeEl(s, i.started_at)}${ended}</p>`;
            return `<article class="inc t-${tone(i.impact)}"><h3><a href="${esc(incidentUrl(s, i.id))}">${esc(i.name)}</a></h3>${metaLine(i)}${when}${affectedLine(s, i)}${latest ? `<div class="body">${paragraphs(latest.body)}</div>` : ''}</article>`;
          })
          .join('')}</section>`,
    )
    .join('');
}
