import { withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { setTimer } from '../timers/index.ts';
import { BACKUP_TIMER } from './scheduler.ts';

/**
 * A backup now, through the schedule: the backup timer is made due at once, so the next timer
 * pass (on any node) starts the scheduled backup and prune outside any request, and the next
 * scheduled one follows `every` after it. A backup takes minutes; no request waits for one. Its
 * outcome is recorded like any scheduled backup's (GET /api/v1/backups; a failure raises the
 * backup incident).
 */
export async function requestBackup(ctx: Ctx): Promise<{ queued: true; due_at: string }> {
  requireRole(ctx, 'admin');
  const cfg = ctx.config.current.backups;
  // Refusals are conflicts with how this server is set up, not server faults.
  if (!cfg.configured) throw new DomainError('CONFLICT', 'backups are not configured: add a "backups:" section with an encryption key to firebreak.yaml (see docs/configuration.md#backups)', { reason: 'BACKUPS_NOT_CONFIGURED' });
  if (!cfg.enabled) throw new DomainError('CONFLICT', 'scheduled backups are turned off (backups.enabled: false), so no server will pick this up; run "firebreak backup create" instead', { reason: 'BACKUPS_NOT_SCHEDULED' });
  const now = ctx.clock.now();
  await withTransaction(ctx, async (tx) => {
    // The schedule's one backup timer (scheduler.ts): moving it, not adding another, keeps one backup at a time.
    await setTimer(tx, BACKUP_TIMER, 'schedule', now);
    await writeAudit(tx, { action: 'backup.requested', entityType: 'backup', entityId: 'schedule', data: {} });
  });
  return { queued: true, due_at: isoTime(now) };
}
