import { isoTime } from '../../lib/iso-time.ts';
import { atomUrl, componentNames, esc, formatDateTime, IMPACT_LABELS, incidentUrl, pageUrl, paragraphs, rssUrl, safeUrl } from './render-html.ts';
import type { PageSnapshot, PublicIncident } from './snapshot-types.ts';
import { PHASE_LABELS } from './vocabulary.ts';

/**
 * The history feeds, RSS 2.0 and Atom 1.0, as Statuspage serves them at /history.rss and
 * /history.atom: recent incidents and maintenances, newest first, each carrying its updates as
 * HTML. That HTML is escaped as text (never CDATA), so a body containing "]]>" or markup stays
 * inert text, and characters XML forbids are dropped by `esc`.
 */

/** The recent incidents and maintenances, newest first. */
function feedItems(s: PageSnapshot): PublicIncident[] {
  return [...s.incidents, ...s.maintenances].sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

const label = (status: string) => (PHASE_LABELS as Record<string, string>)[status] ?? status;

/** An item's content as HTML (to be escaped once more into the XML). */
export function itemHtml(s: PageSnapshot, i: PublicIncident): string {
  const head: string[] = [];
  if (i.kind === 'maintenance' && i.scheduled_for !== null) {
    head.push(`<p><strong>Scheduled</strong>: ${esc(formatDateTime(s, i.scheduled_for))}${i.scheduled_until === null ? '' : ` to ${esc(formatDateTime(s, i.scheduled_until))}`}</p>`);
  } else {
    head.push(`<p><strong>${esc((IMPACT_LABELS as Record<string, string>)[i.impact] ?? i.impact)}</strong></p>`);
  }
  if (i.components.length) head.push(`<p>Affected components: ${componentNames(s, i.components).map(esc).join(', ')}</p>`);
  const updates = i.updates.map((u) => `<p><small>${esc(formatDateTime(s, u.display_at))}</small><br><strong>${esc(label(u.status))}</strong> - ${esc(u.body).replace(/\r?\n/g, '<br>')}</p>`);
  const postmortem = i.postmortem_body !== null ? [`<p><strong>Postmortem</strong></p>${paragraphs(i.postmortem_body)}`] : [];
  return [...head, ...postmortem, ...updates].join('');
}

const rfc822 = (ms: number) => new Date(ms).toUTCString();

/** RSS 2.0 feed of incidents and maintenances (newest first). */
export function renderRss(s: PageSnapshot): string {
  const title = `${s.page.name} status - incident history`;
  const logo = safeUrl(s.page.logo_url);
  const items = feedItems(s).map((i) => {
    const link = esc(incidentUrl(s, i.id));
    return `<item>
<title>${esc(i.name)}</title>
<link>${link}</link>
<guid isPermaLink="true">${link}</guid>
<pubDate>${rfc822(i.created_at)}</pubDate>
<category>${i.kind === 'maintenance' ? 'Maintenance' : 'Incident'}</category>
<description>${esc(itemHtml(s, i))}</description>
</item>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>${esc(title)}</title>
<link>${esc(pageUrl(s))}</link>
<description>${esc(`Incidents and maintenance reported on the ${s.page.name} status page`)}</description>
<language>en</language>
<lastBuildDate>${rfc822(lastChange(s))}</lastBuildDate>
<atom:link href="${esc(rssUrl(s))}" rel="self" type="application/rss+xml"/>
${logo ? `<image><url>${esc(logo)}</url><title>${esc(title)}</title><link>${esc(pageUrl(s))}</link></image>\n` : ''}${items.join('\n')}
</channel>
</rss>
`;
}

/** Atom feed of incidents and maintenances (newest first). */
export function renderAtom(s: PageSnapshot): string {
  const logo = safeUrl(s.page.logo_url);
  const entries = feedItems(s).map((i) => {
    const link = esc(incidentUrl(s, i.id));
    return `<entry>
<id>${link}</id>
<title type="text">${esc(i.name)}</title>
<published>${isoTime(i.created_at)}</published>
<updated>${isoTime(i.updated_at)}</updated>
<link rel="alternate" type="text/html" href="${link}"/>
<category term="${esc(i.kind)}" label="${i.kind === 'maintenance' ? 'Maintenance' : 'Incident'}"/>
<content type="html">${esc(itemHtml(s, i))}</content>
</entry>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<id>${esc(atomUrl(s))}</id>
<title type="text">${esc(`${s.page.name} status - incident history`)}</title>
<updated>${isoTime(lastChange(s))}</updated>
<link rel="alternate" type="text/html" href="${esc(pageUrl(s))}"/>
<link rel="self" type="application/atom+xml" href="${esc(atomUrl(s))}"/>
<author><name>${esc(s.page.name)}</name><uri>${esc(pageUrl(s))}</uri></author>
${logo ? `<logo>${esc(logo)}</logo>\n` : ''}${entries.join('\n')}
</feed>
`;
}

/** When the feed last changed: its newest item's update, else the page's last change. */
function lastChange(s: PageSnapshot): number {
  return Math.max(0, ...s.incidents.map((i) => i.updated_at), ...s.maintenances.map((i) => i.updated_at)) || s.page.updated_at;
}
