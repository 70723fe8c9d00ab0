import { createHash } from 'node:crypto';
import type { ComponentStatus, Impact, Indicator } from './vocabulary.ts';

/**
 * The status page's look: one palette and one inline style sheet, shared by the HTML pages and
 * the badge. Every status colour reaches WCAG AA (4.5:1) both as text on white and behind white
 * text, so a colour can be used either way; the render tests check every pair listed here.
 */

/** A status's colour family: the page, the bars and the badge all speak in these. */
export type Tone = 'ok' | 'minor' | 'major' | 'critical' | 'maintenance' | 'neutral' | 'nodata';

export const TONE_COLOURS: Record<Tone, string> = {
  ok: '#1a7f37',
  minor: '#9a6700',
  major: '#bc4c00',
  critical: '#cf222e',
  maintenance: '#0969da',
  neutral: '#59636e',
  // Only ever a bar fill (a day without data), never text: it needs 3:1 against white, not 4.5:1.
  nodata: '#818b98',
};

export const BASE_COLOURS = { text: '#1f2328', muted: '#59636e', background: '#ffffff', surface: '#f6f8fa', border: '#d1d9e0', link: '#0550ae' };

/** Foreground/background pairs the page draws text with (for the contrast test). */
export const TEXT_PAIRS: { name: string; fg: string; bg: string }[] = [
  { name: 'body text', fg: BASE_COLOURS.text, bg: BASE_COLOURS.background },
  { name: 'muted text', fg: BASE_COLOURS.muted, bg: BASE_COLOURS.background },
  { name: 'muted text on surface', fg: BASE_COLOURS.muted, bg: BASE_COLOURS.surface },
  { name: 'text on surface', fg: BASE_COLOURS.text, bg: BASE_COLOURS.surface },
  { name: 'links', fg: BASE_COLOURS.link, bg: BASE_COLOURS.background },
  { name: 'links on surface', fg: BASE_COLOURS.link, bg: BASE_COLOURS.surface },
  ...(['ok', 'minor', 'major', 'critical', 'maintenance', 'neutral'] as const).flatMap((t) => [
    { name: `${t} text`, fg: TONE_COLOURS[t], bg: BASE_COLOURS.background },
    { name: `white on ${t}`, fg: '#ffffff', bg: TONE_COLOURS[t] },
  ]),
  { name: 'badge label', fg: '#ffffff', bg: '#555555' },
];

export const STATUS_TONE: Record<ComponentStatus, Tone> = {
  operational: 'ok',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
  under_maintenance: 'maintenance',
};

export const INDICATOR_TONE: Record<Indicator, Tone> = { none: 'ok', minor: 'minor', major: 'major', critical: 'critical', maintenance: 'maintenance' };

/** The docs draw impact `none` in black: here the neutral grey, as it is not "operational". */
export const IMPACT_TONE: Record<Impact | 'maintenance', Tone> = { none: 'neutral', minor: 'minor', major: 'major', critical: 'critical', maintenance: 'maintenance' };

const tones = Object.entries(TONE_COLOURS)
  .map(([t, c]) => `.st.t-${t}{color:${c}}.st.t-${t}::before,.b.t-${t},.key.t-${t}::before{background:${c}}.banner.t-${t}{background:${c}}.inc.t-${t}{border-left-color:${c}}`)
  .join('');

const { text, muted, background, surface, border, link } = BASE_COLOURS;

/**
 * The whole style sheet. Mobile first: one column, wrapping rows and shrinking bars, so nothing
 * scrolls sideways at 375 px; long unbroken words (URLs in update bodies) wrap anywhere.
 */
