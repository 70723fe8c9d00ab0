export { ingestEvent } from './ingest-event.ts';
export { findIntegrationByKey, integrationActor } from './integrations.ts';
export * from './schemas.ts';
