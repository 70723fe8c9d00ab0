import { z } from 'zod';
import { PD_SEVERITIES } from '../../config/schema.ts';

/**
 * PagerDuty Events API v2 alert events. Plain (not strict) objects: senders add fields of their
 * own, and PagerDuty ignores what it does not know, so Firebreak does too.
 */
const pdPayload = z.object({
  summary: z.string().max(1024).refine((s) => s.trim().length > 0, 'must not be blank'),
  source: z.string().min(1),
  severity: z.enum(PD_SEVERITIES),
  timestamp: z.string().max(64).optional(),
  component: z.string().optional(),
  group: z.string().optional(),
  class: z.string().optional(),
  custom_details: z.unknown().optional(),
});

const context = {
  images: z.array(z.object({ src: z.string(), href: z.string().optional(), alt: z.string().optional() })).optional(),
  links: z.array(z.object({ href: z.string(), text: z.string().optional() })).optional(),
  client: z.string().optional(),
  client_url: z.string().optional(),
};
const routingKey = z.string().min(1);
const dedupKey = z.string().min(1).max(255);

export const pdAlertEvent = z.discriminatedUnion('event_action', [
  z.object({ routing_key: routingKey, event_action: z.literal('trigger'), dedup_key: dedupKey.optional(), payload: pdPayload, ...context }),
  // Acknowledge and resolve need the key of the alert they act on; any payload is ignored.
  z.object({ routing_key: routingKey, event_action: z.literal('acknowledge'), dedup_key: dedupKey, payload: z.unknown().optional(), ...context }),
  z.object({ routing_key: routingKey, event_action: z.literal('resolve'), dedup_key: dedupKey, payload: z.unknown().optional(), ...context }),
]);
export type PdAlertEvent = z.output<typeof pdAlertEvent>;

/** PagerDuty change events (`/v2/change/enqueue`): context such as deploys; they page nobody. */
export const pdChangeEvent = z.object({
  routing_key: routingKey,
  payload: z.object({
    summary: z.string().max(1024).refine((s) => s.trim().length > 0, 'must not be blank'),
    source: z.string().max(1024).optional(),
    timestamp: z.string().max(64).optional(),
    custom_details: z.unknown().optional(),
  }),
  links: context.links,
});
export type PdChangeEvent = z.output<typeof pdChangeEvent>;

/** What became of an accepted event. */
export type IngestOutcome = 'created' | 'grouped' | 'repeated' | 'suppressed' | 'acknowledged' | 'resolved' | 'dropped';

