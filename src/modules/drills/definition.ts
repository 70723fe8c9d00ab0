import { MARKER_READ_STEP, MARKER_WRITE_STEP, productionProblems, type DrillConfig } from '../../config/drill-schema.ts';
import type { FirebreakConfig } from '../../config/schema.ts';
import type { LeafStep, RunbookDefinition, RunbookStep } from '../../config/runbook-schema.ts';
import { DomainError, notFound } from '../../lib/errors.ts';

/** A drill from the config, or NOT_FOUND. */
export function findDrill(config: FirebreakConfig, id: string): DrillConfig {
  const drill = config.drills.definitions.find((d) => d.id === id);
  if (!drill) throw notFound('drill', id);
  return drill;
}

/** Refuses a drill that would act on production without saying so (config check refuses it too). */
export function assertSafeTarget(config: FirebreakConfig, drill: DrillConfig, variables: Record<string, unknown>): void {
  const problems = productionProblems(drill, config.drills.targets, variables);
  if (problems.length) throw new DomainError('FORBIDDEN', `drill "${drill.id}" refused: ${problems.join('; ')}`, { problems });
}

/** The failure step: RTO and RPO are measured from its start. */
export const failureStepOf = (drill: DrillConfig, def: RunbookDefinition): string => drill.failure_step ?? def.steps[0].id;

/** What the drill run keeps of its drill, so a later config change does not change how it is measured. */
export interface DrillRecord {
  id: string;
  name: string;
  target: string;
  production: boolean;
  failure_step: string;
  recovered_step: string;
  marker: boolean;
  status_page: 'hold' | 'publish';
}

/**
 * What a drill run executes: the runbook's steps, with the marker written first and the newest
 * surviving marker read last (when the drill measures RPO), and the drill's cleanup steps, which
 * the runbook engine runs at the end whatever happened.
 */
export function drillRunDefinition(drill: DrillConfig, def: RunbookDefinition, markerAt: number): RunbookDefinition & { cleanup: LeafStep[]; drill: DrillRecord } {
  const steps: RunbookStep[] = [...def.steps];
  if (drill.marker) {
    const write: LeafStep = { id: MARKER_WRITE_STEP, name: 'Write the RPO marker', type: 'sql', connection: drill.marker.connection, query: drill.marker.write, params: [markerAt], retries: 0, backoff: 1000, on_failure: 'stop' };
    const read: LeafStep = { id: MARKER_READ_STEP, name: 'Read the newest surviving marker', type: 'sql', connection: drill.marker.read_connection ?? drill.marker.connection, query: drill.marker.read, retries: 2, backoff: 1000, on_failure: 'stop' };
    steps.unshift(write);
    steps.push(read);
  }
  const record: DrillRecord = { id: drill.id, name: drill.name ?? drill.id, target: drill.target, production: drill.production, failure_step: failureStepOf(drill, def), recovered_step: drill.recovered_step, marker: drill.marker !== undefined, status_page: drill.status_page };
  return { ...def, steps, cleanup: drill.cleanup, drill: record };
}
