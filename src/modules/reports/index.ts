export { submitReport, parseReport, REPORTS_ACTOR, type SubmitOptions } from './submit-report.ts';
export { listReports } from './list-reports.ts';
export * from './schemas.ts';
