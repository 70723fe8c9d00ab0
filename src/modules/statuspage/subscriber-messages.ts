import type { StatusPageConfig } from '../../config/statuspage-schema.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { formatLocalTime, instantToLocal } from '../../lib/zoned-time.ts';
import type { PreparedEmail } from '../notifications/index.ts';
import { cleanText, escapeHtml, oneLine } from '../notifications/index.ts';
import type { ComponentChange } from './component-status.ts';
import type { PageSnapshot, PublicIncident, PublicUpdate, SnapshotComponent } from './snapshot-types.ts';
import { v2Incident } from './v2-json.ts';
import { PHASE_LABELS } from './vocabulary.ts';

/**
 * What subscribers receive, rendered when it is queued: the confirmation request, incident and
 * maintenance notices by email, and the Statuspage webhook envelopes. The confirmation carries no
 * text a stranger typed (only the page's name and a link), so the public form cannot be used to
 * send anyone a message of the sender's choosing.
 */

/** The payload's `meta.documentation`: our webhooks are Statuspage's, field for field. */
export const WEBHOOK_DOCUMENTATION = 'https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/';

type Page = Pick<StatusPageConfig, 'name' | 'url' | 'time_zone'>;

/** "2026-06-01 14:00 (Europe/Berlin)", in the page's zone. */
export function pageTime(ms: number, timeZone: string): string {
  return `${formatLocalTime(instantToLocal(ms, timeZone)).replace('T', ' ')} (${timeZone})`;
}

const footer = (page: Page) => `${oneLine(page.name, 200)} · ${page.url}`;

/** Plain text and HTML from the same paragraphs; links become anchors in HTML. */
function bothParts(paragraphs: { text: string; link?: string }[]): { text: string; html: string } {
  const text = paragraphs.map((p) => (p.link ? `${p.text} ${p.link}` : p.text)).join('\n\n');
  const html = [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"></head>',
    '<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#212121">',
    ...paragraphs.map((p) =>
      p.link ? `<p style="margin:0 0 12px 0">${escapeHtml(p.text)} <a href="${escapeHtml(p.link)}">${escapeHtml(p.link)}</a></p>` : `<p style="white-space:pre-wrap;margin:0 0 12px 0">${escapeHtml(p.text)}</p>`,
    ),
    '</body></html>',
  ].join('\n');
  return { text: `${text}\n`, html };
}

/** The double opt-in request: the page's name, the link, and that ignoring it is fine. */
export function confirmationEmail(page: Page, link: string, expiresAt: number): PreparedEmail {
  const name = oneLine(page.name, 200);
  const parts = bothParts([
    { text: `Someone, hopefully you, asked to receive status updates from ${name} at this email address.` },
    { text: 'Confirm your subscription:', link },
    { text: `The link is valid until ${pageTime(expiresAt, page.time_zone)}. If you did not ask for this, ignore this email: nothing more will be sent to you.` },
    { text: `-- \n${footer(page)}` },
  ]);
  return { subject: `[${name}] Confirm your subscription`, ...parts, headers: {}, fromName: name };
}

/** The update a notice is about: the last one posted (not the latest displayed, which can be backdated). */
export function latestUpdate(incident: PublicIncident): PublicUpdate | null {
  let latest: PublicUpdate | null = null;
  for (const u of incident.updates) if (!latest || u.created_at > latest.created_at || (u.created_at === latest.created_at && u.id > latest.id)) latest = u;
  return latest;
}

/** The subject's status words: "Identified", "Scheduled (reminder)". */
export function statusLabel(incident: PublicIncident, event: 'created' | 'updated' | 'reminder'): string {
  const label = PHASE_LABELS[incident.status] ?? incident.status;
  return event === 'reminder' ? `${label} (reminder)` : label;
}

/**
 * An incident or maintenance notice: "[<page>] <name> – <status>", the latest update's text, the
 * affected components, the incident's page, and the unsubscribe link (in the body and as the
 * RFC 8058 one-click List-Unsubscribe headers).
 */
export function incidentEmail(page: Page, incident: PublicIncident, componentNames: Map<string, string>, event: 'created' | 'updated' | 'reminder', links: { incident: string; unsubscribe: string }, chosen: string[] | null): PreparedEmail {
  const name = oneLine(page.name, 200);
  const update = latestUpdate(incident);
  const affected = incident.components.map((id) => componentNames.get(id) ?? id);
  const paragraphs: { text: string; link?: string }[] = [{ text: `${oneLine(incident.name, 300)}\nStatus: ${statusLabel(incident, event)}${incident.kind === 'maintenance' ? ' (scheduled maintenance)' : ''}` }];
  if (incident.kind === 'maintenance' && incident.scheduled_for !== null) {
    const until = incident.scheduled_until === null ? '' : ` until ${pageTime(incident.scheduled_until, page.time_zone)}`;
    paragraphs.push({ text: `${event === 'reminder' ? 'Reminder: this maintenance starts' : 'Scheduled for'} ${pageTime(incident.scheduled_for, page.time_zone)}${until}.` });
  }
  if (update) paragraphs.push({ text: cleanText(update.body, 10_000) }, { text: `Posted ${pageTime(update.display_at, page.time_zone)}` });
  paragraphs.push({ text: `Affected components: ${affected.length ? affected.join(', ') : 'none listed'}` });
  paragraphs.push({ text: 'Details:', link: links.incident });
  const scope = chosen === null ? 'all components' : chosen.map((id) => componentNames.get(id) ?? id).join(', ');
  paragraphs.push({ text: `-- \nYou receive this because you subscribed to status updates from ${name} (${scope}).` }, { text: 'Unsubscribe:', link: links.unsubscribe });
  return {
    subject: `[${name}] ${oneLine(incident.name, 200)} – ${statusLabel(incident, event)}`,
    ...bothParts(paragraphs),
    headers: { 'List-Unsubscribe': `<${links.unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    fromName: name,
  };
}

/** The `page` block of a webhook: the page-level status as the JSON API computes it (see pageIndicator). */
const webhookPage = (s: PageSnapshot) => ({ id: s.page.id, status_indicator: s.status.indicator, status_description: s.status.description });

/** Statuspage's incident webhook: `{ meta, page, incident }`, the incident as /api/v2/incidents.json has it. */
export function incidentWebhookBody(s: PageSnapshot, incident: PublicIncident, unsubscribe: string): string {
  return JSON.stringify({ meta: { unsubscribe, documentation: WEBHOOK_DOCUMENTATION }, page: webhookPage(s), incident: v2Incident(s, incident) });
}

/** Statuspage's component webhook: `{ meta, page, component_update, component }`. */
export function componentWebhookBody(s: PageSnapshot, change: ComponentChange, component: SnapshotComponent, unsubscribe: string): string {
  return JSON.stringify({
    meta: { unsubscribe, documentation: WEBHOOK_DOCUMENTATION },
    page: webhookPage(s),
    component_update: { id: String(change.id), component_id: change.component, created_at: isoTime(change.at), old_status: change.from, new_status: change.to },
    component: { id: component.id, name: component.name, status: change.to, created_at: isoTime(component.created_at) },
  });
}
