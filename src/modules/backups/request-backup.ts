import { withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { setTimer } from '../timers/index.ts';
import { BACKUP_TIMER, VERIFY_TIMER } from './scheduler.ts';

/**
 * A backup now, through the schedule: the backup timer is made due at once, so the next timer
 * pass (on any node) starts the scheduled backup and prune outside any request, and the next
 * scheduled one follows `every` after it. A backup takes minutes; no request waits for one. Its
 * outcome is recorded like any scheduled backup's (GET /api/v1/backups; a failure raises the
 * backup incident).
 */
export async function requestBackup(ctx: Ctx): Promise<{ queued: true; due_at: string }> {
  return requestScheduled(ctx, BACKUP_TIMER, 'backup.requested', 'firebreak backup create');
}

/**
 * A restore test now, through the schedule: the weekly verification timer is made due at once, so
 * the next timer pass restores the newest backup of every target into scratch and checks it, and
 * records the measured restore time (a failure raises the verification incident, as scheduled).
 */
export async function requestVerification(ctx: Ctx): Promise<{ queued: true; due_at: string }> {
  return requestScheduled(ctx, VERIFY_TIMER, 'backup.verify_requested', 'firebreak backup verify');
}

async function requestScheduled(ctx: Ctx, timer: string, action: string, command: string): Promise<{ queued: true; due_at: string }> {
  requireRole(ctx, 'admin');
  const cfg = ctx.config.current.backups;
  // Refusals are conflicts with how this server is set up, not server faults.
  if (!cfg.configured) throw new DomainError('CONFLICT', 'backups are not configured: add a "backups:" section with an encryption key to firebreak.yaml (see docs/configuration.md#backups)', { reason: 'BACKUPS_NOT_CONFIGURED' });
  if (!cfg.enabled) throw new DomainError('CONFLICT', `scheduled backups are turned off (backups.enabled: false), so no server will pick this up; run "${command}" instead`, { reason: 'BACKUPS_NOT_SCHEDULED' });
  const now = ctx.clock.now();
  await withTransaction(ctx, async (tx) => {
    // The schedule's one timer of its kind (scheduler.ts): moving it, not adding another, keeps one run at a time.
    await setTimer(tx, timer, 'schedule', now);
    await writeAudit(tx, { action, entityType: 'backup', entityId: 'schedule', data: {} });
  });
  return { queued: true, due_at: isoTime(now) };
}
