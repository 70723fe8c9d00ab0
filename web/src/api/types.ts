/**
 * The API's types, taken from the server's own schemas: a change to the API that breaks the
 * console fails `npm run typecheck` (type-only imports: nothing of the server is bundled).
 */
export type { IncidentView, TimelineEntryView, IncidentPage } from '../../../src/modules/incidents/index.ts';
