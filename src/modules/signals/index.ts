export { ingestEvent } from './ingest-event.ts';
export { ingestAlertmanager, type AlertmanagerResult } from './ingest-alertmanager.ts';
export { ingestGrafana } from './ingest-grafana.ts';
export { ingestGeneric } from './ingest-generic.ts';
export type { AlertsResult } from './alert-lifecycle.ts';
export { findIntegrationByKey, integrationActor, integrationKeyMatches } from './integrations.ts';
export * from './schemas.ts';
export { ingestChange } from './ingest-change.ts';
export { IntegrationRateLimits } from './rate-limits.ts';
