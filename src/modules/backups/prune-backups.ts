import { withTransaction } from '../../db/transaction.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { leaseOwner } from './create-backup.ts';
import { backupError } from './errors.ts';
import { withBackupLease } from './lock.ts';
import { markDeleted, verifiedIds } from './repository.ts';
import { planRetention, type RetentionPlan } from './retention.ts';
import { backupsOf, selectTargets, type BackupEnv } from './run-context.ts';

/** Backup ids carry their time, so planning needs no manifest downloads. */
const timeOfId = (id: string) => {
  const m = /^fbk-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(id)!;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]);
};

/**
 * `firebreak backup prune`: per target, plans what the retention policy keeps, logs the plan, then
 * deletes the rest (unless `dryRun`). The newest verified backup is never deleted.
 */
export async function pruneBackups(ctx: Ctx, env: BackupEnv, input: { target?: string; dryRun?: boolean } = {}): Promise<{ target: string; plan: RetentionPlan; deleted: string[] }[]> {
  requireRole(ctx, 'admin');
  const policy = backupsOf(ctx.config.current).retention;
  const targets = await selectTargets(ctx, env.dataDir, input.target);
  const held = await withBackupLease(ctx, leaseOwner(), async () => {
    const out: { target: string; plan: RetentionPlan; deleted: string[] }[] = [];
    for (const target of targets) {
      const verified = await verifiedIds(ctx, target.id);
      const ids = await target.list();
      const plan = planRetention(ids.map((id) => ({ id, createdAt: timeOfId(id), verified: verified.has(id) })), policy, ctx.clock.now());
      env.logger?.info({ target: target.id, keep: plan.keep, delete: plan.delete, dry_run: !!input.dryRun }, 'backup retention plan');
      const deleted: string[] = [];
      if (!input.dryRun) {
        for (const d of plan.delete) {
          await target.remove(d.id);
          await withTransaction(ctx, async (tx) => {
            await markDeleted(tx, d.id, target.id, ctx.clock.now());
            await writeAudit(tx, { action: 'backup.deleted', entityType: 'backup', entityId: d.id, data: { target: target.id, reason: d.reason } });
          });
          deleted.push(d.id);
        }
      }
      out.push({ target: target.id, plan, deleted });
    }
    return out;
  });
  if (!held) throw backupError('BACKUP_LOCKED', 'another backup, verification or prune is running (on this or another node); try again when it has finished');
  return held.value;
}
