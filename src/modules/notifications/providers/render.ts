import { DEFAULT_SEVERITIES, type Severity } from '../../../config/defaults.ts';
import type { MessageKind, NotificationMessage } from '../provider.ts';

/**
 * What every provider says, in the same words: a one-line title, labelled facts, the free text and
 * the links. Providers only lay these out for their medium, so Slack, email and ntfy agree.
 */

/** One labelled fact of the summary ("Severity", "P0 Critical: …"). `short` facts fit side by side. */
export interface Fact {
  label: string;
  value: string;
  short: boolean;
}

/** A link a reader can act on, in display order. */
export interface MessageLink {
  label: 'Acknowledge' | 'Resolve' | 'Open incident';
  url: string;
}

/** Severity colours as hex, shared by Slack, Teams, Discord, email. */
export const SEVERITY_COLOURS: Record<Severity, string> = { P0: '#d32f2f', P1: '#f57c00', P2: '#fbc02d', P3: '#1976d2' };
const RESOLVED_COLOUR = '#2e7d32';
const TEST_COLOUR = '#757575';

/** Collapses whitespace, strips control characters and cuts to `max` characters (with "…"). */
export function oneLine(text: string, max = 250): string {
  return truncate(text.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim(), max);
}

/** Cuts `text` to at most `max` characters, ending with "…" when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Multi-line free text with control characters (other than newlines and tabs) removed. */
export function cleanText(text: string, max: number): string {
  return truncate(text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '').trim(), max);
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** The words before the incident in a title, by kind ("Resolved:", "Escalated (level 2):"); empty for a first page. */
export function kindPrefix(m: NotificationMessage): string {
  const prefixes: Record<Exclude<MessageKind, 'page'>, string> = {
    acknowledged: 'Acknowledged:',
    resolved: 'Resolved:',
    stakeholder: 'Stakeholder notice:',
    update: 'Update:',
    reminder: 'Reminder:',
    test: 'Test:',
  };
  if (m.kind !== 'page') return prefixes[m.kind];
  const e = m.escalation;
  if (!e || (e.level <= 1 && e.round <= 1)) return '';
  return `Escalated (level ${e.level}${e.round > 1 ? `, round ${e.round}` : ''}):`;
}

/** "[P0] INC-42 Database down", prefixed by kind: the subject, header and push title everywhere. */
export function renderTitle(m: NotificationMessage, max = 250): string {
  const prefix = kindPrefix(m);
  return oneLine(`${prefix ? `${prefix} ` : ''}[${m.incident.severity}] ${m.incident.ref} ${m.incident.title}`, max);
}

/** "P0 Critical: Complete loss of service or security incident". */
export function severityMeaning(severity: Severity): string {
  const s = DEFAULT_SEVERITIES[severity] as { name: string; definition: string } | undefined;
  return s ? `${severity} ${s.name}: ${s.definition}` : severity;
}

/** A 0..1 share as "35%" (one decimal when needed). */
export function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

/** An ISO time as "2024-05-01 12:34:56 UTC"; the input unchanged when it does not parse. */
export function formatTime(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "customer-facing: yes, 35% of users, impacted services: db, api". */
export function describeImpact(m: NotificationMessage): string {
  const i = m.incident.impact;
  const services = i.impacted_services.length ? i.impacted_services.join(', ') : 'none recorded';
  return `customer-facing: ${i.customer_facing ? 'yes' : 'no'}, ${percent(i.user_share)} of users, impacted services: ${services}`;
}

/** The labelled facts of a message, in display order. */
export function summaryFacts(m: NotificationMessage): Fact[] {
  const inc = m.incident;
  const facts: Fact[] = [
    { label: 'Severity', value: severityMeaning(inc.severity), short: false },
    { label: 'State', value: oneLine(inc.state, 100), short: true },
    { label: 'Services', value: oneLine(inc.services.length ? inc.services.join(', ') : 'none', 500), short: true },
    { label: 'Impact', value: oneLine(describeImpact(m), 800), short: false },
    { label: 'Detected', value: formatTime(inc.detected_at), short: true },
  ];
  if (m.escalation) {
    const e = m.escalation;
    facts.push({ label: 'Escalation', value: oneLine(`level ${e.level}, round ${e.round}: ${e.reason}`, 500), short: false });
  }
  if (m.recipient) facts.push({ label: 'For', value: oneLine(m.recipient, 200), short: true });
  return facts;
}

/** Acknowledge and Resolve (when the message carries them), then the incident page. */
export function messageLinks(m: NotificationMessage): MessageLink[] {
  const links: MessageLink[] = [];
  if (m.links?.acknowledge) links.push({ label: 'Acknowledge', url: m.links.acknowledge });
  if (m.links?.resolve) links.push({ label: 'Resolve', url: m.links.resolve });
  links.push({ label: 'Open incident', url: m.incident.url });
  return links;
}

/** The free text (update, reminder, test), cleaned; null when there is none. */
export function messageBody(m: NotificationMessage, max = 3000): string | null {
  const body = m.body === undefined ? '' : cleanText(m.body, max);
  return body ? body : null;
}

/** The plain-text summary: facts, the free text, then the links; for email, ntfy and fallbacks. */
export function renderSummary(m: NotificationMessage): string {
  const lines = summaryFacts(m).map((f) => `${f.label}: ${f.value}`);
  const body = messageBody(m);
  if (body) lines.push('', body);
  lines.push('');
  for (const link of messageLinks(m)) lines.push(`${link.label === 'Open incident' ? 'Incident' : link.label}: ${link.url}`);
  return lines.join('\n');
}

/** The accent colour of a message as hex: green once resolved, grey for tests, else the severity's. */
export function messageColour(m: NotificationMessage): string {
  if (m.kind === 'resolved') return RESOLVED_COLOUR;
  if (m.kind === 'test') return TEST_COLOUR;
  return SEVERITY_COLOURS[m.incident.severity] ?? TEST_COLOUR;
}

/** A "#rrggbb" colour as the integer Discord wants. */
export function colourInt(hex: string): number {
  return Number.parseInt(hex.replace(/^#/, ''), 16);
}

/** "Firebreak · Example Corp", for footers and context lines. */
export function footerText(m: NotificationMessage): string {
  return oneLine(`Firebreak · ${m.organisation}`, 200);
}
