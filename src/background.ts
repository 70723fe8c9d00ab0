import { oncallTimerHandlers, type EngineDeps, type IncidentReactor } from './modules/oncall/index.ts';
import { postmortemReactor, postmortemTimerHandlers } from './modules/postmortems/index.ts';
import { resolutionTimerHandlers } from './modules/resolution/index.ts';
import { pipelineTimerHandlers } from './modules/signals/pipeline-timers.ts';
import { maintenanceTimerHandlers, statusPageReactor, statusPageTimerHandlers } from './modules/statuspage/index.ts';
import type { TimerHandler } from './modules/timers/index.ts';

/**
 * What a node does with incident events besides escalating: the status page's automatic posts and
 * the postmortems. One list for the server and for tests that drive a node by hand, so a test
 * never runs a node that production would not.
 */
export const incidentReactors: IncidentReactor[] = [statusPageReactor, postmortemReactor];

/**
 * The durable timers of incidents, by kind: auto-resolve, duration rules and flapping, the stable
 * period, escalation steps and reminders, status-page posts and maintenance moves, postmortem and
 * action-item reminders.
 */
export function incidentTimerHandlers(engine: EngineDeps): Record<string, TimerHandler> {
  return { ...pipelineTimerHandlers, ...resolutionTimerHandlers, ...oncallTimerHandlers(engine), ...statusPageTimerHandlers, ...maintenanceTimerHandlers, ...postmortemTimerHandlers };
}
