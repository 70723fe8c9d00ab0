/** Backups of Firebreak's own data: create, verify, restore and prune, their schedule and metrics (docs/backups.md). */
export { createBackup, type CreateBackupResult } from './create-backup.ts';
export { verifyBackup, type VerifyResult } from './verify-backup.ts';
export { restoreBackup, type RestoreResult } from './restore-backup.ts';
export { pruneBackups } from './prune-backups.ts';
export { planRetention, type RetentionCandidate, type RetentionPlan } from './retention.ts';
export { backupMetricsText } from './backup-metrics.ts';
export { backupSchedule, ensureBackupTimers, scheduledBackup, scheduledVerify, BACKUP_TIMER, VERIFY_TIMER, BACKUP_ALERT_KEY, VERIFY_ALERT_KEY, RESTORE_SLOW_ALERT_KEY } from './scheduler.ts';
export { loadMasterKey, parseKey } from './keys.ts';
export { storeLocation, type StoreLocation } from './tools.ts';
export { backupFailureOf, type BackupFailure } from './errors.ts';
export { listBackupRows } from './repository.ts';
export type { BackupEnv, Progress } from './run-context.ts';
export { listBackups, backupStatus, listBackupsQuery, backupListingView, type BackupListing, type BackupTargetView, type BackupEntryView } from './list-backups.ts';
export { requestBackup, requestVerification } from './request-backup.ts';
