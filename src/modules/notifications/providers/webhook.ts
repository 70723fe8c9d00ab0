import { createHmac } from 'node:crypto';
import type { NotificationMessage, Provider, SendDestination } from '../provider.ts';
import { postJson } from './http-post.ts';

/**
 * The generic JSON webhook: a documented, versioned body (docs/notifications.md), an
 * `idempotency-key` header receivers use to drop repeats, and an optional HMAC-SHA256 signature
 * over "timestamp.body" so a receiver can check origin and freshness.
 */

type WebhookDestination = Extract<SendDestination, { type: 'webhook' }>;

/** Headers we set that custom `headers` must not override (the signature and identity depend on them). */
const RESERVED = new Set(['content-type', 'idempotency-key', 'x-firebreak-event', 'x-firebreak-timestamp', 'x-firebreak-signature']);

/** The body, version 1. Field order is stable; new fields may be added, never renamed. */
export function webhookBody(m: NotificationMessage): Record<string, unknown> {
  return {
    version: 1,
    event: m.kind,
    idempotency_key: m.idempotencyKey,
    created_at: m.created_at,
    organisation: m.organisation,
    incident: { ...m.incident, services: [...m.incident.services], impact: { ...m.incident.impact } },
    links: { incident: m.incident.url, acknowledge: m.links?.acknowledge ?? null, resolve: m.links?.resolve ?? null },
    escalation: m.escalation ? { ...m.escalation } : null,
    body: m.body ?? null,
    recipient: m.recipient ?? null,
  };
}

/** "v1=" + hex HMAC-SHA256(secret, `${timestamp}.${rawBody}`), as sent in x-firebreak-signature. */
export function webhookSignature(secret: string, timestamp: number | string, rawBody: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/** Generic JSON webhook provider. */
export const webhookProvider: Provider<WebhookDestination> = {
  type: 'webhook',
  send(destination, message, opts) {
    const raw = JSON.stringify(webhookBody(message));
    const timestamp = Math.floor(opts.now() / 1000);
    const custom = Object.entries(destination.headers ?? {}).filter(([name]) => !RESERVED.has(name.toLowerCase()));
    const headers: Record<string, string> = {
      ...Object.fromEntries(custom.map(([name, value]) => [name.toLowerCase(), value])),
      'content-type': 'application/json',
      'x-firebreak-event': message.kind,
      'idempotency-key': message.idempotencyKey,
      'x-firebreak-timestamp': String(timestamp),
    };
    headers['user-agent'] ??= 'Firebreak';
    if (destination.secret) headers['x-firebreak-signature'] = webhookSignature(destination.secret, timestamp, raw);
    const secrets = [...(destination.secret ? [destination.secret] : []), ...custom.map(([, value]) => value)];
    return postJson({ url: destination.url, body: raw, headers, timeoutMs: opts.timeoutMs, now: opts.now, secrets });
  },
};
