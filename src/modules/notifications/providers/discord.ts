import type { NotificationMessage, Provider, SendDestination } from '../provider.ts';
import { postJson } from './http-post.ts';
import { colourInt, footerText, messageBody, messageColour, messageLinks, renderTitle, summaryFacts, truncate } from './render.ts';

/**
 * Discord "execute webhook": plain content plus one embed. Mentions are switched off entirely
 * (`allowed_mentions.parse: []`) so "@everyone" in an incident title pings nobody. Success is 204
 * (or 200 with `?wait=true`); a 429 carries `retry_after` in seconds, read by the shared classifier.
 */

type DiscordDestination = Extract<SendDestination, { type: 'discord' }>;

/** Escapes Discord markdown link syntax in text that goes inside `[label](url)`. */
function linkLabel(text: string): string {
  return text.replace(/[[\]()\\]/g, '\\$&');
}

/** The webhook payload: content, one embed, no mentions. */
export function discordPayload(m: NotificationMessage): Record<string, unknown> {
  const title = renderTitle(m);
  const body = messageBody(m, 3000);
  const links = messageLinks(m)
    .map((l) => `[${linkLabel(l.label)}](${l.url.replace(/\(/g, '%28').replace(/\)/g, '%29')})`)
    .join(' · ');
  const description = truncate([body, links].filter(Boolean).join('\n\n'), 4096);
  const embed = {
    title: truncate(title, 256),
    url: m.incident.url,
    description,
    color: colourInt(messageColour(m)),
    // Discord caps a field value at 1024 characters and an embed at 25 fields.
    fields: summaryFacts(m).slice(0, 25).map((f) => ({ name: f.label, value: truncate(f.value, 1024), inline: f.short })),
    timestamp: new Date(Date.parse(m.created_at) || Date.parse(m.incident.detected_at) || 0).toISOString(),
    footer: { text: footerText(m) },
  };
  return { content: truncate(title, 2000), embeds: [embed], allowed_mentions: { parse: [] } };
}

/** Discord webhook provider. */
export const discordProvider: Provider<DiscordDestination> = {
  type: 'discord',
  send: (destination, message, opts) => postJson({ url: destination.url, body: JSON.stringify(discordPayload(message)), timeoutMs: opts.timeoutMs, now: opts.now }),
};
