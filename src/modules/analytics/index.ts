export { analyticsQuery, responseReportView, qualityReportView, availabilityReportView, postmortemsReportView, patternsReportView, type AnalyticsQueryInput } from './schemas.ts';
export type { ResponseReport, QualityReport, AvailabilityReport, PostmortemsReport, PatternsReport } from './schemas.ts';
export { resolveFilter, DEFAULT_PERIOD, MAX_PERIOD, type AnalyticsFilter } from './period.ts';
export { responseReport, responseCsv } from './response.ts';
export { qualityReport, qualityCsv } from './quality.ts';
export { availabilityReport, availabilityCsv } from './availability.ts';
export { postmortemsReport, postmortemsCsv } from './postmortems.ts';
export { patternsReport, patternsCsv } from './patterns.ts';
export { toCsv } from './csv.ts';