export const PAGE_CSS = `:root{color-scheme:light}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:${text};background:${background};overflow-wrap:anywhere}
a{color:${link};text-underline-offset:.15em}
a:focus-visible,button:focus-visible,input:focus-visible,summary:focus-visible{outline:3px solid ${link};outline-offset:2px}
h1,h2,h3,h4{line-height:1.25;margin:0}
h2{font-size:1.25rem;margin:2rem 0 .75rem}
h3{font-size:1.05rem}
h4{font-size:1rem;font-weight:600}
p{margin:.25rem 0}
ul,ol{margin:0;padding:0;list-style:none}
.wrap{max-width:52rem;margin:0 auto;padding:0 1rem}
.vh{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap;border:0}
.skip{position:absolute;left:-999px;top:0;background:${background};padding:.5rem 1rem;z-index:2}
.skip:focus{left:1rem}
.muted{color:${muted}}
.site{border-bottom:1px solid ${border};background:${surface}}
.site .wrap{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.5rem 1.5rem;padding-top:1rem;padding-bottom:1rem}
.brand{display:flex;align-items:center;gap:.75rem;min-width:0;font-size:1.4rem;font-weight:700;margin:0}
.brand a{color:inherit;text-decoration:none}
.brand img{max-height:2.5rem;max-width:10rem;height:auto;width:auto;font-size:.75rem;overflow:hidden}
.site nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
main.wrap{padding-top:1.5rem;padding-bottom:2rem}
.banner{color:#fff;border-radius:.5rem;padding:1rem 1.25rem;font-size:1.25rem;font-weight:700;margin:0}
.updated{margin-top:.5rem}
.about{margin-top:1rem}
.inc{border:1px solid ${border};border-left:.375rem solid ${muted};border-radius:.5rem;padding:1rem;margin:0 0 1rem}
.inc h2,.inc h3{margin:0 0 .25rem;font-size:1.1rem}
.meta{color:${muted};font-size:.9rem}
.tag{font-weight:600}
.updates{margin-top:.5rem}
.updates>li{padding:.5rem 0;border-top:1px solid ${border}}
.updates>li:first-child{border-top:0}
.upd-head{font-size:.9rem}
.upd-head strong{color:${text}}
.body p{margin:.25rem 0 .5rem}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(13rem,1fr));gap:.5rem 1.5rem;margin:1rem 0}
.facts dt{font-weight:600}
.facts dd{margin:0}
.st{font-weight:600;white-space:nowrap}
.st::before{content:"";display:inline-block;width:.65em;height:.65em;border-radius:50%;margin-right:.4em;vertical-align:.05em}
.components{border:1px solid ${border};border-radius:.5rem}
.components>li{padding:1rem;border-top:1px solid ${border}}
.components>li:first-child{border-top:0}
.members{margin-top:.5rem}
.members>li{padding:.75rem 0 .25rem 1rem;border-left:2px solid ${border};margin-top:.5rem}
.comp-head{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:.25rem 1rem}
.comp-desc{color:${muted};font-size:.9rem}
.uptime{position:relative;margin-top:.5rem}
.bars{display:flex;gap:1px;height:2rem;margin:.25rem 0}
.bars>li{flex:1 1 0;min-width:0}
.b{display:block;height:100%;border-radius:1px}
.bars>li:hover .b{opacity:.7}
.bars>li:hover .tip{clip:auto;clip-path:none;width:auto;height:auto;margin:0;overflow:visible;white-space:normal;left:0;right:0;bottom:100%;top:auto;background:${text};color:#fff;padding:.25rem .5rem;border-radius:.25rem;font-size:.85rem;z-index:1}
.axis{display:flex;justify-content:space-between;font-size:.8rem}
.axis .near{display:none}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.85rem;margin-top:.5rem}
.key::before{content:"";display:inline-block;width:.75em;height:.75em;margin-right:.35em;vertical-align:-.05em;border-radius:1px}
.subs{display:grid;gap:1rem}
.sub{border:1px solid ${border};border-radius:.5rem;padding:1rem;background:${surface}}
.sub h3{margin-bottom:.5rem}
.sub label{display:block;font-weight:600;margin:.5rem 0 .25rem}
.sub input[type=email],.sub input[type=url]{width:100%;font:inherit;padding:.5rem;border:1px solid ${muted};border-radius:.25rem;background:${background};color:${text}}
::placeholder{color:${muted};opacity:1}
.sub details{margin:.75rem 0}
.sub summary{cursor:pointer;color:${link}}
.sub fieldset{border:0;margin:.5rem 0 0;padding:0}
.sub legend{font-weight:600;padding:0}
.sub .check{display:flex;gap:.5rem;align-items:center}
.sub .check label{display:inline;font-weight:400;margin:0}
button{font:inherit;font-weight:600;padding:.5rem 1rem;border:0;border-radius:.25rem;background:${link};color:#fff;cursor:pointer;margin-top:.75rem}
.pages{display:flex;flex-wrap:wrap;justify-content:space-between;gap:1rem;margin-top:2rem}
.postmortem{border:1px solid ${border};border-radius:.5rem;padding:1rem;background:${surface}}
.postmortem h2{margin-top:0}
footer{border-top:1px solid ${border};background:${surface};padding:1rem 0 2rem;font-size:.9rem}
footer ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:.5rem 0}
@media (min-width:40rem){.subs{grid-template-columns:1fr 1fr}}
@media (max-width:39.99rem){.bars>li.o{display:none}.axis .far{display:none}.axis .near{display:inline}}
${tones}`;

/** For the page's Content-Security-Policy: the one style sheet allowed, and no script at all. */
export const PAGE_CSS_HASH = `sha256-${createHash('sha256').update(PAGE_CSS).digest('base64')}`;
