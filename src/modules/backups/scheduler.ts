import { withTransaction } from '../../db/transaction.ts';
import type { Logger } from '../../lib/logger.ts';
import { clearInternalAlert, raiseInternalAlert } from '../signals/index.ts';
import type { Ctx } from '../context.ts';
import { serviceObjectives } from '../recovery/index.ts';
import type { Timer, TimerHandler } from '../timers/index.ts';
import { setTimer } from '../timers/index.ts';
import { createBackup } from './create-backup.ts';
import { backupFailureOf } from './errors.ts';
import { pruneBackups } from './prune-backups.ts';
import { insertTimerIfAbsent } from './repository.ts';
import type { BackupEnv } from './run-context.ts';
import { verifyBackup } from './verify-backup.ts';

export const BACKUP_TIMER = 'backups.create';
export const VERIFY_TIMER = 'backups.verify';
const SUBJECT = 'schedule';
export const BACKUP_ALERT_KEY = 'firebreak/backup-failed';
export const VERIFY_ALERT_KEY = 'firebreak/backup-verify-failed';
export const RESTORE_SLOW_ALERT_KEY = 'firebreak/backup-restore-slower-than-rto';

/** The service Firebreak's backup incidents are raised on: the configured one, else the first service. */
function alertService(ctx: Ctx): string | null {
  const cfg = ctx.config.current;
  const named = cfg.backups.configured ? cfg.backups.service : undefined;
  return named && cfg.services.some((s) => s.id === named) ? named : (cfg.services[0]?.id ?? null);
}

/** Raises (or, once it works again, resolves) the internal alert for a scheduled step. */
export async function reportOutcome(ctx: Ctx, key: string, what: string, error: unknown, logger?: Logger): Promise<void> {
  const service = alertService(ctx);
  if (!service) {
    if (error) logger?.error({ err: error }, `${what} failed and no service is configured to raise an incident on`);
    return;
  }
  await withTransaction(ctx, async (tx) => {
    if (error) {
      await raiseInternalAlert(tx, {
        dedupKey: key,
        serviceId: service,
        summary: `Firebreak ${what} failed: ${(error as Error).message}`.slice(0, 1000),
        severity: 'P1',
        details: { reason: backupFailureOf(error) ?? 'ERROR', message: (error as Error).message },
      });
    } else {
      await clearInternalAlert(tx, { dedupKey: key, serviceId: service, summary: `Firebreak ${what} works again` });
    }
  });
}

/** One scheduled backup then prune; the outcome raises or resolves the incident. */
export async function scheduledBackup(ctx: Ctx, env: BackupEnv): Promise<void> {
  try {
    const r = await createBackup(ctx, env);
    env.logger?.info({ backup: r.manifest.id, targets: r.targets }, 'scheduled backup stored');
    await pruneBackups(ctx, env);
    await reportOutcome(ctx, BACKUP_ALERT_KEY, 'backup', null, env.logger);
  } catch (e) {
    // Another node is already at it: not a failure.
    if (backupFailureOf(e) === 'BACKUP_LOCKED') return;
    env.logger?.error({ err: e }, 'scheduled backup failed');
    await reportOutcome(ctx, BACKUP_ALERT_KEY, 'backup', e, env.logger);
  }
}

/**
 * Verifies the newest backup in every target; any failure raises the incident. The slowest
 * measured restore is compared with the recovery time objective of the backups' service: a
 * restore that alone takes longer than the RTO allows raises its own alert.
 */
