import type { NotificationMessage, Provider, SendDestination } from '../provider.ts';
import { postJson } from './http-post.ts';
import { footerText, messageBody, messageLinks, renderTitle, summaryFacts, truncate } from './render.ts';

/**
 * Slack incoming webhook with Block Kit. Slack answers 200 "ok"; 400 (invalid_payload) and
 * 403/404 (a revoked or deleted hook) are final, which the shared classification already says.
 */

type SlackDestination = Extract<SendDestination, { type: 'slack' }>;

/** Escapes text for Slack mrkdwn, so incident text cannot produce links or `<!channel>` mentions. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The Block Kit payload: `text` fallback, header, fields, context and URL buttons. */
export function slackPayload(m: NotificationMessage): Record<string, unknown> {
  const title = renderTitle(m);
  const body = messageBody(m, 2800);
  const fields = summaryFacts(m)
    .slice(0, 10) // Slack's limit per section
    .map((f) => ({ type: 'mrkdwn', text: truncate(`*${f.label}*\n${slackEscape(f.value)}`, 2000) }));
  const context = [footerText(m), m.escalation ? `escalation level ${m.escalation.level}, round ${m.escalation.round}` : ''].filter(Boolean).join(' · ');
  const blocks: Record<string, unknown>[] = [
    // Header text is plain_text, capped at 150 characters by Slack.
    { type: 'header', text: { type: 'plain_text', text: truncate(title, 150), emoji: false } },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`<${m.incident.url}|${slackEscape(m.incident.ref)}> ${slackEscape(m.incident.title)}`, 3000) }, fields },
  ];
  if (body) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: slackEscape(body) } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(context) }] });
  blocks.push({
    type: 'actions',
    elements: messageLinks(m).map((l, i) => ({
      type: 'button',
      action_id: `firebreak-${i}-${l.label.toLowerCase().replace(/\s+/g, '-')}`,
      text: { type: 'plain_text', text: l.label },
      url: l.url,
      ...(l.label === 'Acknowledge' ? { style: 'primary' } : {}),
    })),
  });
  return { text: slackEscape(title), blocks };
}

/** Slack incoming webhook provider. */
export const slackProvider: Provider<SlackDestination> = {
  type: 'slack',
  send: (destination, message, opts) => postJson({ url: destination.url, body: JSON.stringify(slackPayload(message)), timeoutMs: opts.timeoutMs, now: opts.now }),
};
