import type { Severity } from '../../../config/defaults.ts';
import type { NotificationMessage, Provider, SendDestination } from '../provider.ts';
import { postJson } from './http-post.ts';
import { oneLine, renderTitle, truncate } from './render.ts';

/**
 * Forwarding to PagerDuty's Events API v2: a page triggers, an acknowledgement acknowledges, a
 * resolution resolves, all under one dedup key per incident. PagerDuty answers 202; 400 is final,
 * 429 and 5xx mean the event was not ingested and should be retried. The routing key is the
 * credential and is redacted from any error.
 */

type PagerDutyDestination = Extract<SendDestination, { type: 'pagerduty' }>;
type EventAction = 'trigger' | 'acknowledge' | 'resolve';

const SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = { P0: 'critical', P1: 'error', P2: 'warning', P3: 'info' };
const ACTIONS: Partial<Record<NotificationMessage['kind'], EventAction>> = { page: 'trigger', acknowledged: 'acknowledge', resolved: 'resolve' };

/** The dedup key of an incident: every event about it lands on the same PagerDuty alert. */
export function pagerdutyDedupKey(incidentId: string): string {
  return truncate(`firebreak-${incidentId}`, 255);
}

/** The Events v2 body for a message, or null for kinds that are not forwarded. */
export function pagerdutyEvent(routingKey: string, m: NotificationMessage): Record<string, unknown> | null {
  const action = ACTIONS[m.kind];
  if (!action) return null;
  const base = { routing_key: routingKey, event_action: action, dedup_key: pagerdutyDedupKey(m.incident.id) };
  if (action !== 'trigger') return base;
  const inc = m.incident;
  return {
    ...base,
    payload: {
      summary: truncate(renderTitle(m, 2000), 1024),
      source: 'firebreak',
      severity: SEVERITY[inc.severity] ?? 'error',
      timestamp: inc.detected_at,
      ...(inc.services.length ? { component: inc.services[0] } : {}),
      group: oneLine(m.organisation, 200),
      class: 'incident',
      custom_details: { ref: inc.ref, state: inc.state, services: inc.services, impact: inc.impact, link: inc.url },
    },
    links: [{ href: inc.url, text: `${inc.ref} in Firebreak` }],
    client: 'Firebreak',
    client_url: inc.url,
  };
}

/** PagerDuty Events API v2 provider. */
export const pagerdutyProvider: Provider<PagerDutyDestination> = {
  type: 'pagerduty',
  async send(destination, message, opts) {
    const event = pagerdutyEvent(destination.routing_key, message);
    if (!event) return { ok: true, detail: 'not forwarded to PagerDuty' };
    return postJson({ url: destination.url, body: JSON.stringify(event), timeoutMs: opts.timeoutMs, now: opts.now, secrets: [destination.routing_key] });
  },
};