export async function scheduledVerify(ctx: Ctx, env: BackupEnv): Promise<void> {
  const cfg = ctx.config.current.backups;
  if (!cfg.configured) return;
  let failure: unknown = null;
  let slowest: { target: string; backup: string; ms: number } | null = null;
  for (const t of cfg.targets) {
    try {
      const r = await verifyBackup(ctx, env, { target: t.id });
      env.logger?.info({ backup: r.id, target: t.id, duration_ms: r.duration_ms }, 'scheduled restore test passed');
      if (!slowest || r.duration_ms > slowest.ms) slowest = { target: t.id, backup: r.id, ms: r.duration_ms };
    } catch (e) {
      if (backupFailureOf(e) === 'BACKUP_LOCKED') return;
      env.logger?.error({ err: e, target: t.id }, 'scheduled restore test failed');
      failure ??= e;
    }
  }
  await reportOutcome(ctx, VERIFY_ALERT_KEY, 'backup verification', failure, env.logger);
  if (slowest) await reportRestoreTime(ctx, slowest);
}

/** Raises (P3) or resolves the alert saying a measured restore is slower than the service's RTO. */
async function reportRestoreTime(ctx: Ctx, slowest: { target: string; backup: string; ms: number }): Promise<void> {
  const service = alertService(ctx);
  if (!service) return;
  const { rto_ms } = serviceObjectives(ctx.config.current, service);
  await withTransaction(ctx, async (tx) => {
    if (slowest.ms > rto_ms) {
      await raiseInternalAlert(tx, {
        dedupKey: RESTORE_SLOW_ALERT_KEY,
        serviceId: service,
        summary: `Restoring Firebreak's backup took ${Math.round(slowest.ms / 1000)} s, over the RTO of ${Math.round(rto_ms / 1000)} s for ${service}`,
        severity: 'P3',
        details: { target: slowest.target, backup: slowest.backup, restore_ms: slowest.ms, rto_ms },
      });
    } else {
      await clearInternalAlert(tx, { dedupKey: RESTORE_SLOW_ALERT_KEY, serviceId: service, summary: "Restoring Firebreak's backup fits the RTO again" });
    }
  });
}

/**
 * Timer handlers: a timer only moves itself forward and starts the work after its transaction,
 * because a backup takes minutes and must not hold a transaction (on SQLite, every writer) open.
 * The lease keeps a second node's run from overlapping. `stop` waits for a run in progress, so
 * shutdown does not close the database under it.
 */
export function backupSchedule(
  env: BackupEnv,
  run: { backup: (ctx: Ctx) => Promise<void>; verify: (ctx: Ctx) => Promise<void> } = { backup: (c) => scheduledBackup(c, env), verify: (c) => scheduledVerify(c, env) },
): { handlers: Record<string, TimerHandler>; stop(): Promise<void> } {
  const running = new Set<Promise<void>>();
  let stopped = false;
  const handler = (kind: 'backup' | 'verify') => async (tx: Ctx, _timer: Timer) => {
    const cfg = tx.config.current.backups;
    if (!cfg.configured || !cfg.enabled) return;
    await setTimer(tx, kind === 'backup' ? BACKUP_TIMER : VERIFY_TIMER, SUBJECT, tx.clock.now() + (kind === 'backup' ? cfg.every : cfg.verify_every));
    const outer: Ctx = { ...tx, trx: undefined, requestId: `${kind}-${tx.clock.now()}` };
    setImmediate(() => {
      if (stopped) return;
      const p = run[kind](outer)
        .catch((err) => env.logger?.error({ err }, `scheduled ${kind} crashed`))
        .finally(() => running.delete(p));
      running.add(p);
    });
  };
  return {
    handlers: { [BACKUP_TIMER]: handler('backup'), [VERIFY_TIMER]: handler('verify') },
    async stop() {
      stopped = true;
      await Promise.all(running);
    },
  };
}

/** At start: the schedule's timers exist when backups are enabled (first backup soon, first restore test after one interval). */
export async function ensureBackupTimers(ctx: Ctx): Promise<void> {
  const cfg = ctx.config.current.backups;
  if (!cfg.configured || !cfg.enabled) return;
  const now = ctx.clock.now();
  await withTransaction(ctx, async (tx) => {
    await insertTimerIfAbsent(tx, BACKUP_TIMER, SUBJECT, now + 60_000);
    await insertTimerIfAbsent(tx, VERIFY_TIMER, SUBJECT, now + cfg.verify_every);
  });
}
