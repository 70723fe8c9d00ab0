import type { NotificationMessage, Provider, SendDestination } from '../provider.ts';
import { postJson } from './http-post.ts';
import { footerText, messageBody, messageLinks, renderTitle, summaryFacts } from './render.ts';

/**
 * Microsoft Teams through a Power Automate "post to a channel when a webhook request is received"
 * workflow: a message with one Adaptive Card 1.4 attachment. Workflow endpoints answer 202.
 */

type TeamsDestination = Extract<SendDestination, { type: 'teams' }>;

/** Adaptive Card colours: P0/P1 "attention", P2 "warning", resolved "good". */
function cardColour(m: NotificationMessage): string {
  if (m.kind === 'resolved') return 'good';
  if (m.kind === 'test') return 'default';
  return m.incident.severity === 'P0' || m.incident.severity === 'P1' ? 'attention' : m.incident.severity === 'P2' ? 'warning' : 'accent';
}

/** The workflow payload: `{type:'message', attachments:[adaptive card]}`. */
export function teamsPayload(m: NotificationMessage): Record<string, unknown> {
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: renderTitle(m), size: 'Large', weight: 'Bolder', color: cardColour(m), wrap: true },
    { type: 'FactSet', facts: summaryFacts(m).map((f) => ({ title: f.label, value: f.value })) },
  ];
  const text = messageBody(m);
  if (text) body.push({ type: 'TextBlock', text, wrap: true });
  body.push({ type: 'TextBlock', text: footerText(m), isSubtle: true, size: 'Small', wrap: true });
  const content = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    actions: messageLinks(m).map((l) => ({ type: 'Action.OpenUrl', title: l.label, url: l.url })),
    msteams: { width: 'Full' },
  };
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] };
}

/** Teams (Power Automate workflow webhook) provider. */
export const teamsProvider: Provider<TeamsDestination> = {
  type: 'teams',
  send: (destination, message, opts) => postJson({ url: destination.url, body: JSON.stringify(teamsPayload(message)), timeoutMs: opts.timeoutMs, now: opts.now }),
};
