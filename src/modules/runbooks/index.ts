export { RunbookRunner, type RunnerDeps, type RunnerOptions } from './runner.ts';
export { startRun } from './start-run.ts';
export { decideStep } from './decide-step.ts';
export { resumeRun, cancelRun } from './control-run.ts';
export { listRunbooks, getRunbook, listRuns, getRun, findRunbook } from './queries.ts';
export * from './schemas.ts';
export { evaluateIncidentRules } from './incident-rules.ts';
export { insertRun, findRun, stepRunsOf, incidentRefOf, type RunRow, type StepRunRow } from './repository.ts';
export { runVariables } from './definition.ts';
