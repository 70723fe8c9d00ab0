import type { EscalationTarget, Urgency } from '../../config/oncall-schema.ts';
import type { Ctx } from '../context.ts';
import { channelRecipient, dedupeRecipients, userRecipients, type Recipient } from '../notifications/index.ts';
import { whoIsOnCall } from './on-call.ts';

/**
 * Turns an escalation level's targets into the destinations to notify now: a schedule becomes
 * whoever is on call for it at this moment, a user their contact methods for the urgency, a group
 * its members and channels. `notes` say what could not be resolved (nobody on call), for the timeline.
 */
export async function resolveTargets(ctx: Ctx, targets: EscalationTarget[], urgency: Urgency, at: number): Promise<{ recipients: Recipient[]; notes: string[] }> {
  const config = ctx.config.current;
  const recipients: Recipient[] = [];
  const notes: string[] = [];
  for (const target of targets) {
    if ('user' in target) recipients.push(...userRecipients(config, target.user, urgency, 'named in the escalation policy'));
    else if ('schedule' in target) {
      const schedule = config.schedules.find((s) => s.id === target.schedule);
      if (!schedule) {
        notes.push(`schedule "${target.schedule}" is no longer configured`);
        continue;
      }
      const segment = await whoIsOnCall(ctx, schedule, at);
      if (segment) recipients.push(...userRecipients(config, segment.user, urgency, `on call for ${schedule.name}`));
      else notes.push(`nobody is on call for ${schedule.name}`);
    } else if ('channel' in target) {
      const r = channelRecipient(config, target.channel, 'channel in the escalation policy');
      if (r) recipients.push(r);
      else notes.push(`channel "${target.channel}" is no longer configured`);
    } else recipients.push(...groupRecipients(ctx, target.group, urgency));
  }
  return { recipients: dedupeRecipients(recipients), notes };
}

/** A stakeholder group's members (by their rules for the urgency) and channels. */
export function groupRecipients(ctx: Ctx, groupId: string, urgency: Urgency): Recipient[] {
  const config = ctx.config.current;
  const group = config.stakeholder_groups.find((g) => g.id === groupId);
  if (!group) return [];
  const reason = `member of ${group.name}`;
  return dedupeRecipients([
    ...group.members.flatMap((h) => userRecipients(config, h, urgency, reason)),
    ...group.channels.map((c) => channelRecipient(config, c, `channel of ${group.name}`)).filter((r): r is Recipient => r !== null),
  ]);
}
