export { resolveIncident, recordValidation } from './resolve-incident.ts';
export { resolveIfValid, resolutionTimerHandlers } from './stable-period.ts';
export { validateResolution, describeValidation, VALIDATION_CHECKS, type ValidationResult, type ValidationCheck, type RunCheck, type LiveCheckResult } from './validate-resolution.ts';
