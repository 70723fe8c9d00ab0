import { DomainError, type ErrorCode } from '../../lib/errors.ts';

/**
 * Why a backup operation refused, more precisely than the domain code: tests, the CLI and the
 * scheduler's incident read `details.reason`.
 */
export type BackupFailure =
  | 'BACKUP_CORRUPT'
  | 'BACKUP_TRUNCATED'
  | 'BACKUP_UNREADABLE'
  | 'BACKUP_WRONG_KEY'
  | 'BACKUP_KEY_MISSING'
  | 'BACKUP_NOT_FOUND'
  | 'BACKUP_ENGINE_MISMATCH'
  | 'BACKUP_CHECK_FAILED'
  | 'BACKUP_LOCKED'
  | 'BACKUP_TOOL_FAILED'
  | 'BACKUPS_NOT_CONFIGURED'
  | 'RESTORE_TARGET_NOT_EMPTY'
  | 'UNKNOWN_TARGET';

const CODES: Record<BackupFailure, ErrorCode> = {
  BACKUP_CORRUPT: 'BAD_REQUEST',
  BACKUP_TRUNCATED: 'BAD_REQUEST',
  BACKUP_UNREADABLE: 'BAD_REQUEST',
  BACKUP_WRONG_KEY: 'BAD_REQUEST',
  BACKUP_KEY_MISSING: 'CONFIG_INVALID',
  BACKUP_NOT_FOUND: 'NOT_FOUND',
  BACKUP_ENGINE_MISMATCH: 'BAD_REQUEST',
  BACKUP_CHECK_FAILED: 'BAD_REQUEST',
  BACKUP_LOCKED: 'CONFLICT',
  BACKUP_TOOL_FAILED: 'INTERNAL',
  BACKUPS_NOT_CONFIGURED: 'CONFIG_INVALID',
  RESTORE_TARGET_NOT_EMPTY: 'CONFLICT',
  UNKNOWN_TARGET: 'NOT_FOUND',
};

export function backupError(reason: BackupFailure, message: string, details: Record<string, unknown> = {}): DomainError {
  return new DomainError(CODES[reason], message, { ...details, reason });
}

export const isBackupFailure = (reason: unknown): reason is BackupFailure => typeof reason === 'string' && reason in CODES;

/** The reason of a backup error, or null for anything else. */
export function backupFailureOf(e: unknown): BackupFailure | null {
  if (!(e instanceof DomainError)) return null;
  const reason = e.details.reason;
  return typeof reason === 'string' && reason in CODES ? (reason as BackupFailure) : null;
}
