import { isoTime } from '../../lib/iso-time.ts';
import { PAGE_CSS, PAGE_CSS_HASH } from './page-style.ts';
import type { PageSnapshot, PublicIncident } from './snapshot-types.ts';
import type { Impact } from './vocabulary.ts';

/**
 * The building blocks every status page view shares: escaping, safe links, times in the page's
 * zone, and the frame (head, header, footer). Everything from the snapshot is treated as hostile:
 * names and bodies come from responders, so every string goes through `esc` and every link
 * through `safeUrl` or `pageUrl`.
 */

/** C0 controls (but tab, newline, return), lone surrogates and non-characters: invalid in XML, useless in HTML. */
const UNPRINTABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const SPECIAL: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text (or an attribute value) escaped for HTML and XML alike. */
export function esc(text: string): string {
  return text.replace(UNPRINTABLE, '').replace(/[&<>"']/g, (c) => SPECIAL[c]);
}

/** An absolute http(s) URL, normalised; anything else (javascript:, data:, relative, garbage) is null. */
export function safeUrl(raw: string | null | undefined): string | null {
  if (!raw) return null;
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * A link into the page, absolute, from s.page.url (the page is also served at `/` of its own
 * host, where relative links would resolve differently). A base that is not http(s) falls back
 * to the path under /status rather than ever being emitted.
 */
export function pageUrl(s: PageSnapshot, path = ''): string {
  const base = safeUrl(s.page.url) ? s.page.url.replace(/\/+$/, '') : '/status';
  return `${base}${path}`;
}

export const incidentUrl = (s: PageSnapshot, id: string) => pageUrl(s, `/incidents/${encodeURIComponent(id)}`);
export const historyUrl = (s: PageSnapshot, page = 1) => pageUrl(s, page > 1 ? `/history?page=${page}` : '/history');
export const rssUrl = (s: PageSnapshot) => pageUrl(s, '/history.rss');
export const atomUrl = (s: PageSnapshot) => pageUrl(s, '/history.atom');

/** The Statuspage JSON lives at /api/v2 of the page's host, whatever the page's own path. */
export function apiUrl(s: PageSnapshot): string {
  const base = safeUrl(s.page.url);
  return base ? new URL('/api/v2/summary.json', base).href : '/api/v2/summary.json';
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** One formatter per zone and style; an unknown zone (config validation should prevent it) reads as UTC. */
function formatter(zone: string, style: 'datetime' | 'date' | 'month' | 'zone'): Intl.DateTimeFormat {
  const key = `${style}|${zone}`;
  let f = formatters.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions =
      style === 'datetime'
        ? { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }
        : style === 'date'
          ? { day: 'numeric', month: 'short', year: 'numeric' }
          : style === 'month'
            ? { month: 'long', year: 'numeric' }
            : { timeZoneName: 'short' };
    try {
      f = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: zone });
    } catch {
      f = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'UTC' });
    }
    formatters.set(key, f);
  }
  return f;
}

/** "10 Mar 2026, 09:42 CET": date, time and the zone's short name, in the page's zone. */
export const formatDateTime = (s: PageSnapshot, ms: number) => formatter(s.page.time_zone, 'datetime').format(ms);
export const formatDate = (s: PageSnapshot, ms: number) => formatter(s.page.time_zone, 'date').format(ms);
export const formatMonth = (s: PageSnapshot, ms: number) => formatter(s.page.time_zone, 'month').format(ms);
/** The zone's short name at an instant ("CET", "CEST", "UTC", "GMT-5"). */
export const zoneName = (s: PageSnapshot, ms: number) => formatter(s.page.time_zone, 'zone').formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? 'UTC';

/** A machine-readable and human-readable time. */
export function timeEl(s: PageSnapshot, ms: number, style: 'datetime' | 'date' = 'datetime'): string {
  return `<time datetime="${isoTime(ms)}">${esc(style === 'date' ? formatDate(s, ms) : formatDateTime(s, ms))}</time>`;
}

