import type { FirebreakConfig } from '../../config/schema.ts';
import { isoTime } from '../../lib/iso-time.ts';
import type { IncidentView } from '../incidents/index.ts';
import { signLink, type LinkAction } from './action-links.ts';
import type { MessageKind, NotificationMessage } from './provider.ts';

/** Where a person opens an incident in Firebreak. */
export const incidentUrl = (config: FirebreakConfig, ref: string) => `${config.organisation.public_url.replace(/\/+$/, '')}/incidents/${ref}`;

/** A one-click link's URL: a confirmation page that acts on POST (so link scanners never act). */
export const actionLinkUrl = (config: FirebreakConfig, token: string) => `${config.organisation.public_url.replace(/\/+$/, '')}/a/${token}`;

export interface MessageInput {
  kind: MessageKind;
  key: string;
  incident: IncidentView;
  /** Signing key and nonce for acknowledge/resolve links; absent: no links. */
  links?: { signingKey: Buffer; nonce: string; recipient: string | null; actions: readonly LinkAction[] };
  escalation?: NotificationMessage['escalation'];
  body?: string;
  recipient?: string;
}

/** Renders the medium-independent message a provider turns into its own format. */
export function buildMessage(config: FirebreakConfig, now: number, input: MessageInput): NotificationMessage {
  const inc = input.incident;
  const links: NotificationMessage['links'] = {};
  if (input.links) {
    const expires = now + config.notifications.link_ttl;
    for (const action of input.links.actions) {
      const token = signLink(input.links.signingKey, { i: inc.id, a: action, u: input.links.recipient, e: expires, n: `${input.links.nonce}/${action}` });
      links[action] = actionLinkUrl(config, token);
    }
  }
  return {
    kind: input.kind,
    idempotencyKey: input.key,
    incident: {
      id: inc.id,
      ref: inc.ref,
      title: inc.title,
      severity: inc.severity,
      state: inc.state,
      services: inc.services,
      impact: { customer_facing: inc.impact.customer_facing, user_share: inc.impact.user_share, impacted_services: inc.impact.impacted_services },
      url: incidentUrl(config, inc.ref),
      detected_at: inc.detected_at,
      triggered_at: inc.triggered_at,
    },
    ...(Object.keys(links).length ? { links } : {}),
    ...(input.escalation ? { escalation: input.escalation } : {}),
    ...(input.body !== undefined ? { body: input.body } : {}),
    ...(input.recipient !== undefined ? { recipient: input.recipient } : {}),
    organisation: config.organisation.name,
    created_at: isoTime(now),
  };
}
