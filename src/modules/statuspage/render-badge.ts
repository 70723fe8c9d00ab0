import { INDICATOR_TONE, STATUS_TONE, TONE_COLOURS } from './page-style.ts';
import { esc } from './render-html.ts';
import type { PageSnapshot } from './snapshot-types.ts';
import { STATUS_LABELS } from './vocabulary.ts';

/**
 * A shields.io-style ("flat") badge: a grey label, a coloured message. Text is drawn at ten times
 * the size and scaled down, as shields does, for crisp rendering; `textLength` pins each text to
 * the width estimated here, so the estimate only has to be close, not exact. The colours are the
 * page's AA palette, so the white text stays readable on every status.
 */

const LABEL_COLOUR = '#555';
/** Long names are cut for the picture; the <title> keeps them whole. */
const MAX_CHARS = 48;

/** Approximate advance widths of Verdana at 11 px (what shields.io draws with). */
function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    if ('iljI.,:;|!\'`'.includes(ch)) w += 3.1;
    else if ('ftr() -[]{}/\\"'.includes(ch)) w += 4.4;
    else if ('mwMW%@'.includes(ch)) w += 10.4;
    else if (/[A-Z0-9#&+<=>?~_^*$]/.test(ch)) w += 7.6;
    else w += 6.6;
  }
  return Math.round(w * 10) / 10;
}

const clip = (t: string) => {
  const chars = [...t.replace(/\s+/g, ' ').trim()];
  return chars.length > MAX_CHARS ? `${chars.slice(0, MAX_CHARS - 1).join('')}…` : chars.join('');
};

/** An SVG status badge for the page, or for one component (null: no such component). */
export function renderBadge(s: PageSnapshot, componentId?: string): string | null {
  const c = componentId === undefined ? null : s.components.find((x) => x.id === componentId);
  if (componentId !== undefined && !c) return null;
  const label = c ? c.name : s.page.name;
  const message = c ? (STATUS_LABELS[c.status] ?? c.status) : s.status.description;
  const colour = TONE_COLOURS[(c ? STATUS_TONE[c.status] : INDICATOR_TONE[s.status.indicator]) ?? 'neutral'];
  return badgeSvg(label, message, colour);
}

/** The badge picture for any label, message and background colour. */
export function badgeSvg(label: string, message: string, colour: string): string {
  const shownLabel = clip(label);
  const shownMessage = clip(message);
  // 5 px of padding either side of each text, as shields does.
  const lw = Math.ceil(textWidth(shownLabel) + 10);
  const mw = Math.ceil(textWidth(shownMessage) + 10);
  const width = lw + mw;
  const title = esc(`${label}: ${message}`);
  const text = (t: string, x: number, len: number) =>
    `<text aria-hidden="true" x="${x * 10}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="${len * 10}">${esc(t)}</text><text x="${x * 10}" y="140" transform="scale(.1)" fill="#fff" textLength="${len * 10}">${esc(t)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${title}"><title>${title}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="${lw}" height="20" fill="${LABEL_COLOUR}"/><rect x="${lw}" width="${mw}" height="20" fill="${esc(colour)}"/><rect width="${width}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">${text(shownLabel, lw / 2, lw - 10)}${text(shownMessage, lw + mw / 2, mw - 10)}</g></svg>`;
}
