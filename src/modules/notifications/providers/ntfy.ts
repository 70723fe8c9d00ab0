import type { Severity } from '../../../config/defaults.ts';
import type { NotificationMessage, Provider, SendDestination } from '../provider.ts';
import { postJson } from './http-post.ts';
import { messageLinks, renderSummary, renderTitle, truncate } from './render.ts';

/**
 * ntfy push notifications: the JSON publish form, POSTed to the server root with the topic in the
 * body. Priority follows severity for the first page; follow-ups are default priority (3) so an
 * "acknowledged" does not wake anyone again.
 */

type NtfyDestination = Extract<SendDestination, { type: 'ntfy' }>;

const PRIORITY: Record<Severity, number> = { P0: 5, P1: 4, P2: 3, P3: 2 };
/** ntfy turns messages over 4096 bytes into attachments; stay well under. */
const MAX_MESSAGE = 3500;

/** 5 (max) for a P0 page down to 2 for P3; 3 for acknowledgements, updates, reminders, tests. */
export function ntfyPriority(m: NotificationMessage): number {
  return m.kind === 'page' || m.kind === 'stakeholder' ? (PRIORITY[m.incident.severity] ?? 3) : 3;
}

/** Emoji shortcode tags ntfy shows before the title, plus the severity. */
function tags(m: NotificationMessage): string[] {
  const emoji: Record<NotificationMessage['kind'], string> = {
    page: m.incident.severity === 'P0' || m.incident.severity === 'P1' ? 'rotating_light' : 'warning',
    stakeholder: 'loudspeaker',
    acknowledged: 'eyes',
    resolved: 'white_check_mark',
    update: 'memo',
    reminder: 'alarm_clock',
    test: 'test_tube',
  };
  return [emoji[m.kind], m.incident.severity];
}

/** The JSON publish body. */
export function ntfyPayload(topic: string, m: NotificationMessage): Record<string, unknown> {
  return {
    topic,
    title: renderTitle(m),
    message: truncate(renderSummary(m), MAX_MESSAGE),
    priority: ntfyPriority(m),
    tags: tags(m),
    click: m.incident.url,
    // ntfy allows three actions; there are at most three links.
    actions: messageLinks(m).map((l) => ({ action: 'view', label: l.label, url: l.url, clear: l.label !== 'Open incident' })),
  };
}

/** ntfy provider. */
export const ntfyProvider: Provider<NtfyDestination> = {
  type: 'ntfy',
  send(destination, message, opts) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (destination.token) headers.authorization = `Bearer ${destination.token}`;
    const body = JSON.stringify(ntfyPayload(destination.topic, message));
    return postJson({ url: destination.url, body, headers, timeoutMs: opts.timeoutMs, now: opts.now, secrets: destination.token ? [destination.token] : [] });
  },
};
