export { serviceObjectives, listObjectives, type ServiceObjectives } from './objectives.ts';
export { rpoExposure, listRpo, evaluateRpo, rpoMetricsText, rpoStatus, rpoAlertKey, countsTowardRpo, RPO_WARN_SHARE, type ServiceRpo, type RpoSource, type RpoStatus } from './rpo.ts';
export { recordRecoveryPoint, allRecoveryPoints, type RecoveryPointInput, type RecoverySource } from './rpo-store.ts';
export { parseRestorableAt, parseSizeBytes } from './rpo-values.ts';
