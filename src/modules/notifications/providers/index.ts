import type { ProviderType } from '../../../config/oncall-schema.ts';
import type { NotificationMessage, Provider, SendDestination, SendOptions, SendResult } from '../provider.ts';
import { discordProvider } from './discord.ts';
import { emailProvider } from './email.ts';
import { ntfyProvider } from './ntfy.ts';
import { pagerdutyProvider } from './pagerduty.ts';
import { slackProvider } from './slack.ts';
import { teamsProvider } from './teams.ts';
import { webhookProvider } from './webhook.ts';

export { closeEmailTransports } from './email.ts';

/** Every provider, by destination type. */
// Each provider narrows its destination type; dispatch below pairs them by `type`.
export const PROVIDERS: Record<ProviderType, Provider<any>> = {
  slack: slackProvider,
  teams: teamsProvider,
  discord: discordProvider,
  email: emailProvider,
  webhook: webhookProvider,
  ntfy: ntfyProvider,
  pagerduty: pagerdutyProvider,
};

/** One attempt through the destination's provider; an unexpected throw becomes a retryable failure. */
export async function sendVia(destination: SendDestination, message: NotificationMessage, opts: SendOptions): Promise<SendResult> {
  const provider = Object.hasOwn(PROVIDERS, destination.type) ? PROVIDERS[destination.type] : undefined;
  if (!provider) return { ok: false, retryable: false, error: `unknown provider type "${String(destination.type).slice(0, 40)}"` };
  try {
    const result = (await provider.send(destination, message, opts)) as SendResult | undefined;
    if (!result || typeof result.ok !== 'boolean') return { ok: false, retryable: true, error: `the ${destination.type} provider returned no result` };
    return result;
  } catch (e) {
    // Providers never throw by contract; the message is not shown, since it might carry a URL.
    const name = e instanceof Error ? e.name : typeof e;
    return { ok: false, retryable: true, error: `unexpected error in the ${destination.type} provider (${name.slice(0, 40)})` };
  }
}
