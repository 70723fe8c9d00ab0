import { atomUrl, esc, historyUrl, rssUrl } from './render-html.ts';
import type { PageSnapshot } from './snapshot-types.ts';

/**
 * "Get updates": plain HTML forms (no script) posting to /status/subscribe, one per channel the
 * config enables, and the feeds, which are always there. The action is root-relative on purpose:
 * /status/… keeps its path on the page's own host too (see statusHostPath), and a same-origin
 * post never depends on the configured URL matching the address the reader used.
 */

export const SUBSCRIBE_ACTION = '/status/subscribe';

/** Leaf components as subscription choices, named with their group ("Platform: API"). */
function componentChoices(s: PageSnapshot, kind: 'email' | 'webhook'): string {
  const groups = new Map(s.components.filter((c) => c.group).map((c) => [c.id, c.name]));
  const leaves = s.components.filter((c) => !c.group);
  if (!leaves.length) return '';
  const boxes = leaves
    .map((c) => {
      const id = `sub-${kind}-c-${c.id}`;
      const group = c.group_id !== null ? groups.get(c.group_id) : undefined;
      return `<li class="check"><input type="checkbox" id="${esc(id)}" name="components" value="${esc(c.id)}"><label for="${esc(id)}">${group ? `${esc(group)}: ` : ''}${esc(c.name)}</label></li>`;
    })
    .join('');
  return `<details><summary>Only some components (optional)</summary><fieldset><legend>Components to hear about; none chosen means all</legend><ul>${boxes}</ul></fieldset></details>`;
}

function form(s: PageSnapshot, kind: 'email' | 'webhook'): string {
  const field =
    kind === 'email'
      ? `<label for="sub-email">Email address</label><input id="sub-email" name="email" type="email" required autocomplete="email" maxlength="254" placeholder="you@example.com">`
      : `<label for="sub-url">Webhook URL</label><input id="sub-url" name="url" type="url" required maxlength="2000" placeholder="https://example.com/hooks/status">`;
  const title = kind === 'email' ? 'By email' : 'By webhook';
  const hint = kind === 'email' ? 'We will send a link to confirm your address.' : 'We will POST a JSON notice to this URL on every incident update and component change.';
  return `<form class="sub" method="post" action="${SUBSCRIBE_ACTION}" aria-labelledby="sub-${kind}-h"><h3 id="sub-${kind}-h">${title}</h3><input type="hidden" name="kind" value="${kind}">${field}<p class="meta">${hint}</p>${componentChoices(s, kind)}<button type="submit">Subscribe ${kind === 'email' ? 'by email' : 'a webhook'}</button></form>`;
}

/** The subscribe section of the main page (its anchor, #subscribe, is linked from every page). */
export function renderSubscribe(s: PageSnapshot): string {
  const forms = [s.page.subscribe.email ? form(s, 'email') : '', s.page.subscribe.webhook ? form(s, 'webhook') : ''].join('');
  const feeds = `<p>Follow in a feed reader: <a href="${esc(rssUrl(s))}">RSS</a> or <a href="${esc(atomUrl(s))}">Atom</a>. Past incidents are in the <a href="${esc(historyUrl(s))}">incident history</a>.</p>`;
  return `<section id="subscribe" aria-labelledby="subscribe-h"><h2 id="subscribe-h">Get updates</h2>${forms ? `<div class="subs">${forms}</div>` : ''}${feeds}</section>`;
}
