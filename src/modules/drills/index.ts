export { startDrill } from './start-drill.ts';
export { settleDrills, measureDrill } from './settle-drills.ts';
export { listDrills, listDrillRuns, getDrillRun, drillKpis, drillRunsQuery, type DrillKpis } from './queries.ts';
export { ensureDrillTimers, drillTimerHandlers, startDrillLoop, DRILL_TIMER } from './scheduler.ts';
export type { DrillReport, DrillRunView, DrillView, Measure } from './views.ts';
