import { createHash } from 'node:crypto';
import type { FirebreakConfig } from '../../config/schema.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { formatLocalTime, instantToLocal } from '../../lib/zoned-time.ts';
import type { LinkIncident, LinkOutcome } from './act-on-link.ts';
import { incidentUrl } from './message.ts';

/**
 * The one-click link pages: small, server-rendered, no script, readable on a phone and by a
 * screen reader (one h1, a main landmark, the state in words). Every dynamic string is escaped.
 */

const CSS = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fafafa}
header,main,footer{max-width:34rem;margin:0 auto;padding:1rem}
header{border-bottom:1px solid #ccc}
h1{font-size:1.4rem;margin:.5rem 0 1rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1.5rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
button{font:inherit;font-weight:600;padding:.75rem 1.25rem;min-height:44px;width:100%;border:2px solid #1a1a1a;border-radius:6px;background:#1a1a1a;color:#fff;cursor:pointer}
button:focus-visible,a:focus-visible{outline:3px solid #0b5fff;outline-offset:2px}
.notice{border-left:4px solid #1a1a1a;padding:.5rem 1rem;background:#fff}
a{color:#0b4fd6}`;

/** Headers every link page carries: no caching, no framing, no token in a Referer to anyone else. */
export const LINK_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // Not no-referrer: under it browsers send `Origin: null` with our own form's POST, which the
  // same-origin check must refuse. same-origin still keeps the URL (and token) from every other site.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'x-robots-tag': 'noindex, nofollow',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
};

export interface LinkPage {
  status: number;
  html: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** "2026-06-01 04:13 Europe/Berlin" in the organisation's zone, with the exact instant for machines. */
function when(config: FirebreakConfig, at: number): string {
  const tz = config.organisation.time_zone;
  return `<time datetime="${isoTime(at)}">${esc(formatLocalTime(instantToLocal(at, tz)).replace('T', ' '))} ${esc(tz)}</time>`;
}

function layout(config: FirebreakConfig, title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${esc(title)} · Firebreak</title>
<style>${CSS}</style>
</head>
<body>
<header><strong>Firebreak</strong> · ${esc(config.organisation.name)}</header>
<main>
<h1>${esc(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

const verbText = { acknowledge: 'Acknowledge', resolve: 'Resolve' } as const;
const pastText = { acknowledge: 'acknowledged', resolve: 'resolved' } as const;

function details(config: FirebreakConfig, inc: LinkIncident): string {
  const sev = config.severities[inc.severity as keyof FirebreakConfig['severities']]?.name;
  return `<dl>
<dt>Incident</dt><dd>${esc(inc.ref)}</dd>
<dt>Title</dt><dd>${esc(inc.title)}</dd>
<dt>Severity</dt><dd>${esc(inc.severity)}${sev ? ` (${esc(sev)})` : ''}</dd>
<dt>State</dt><dd>${esc(inc.state)}</dd>
</dl>`;
}

/** The confirmation form: posts to this same URL (relative, so a path prefix in public_url still works). */
function form(token: string, action: 'acknowledge' | 'resolve', ref: string): string {
  return `<form method="post" action="${esc(token)}">
<button type="submit">${verbText[action]} ${esc(ref)}</button>
</form>`;
}

const openLink = (config: FirebreakConfig, ref: string) => `<p><a href="${esc(incidentUrl(config, ref))}">Open ${esc(ref)} in Firebreak</a></p>`;

/** Says where the incident already is: "INC-42 is already resolved (by bob at …)". */
function settledSentence(config: FirebreakConfig, inc: LinkIncident, action: 'acknowledge' | 'resolve'): string {
  const done =
    inc.state === 'resolved' || inc.state === 'closed' || inc.state === 'acknowledged' ? `already ${inc.state}` : action === 'acknowledge' ? `already acknowledged (it is now ${inc.state})` : inc.state;
  const by = inc.settled ? ` ${inc.settled.by ? `by ${esc(inc.settled.by)} ` : ''}at ${when(config, inc.settled.at)}` : '';
  return `<p class="notice">${esc(inc.ref)} is ${esc(done)}${by}. There is nothing to ${action} here, and nothing was changed.</p>`;
}

/** Renders an outcome as its page and status. `token` is only echoed into a form when it verified. */
export function renderLinkPage(config: FirebreakConfig, outcome: LinkOutcome, token: string, method: 'GET' | 'POST'): LinkPage {
  switch (outcome.kind) {
    case 'invalid':
      // Forged and malformed read the same: nothing about any incident is revealed.
      return {
        status: 403,
        html: layout(config, 'This link is not valid', `<p class="notice">This link is damaged or was not made by Firebreak, so it cannot do anything.</p>
<p>If you copied it from a message, check that the whole link was copied. Otherwise open the incident in Firebreak directly.</p>`),
      };
    case 'gone':
      return { status: 404, html: layout(config, 'Incident not found', '<p class="notice">The incident this link was made for no longer exists.</p>') };
    case 'expired':
      return {
        status: 410,
        html: layout(
          config,
          'This link has expired',
          `<p class="notice">This ${outcome.claims.a} link for ${esc(outcome.incident.ref)} expired at ${when(config, outcome.claims.e)}. It can no longer be used.</p>\n${openLink(config, outcome.incident.ref)}`,
        ),
      };
    case 'used':
      return {
        status: 409,
        html: layout(
          config,
          'This link was already used',
          `<p class="notice">This link was already used by ${esc(outcome.use.by)} at ${when(config, outcome.use.at)}. A link acts only once.</p>
<p>${esc(outcome.incident.ref)} is now ${esc(outcome.incident.state)}.</p>\n${openLink(config, outcome.incident.ref)}`,
        ),
      };
    case 'settled':
      return {
        status: method === 'GET' ? 200 : 409,
        html: layout(config, `${outcome.incident.ref}: nothing to ${outcome.claims.a}`, `${details(config, outcome.incident)}\n${settledSentence(config, outcome.incident, outcome.claims.a)}\n${openLink(config, outcome.incident.ref)}`),
      };
    case 'ready': {
      const { claims, incident } = outcome;
      const as =
        claims.u !== null
          ? `<p>This link was sent to ${esc(claims.u)}. The button ${claims.a === 'acknowledge' ? 'acknowledges' : 'resolves'} ${esc(incident.ref)} as ${esc(claims.u)}.</p>`
          : `<p>This link was sent to a channel: you need to be signed in to Firebreak in this browser, and it acts as you.</p>`;
      return {
        status: 200,
        html: layout(config, `${verbText[claims.a]} ${incident.ref}?`, `${details(config, incident)}\n${as}\n${form(token, claims.a, incident.ref)}\n<p>Opening this page changed nothing; only the button acts.</p>`),
      };
    }
    case 'sign_in':
      return {
        status: 401,
        html: layout(
          config,
          'Sign in first',
          `${details(config, outcome.incident)}
<p class="notice">This link was sent to a channel, so Firebreak needs to know who you are before it can ${outcome.claims.a} ${esc(outcome.incident.ref)}. Nothing was changed, and the link still works.</p>
<p><a href="${esc(config.organisation.public_url.replace(/\/+$/, ''))}/">Sign in to Firebreak</a> in this browser, then come back to this page and press the button again.</p>
${form(token, outcome.claims.a, outcome.incident.ref)}`,
        ),
      };
    case 'refused': {
      const why =
        outcome.reason === 'recipient_unknown'
          ? `${outcome.who}, the person this link was sent to, is not a Firebreak user.`
          : outcome.reason === 'recipient_disabled'
            ? `${outcome.who}, the person this link was sent to, is disabled in Firebreak.`
            : `${outcome.who} may not ${outcome.claims.a} incidents (role: ${outcome.role ?? 'none'}).`;
      return { status: 403, html: layout(config, 'This link cannot be used', `<p class="notice">${esc(why)} Nothing was changed.</p>\n${openLink(config, outcome.incident.ref)}`) };
    }
    case 'not_validated':
      return {
        status: 409,
        html: layout(
          config,
          `${outcome.incident.ref} stays open`,
          `${details(config, outcome.incident)}
<p class="notice">The resolution was checked and did not pass, so ${esc(outcome.incident.ref)} was not resolved:</p>
<ul>${outcome.failed.map((f) => `<li>${esc(f.name.replace('_', ' '))}: ${esc(f.summary)}</li>`).join('')}</ul>
<p>The check is on the incident's timeline. Fix what failed and press the button again (the link still works), or resolve it in Firebreak with a reason.</p>
${form(token, outcome.claims.a, outcome.incident.ref)}
${openLink(config, outcome.incident.ref)}`,
        ),
      };
    case 'done':
      return {
        status: 200,
        html: layout(
          config,
          `${outcome.incident.ref} ${pastText[outcome.claims.a]}`,
          `<p class="notice">${esc(outcome.incident.ref)} was ${pastText[outcome.claims.a]} by ${esc(outcome.actor)} at ${when(config, outcome.at)}.</p>\n${details(config, outcome.incident)}\n${openLink(config, outcome.incident.ref)}`,
        ),
      };
  }
}

/** A POST that did not come from our own page (another site's form, or a script elsewhere). */
export function crossSitePage(config: FirebreakConfig): LinkPage {
  return {
    status: 403,
    html: layout(config, 'Request refused', '<p class="notice">This button only works on Firebreak’s own page. Open the link from your message again and press the button there. Nothing was changed.</p>'),
  };
}