export const IMPACT_LABELS: Record<Impact | 'maintenance', string> = { none: 'No impact', minor: 'Minor impact', major: 'Major impact', critical: 'Critical impact', maintenance: 'Maintenance' };

/** Responder text as paragraphs: blank lines split them, single newlines break lines. */
export function paragraphs(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${esc(p).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

/** Component names of an incident's affected ids, in page order (an id no longer configured reads as itself). */
export function componentNames(s: PageSnapshot, ids: string[]): string[] {
  const names = new Map(s.components.map((c) => [c.id, c.name]));
  const order = new Map(s.components.map((c, i) => [c.id, i]));
  return [...ids].sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity)).map((id) => names.get(id) ?? id);
}

export const isMaintenance = (i: PublicIncident) => i.kind === 'maintenance';

export interface FrameOptions {
  /** The document title. */
  title: string;
  description: string;
  /** Main page only: the header carries the page's one h1; other pages put theirs in `main`. */
  brandIsHeading?: boolean;
  /** Which header link is the current page. */
  current?: 'status' | 'history';
  canonical?: string;
  /** Pages behind links in emails (tokens in the URL) stay out of search engines. */
  noindex?: boolean;
  main: string;
}

/**
 * A complete HTML document: landmarks (header, nav, main, footer), the inline style sheet, feed
 * links, and a Content-Security-Policy that allows that one style sheet and no script at all, so
 * that even an escaping mistake could not run anything.
 */
export function frame(s: PageSnapshot, o: FrameOptions): string {
  const name = esc(s.page.name);
  const logo = safeUrl(s.page.logo_url);
  const brandInner = `${logo ? `<img src="${esc(logo)}" alt="${name} logo" height="40">` : ''}<a href="${esc(pageUrl(s))}">${name} status</a>`;
  const brand = o.brandIsHeading ? `<h1 class="brand">${brandInner}</h1>` : `<p class="brand">${brandInner}</p>`;
  const current = (which: FrameOptions['current']) => (o.current === which ? ' aria-current="page"' : '');
  const links = s.page.links
    .map((l) => ({ label: l.label, url: safeUrl(l.url) }))
    .filter((l): l is { label: string; url: string } => l.url !== null)
    .map((l) => `<li><a href="${esc(l.url)}">${esc(l.label)}</a></li>`)
    .join('');
  const feedTitle = `${name} status history`;
  const csp = `default-src 'none'; style-src '${PAGE_CSS_HASH}'; img-src http: https: data:; base-uri 'none'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="color-scheme" content="light">
${o.noindex ? '<meta name="robots" content="noindex">\n' : ''}<title>${esc(o.title)}</title>
<meta name="description" content="${esc(o.description)}">
${o.canonical ? `<link rel="canonical" href="${esc(o.canonical)}">\n` : ''}<link rel="icon" href="data:,">
<link rel="alternate" type="application/rss+xml" title="${feedTitle} (RSS)" href="${esc(rssUrl(s))}">
<link rel="alternate" type="application/atom+xml" title="${feedTitle} (Atom)" href="${esc(atomUrl(s))}">
<style>${PAGE_CSS}</style>
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header class="site"><div class="wrap">
${brand}
<nav aria-label="${name} status"><ul><li><a href="${esc(pageUrl(s))}"${current('status')}>Current status</a></li><li><a href="${esc(historyUrl(s))}"${current('history')}>History</a></li><li><a href="${esc(pageUrl(s))}#subscribe">Subscribe</a></li>${links}</ul></nav>
</div></header>
<main id="main" class="wrap">
${o.main}
</main>
<footer><div class="wrap">
<p>Times are shown in ${esc(s.page.time_zone)} (${esc(zoneName(s, s.builtAt))}).</p>
<ul><li><a href="${esc(historyUrl(s))}">Incident history</a></li><li><a href="${esc(rssUrl(s))}">RSS feed</a></li><li><a href="${esc(atomUrl(s))}">Atom feed</a></li><li><a href="${esc(apiUrl(s))}">Status API (JSON)</a></li></ul>
<p class="muted">Powered by Firebreak</p>
</div></footer>
</body>
</html>
`;
}
