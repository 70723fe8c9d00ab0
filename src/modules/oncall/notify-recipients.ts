import type { Ctx } from '../context.ts';
import type { IncidentView } from '../incidents/index.ts';
import { buildMessage, enqueueNotifications, type MessageKind, type Recipient } from '../notifications/index.ts';
import type { EngineDeps } from './escalation-state.ts';

/**
 * Queues one message about an incident for each recipient, keyed `<incident>/<purpose>/<destination>`
 * so asking twice queues once. Returns the recipients that were new.
 */
export async function notifyRecipients(
  tx: Ctx,
  engine: EngineDeps,
  incident: IncidentView,
  recipients: Recipient[],
  kind: MessageKind,
  purpose: string,
  opts: { links: boolean; body?: string; escalation?: { level: number; round: number }; keysAreNew?: boolean },
): Promise<Recipient[]> {
  const config = tx.config.current;
  const now = tx.clock.now();
  const keyOf = (r: Recipient) => `${incident.id}/${purpose}/${r.destination}`;
  const fresh = await enqueueNotifications(
    tx,
    recipients.map((r) => ({
      key: keyOf(r),
      incidentId: incident.id,
      destination: r.destination,
      provider: r.provider,
      user: r.user,
      notBefore: now + r.delayMs,
      message: buildMessage(config, now, {
        kind,
        key: keyOf(r),
        incident,
        ...(opts.links ? { links: { signingKey: engine.signingKey, nonce: keyOf(r), recipient: r.user, actions: ['acknowledge', 'resolve'] as const } } : {}),
        ...(opts.escalation ? { escalation: { ...opts.escalation, reason: r.reason } } : {}),
        ...(opts.body !== undefined ? { body: opts.body } : {}),
        ...(r.user ? { recipient: config.users.find((u) => u.handle === r.user)?.name ?? r.user } : {}),
      }),
    })),
    { keysAreNew: opts.keysAreNew ?? false },
  );
  const made = new Set(fresh);
  return recipients.filter((r) => made.has(keyOf(r)));
}
