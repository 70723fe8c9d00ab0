import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { newId } from '../../lib/ids.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { channelDestination } from './destinations.ts';
import { enqueueNotifications } from './enqueue.ts';
import type { NotificationMessage } from './provider.ts';

/**
 * Queues a test message to a channel, through the same outbox, retries and attempt log as a page,
 * so "is the Slack webhook still good?" is answered before an incident asks it.
 */
export async function testChannel(ctx: Ctx, channelId: string): Promise<{ notification: string }> {
  requireRole(ctx, 'admin');
  const config = ctx.config.current;
  const channel = config.channels.find((c) => c.id === channelId);
  if (!channel) throw new DomainError('NOT_FOUND', `no channel "${channelId}"`, { channel: channelId });
  const now = ctx.clock.now();
  const key = newId('test', now);
  const message: NotificationMessage = {
    kind: 'test',
    idempotencyKey: key,
    incident: {
      id: 'test',
      ref: 'INC-0',
      title: 'Test message from Firebreak',
      severity: 'P3',
      state: 'resolved',
      services: [],
      impact: { customer_facing: false, user_share: 0, impacted_services: [] },
      url: config.organisation.public_url,
      detected_at: isoTime(now),
      triggered_at: isoTime(now),
    },
    body: `A test of channel "${channel.name ?? channel.id}", sent by ${ctx.actor.name}. Nothing is wrong.`,
    organisation: config.organisation.name,
    created_at: isoTime(now),
  };
  return withTransaction(ctx, async (tx) => {
    await enqueueNotifications(tx, [{ key, incidentId: null, destination: channelDestination(channelId), provider: channel.type, user: null, message, notBefore: now }]);
    await writeAudit(tx, { action: 'channel.tested', entityType: 'channel', entityId: channelId, data: {} });
    const row = await q(tx).selectFrom('notifications').select('id').where('key', '=', key).executeTakeFirstOrThrow();
    return { notification: row.id };
  });
}
