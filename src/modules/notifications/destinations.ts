import type { ChannelConfig, ProviderType, Urgency } from '../../config/oncall-schema.ts';
import type { FirebreakConfig } from '../../config/schema.ts';
import type { SendDestination } from './provider.ts';

/**
 * A destination is named, not copied: `channel:<id>` or `user:<handle>:<method>`. Notifications
 * store the name, and the provider settings (webhook URLs, tokens: credentials) are read from the
 * config when the message is sent, so no secret is ever written to the database.
 */
export interface Recipient {
  destination: string;
  provider: ProviderType;
  /** The person it reaches, when it reaches one. */
  user: string | null;
  /** Sent this long after the step (a user's "call me after 5 minutes" rule). */
  delayMs: number;
  /** Why this recipient, for the timeline: "on call for Database primary". */
  reason: string;
}

export const channelDestination = (id: string) => `channel:${id}`;
export const userDestination = (handle: string, method: string) => `user:${handle}:${method}`;

/**
 * How a person is reached at an urgency: their rules (an empty list: not at this urgency, their
 * choice), else every contact method at once, else their email.
 */
export function userRecipients(config: FirebreakConfig, handle: string, urgency: Urgency, reason: string): Recipient[] {
  const user = config.users.find((u) => u.handle === handle);
  const chosen = user?.notification_rules[urgency];
  const all = user?.contact_methods.map((m) => ({ method: m.id, after: 0 })) ?? [];
  const list = chosen ?? (all.length ? all : [{ method: 'email', after: 0 }]);
  return list.map((r) => ({
    destination: userDestination(handle, r.method),
    provider: user?.contact_methods.find((m) => m.id === r.method)?.type ?? 'email',
    user: handle,
    delayMs: r.after,
    reason,
  }));
}

export function channelRecipient(config: FirebreakConfig, id: string, reason: string): Recipient | null {
  const channel = config.channels.find((c) => c.id === id);
  return channel ? { destination: channelDestination(id), provider: channel.type, user: null, delayMs: 0, reason } : null;
}

/** One entry per destination, the earliest delay kept: someone on call twice is paged once. */
export function dedupeRecipients(list: Recipient[]): Recipient[] {
  const by = new Map<string, Recipient>();
  for (const r of list) {
    const seen = by.get(r.destination);
    if (!seen || r.delayMs < seen.delayMs) by.set(r.destination, r);
  }
  return [...by.values()];
}

export type ResolvedDestination = { ok: true; destination: SendDestination; limits: { perMinute: number; giveUpAfter: number } } | { ok: false; error: string };

/**
 * The provider settings behind a destination name, from the current config. A user who is in the
 * database but not in the config is reached by email at `fallbackEmail`.
 */
export function resolveDestination(config: FirebreakConfig, name: string, fallbackEmail?: string | null): ResolvedDestination {
  const defaults = { perMinute: config.notifications.rate_limit.per_minute, giveUpAfter: config.notifications.give_up_after };
  if (name.startsWith('channel:')) {
    const channel = config.channels.find((c) => c.id === name.slice(8));
    if (!channel) return { ok: false, error: `channel "${name.slice(8)}" is no longer configured` };
    return { ok: true, destination: channelSettings(channel), limits: { perMinute: channel.rate_limit?.per_minute ?? defaults.perMinute, giveUpAfter: channel.give_up_after ?? defaults.giveUpAfter } };
  }
  const m = /^user:([^:]+):([^:]+)$/.exec(name);
  if (!m) return { ok: false, error: `unknown destination "${name}"` };
  const [, handle, method] = m;
  const user = config.users.find((u) => u.handle === handle);
  const contact = user?.contact_methods.find((c) => c.id === method);
  if (contact) {
    if (contact.type === 'email') return { ok: true, destination: { id: contact.id, type: 'email', to: [contact.address ?? user!.email] }, limits: defaults };
    return { ok: true, destination: contact, limits: defaults };
  }
  if (method === 'email') {
    const address = user?.email ?? fallbackEmail;
    if (address) return { ok: true, destination: { id: 'email', type: 'email', to: [address] }, limits: defaults };
  }
  return { ok: false, error: `contact method "${method}" of user "${handle}" is no longer configured` };
}

function channelSettings(channel: ChannelConfig): SendDestination {
  if (channel.type === 'email') return { id: channel.id, type: 'email', to: channel.to };
  return channel;
}

/** Problems in a config that loads but cannot deliver, for a warning at start (email without SMTP). */
export function deliveryWarnings(config: FirebreakConfig): string[] {
  if (config.notifications.smtp) return [];
  const byEmail = config.users.filter((u) => ['high', 'low'].some((urgency) => userRecipients(config, u.handle, urgency as Urgency, '').some((r) => r.provider === 'email'))).map((u) => u.handle);
  const channels = config.channels.filter((c) => c.type === 'email').map((c) => c.id);
  if (!byEmail.length && !channels.length) return [];
  return [
    `notifications.smtp is not set, so email cannot be sent: ${[...(byEmail.length ? [`users ${byEmail.join(', ')}`] : []), ...(channels.length ? [`channels ${channels.join(', ')}`] : [])].join(' and ')} would not be reached by email`,
  ];
}
