export { ingestEvent } from './ingest-event.ts';
export { ingestAlertmanager, type AlertmanagerResult } from './ingest-alertmanager.ts';
export { findIntegrationByKey, integrationActor, integrationKeyMatches } from './integrations.ts';
export * from './schemas.ts';
export { ingestChange } from './ingest-change.ts';
