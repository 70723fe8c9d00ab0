export { OncallWorker, createEngine, type OncallWorkerDeps } from './worker.ts';
export { oncallTimerHandlers } from './timer-handlers.ts';
export { ESCALATE_TIMER, STAKEHOLDER_TIMER, REMINDER_TIMER, bindPolicy, type EngineDeps, type BoundPolicy } from './escalation-state.ts';
export { checkEscalationLateness, LATE_ALERT_KEY, LATE_STEP_MS } from './watchdog.ts';
export { whoIsOnCall, loadOverrides } from './on-call.ts';
export { resolveTargets } from './recipients.ts';
export { escalateNow, reassignIncident, rebindEscalation, escalateInput, reassignInput } from './escalation-verbs.ts';
export { getEscalation, listNotifications, listNotificationsQuery, listEscalationPolicies, listChannels, requestEngine } from './escalation-views.ts';
export { listSchedules, getSchedule, scheduleOnCall, scheduleShifts, everyoneOnCall, userShifts } from './schedule-views.ts';
export { createOverride, swapShifts, cancelOverride, listOverrides } from './overrides.ts';
export { calendarFeedUrl, scheduleCalendar, userCalendar, publicScheduleCalendar, publicUserCalendar, feedToken, feedPath, CALENDAR_FEED_KEY, type FeedSubject } from './calendar-feeds.ts';
export {
  createOverrideInput,
  swapInput,
  atQuery,
  rangeQuery,
  shiftsQuery,
  overridesQuery,
  feedQuery,
  scheduleIdParams,
  overrideParams,
  userHandleParams,
  scheduleView,
  scheduleListView,
  scheduleOnCallView,
  shiftsView,
  everyoneOnCallView,
  userShiftsView,
  overrideView,
  overrideListView,
  swapView,
  feedUrlView,
  parseIsoInstant,
  type OverrideView,
  type ScheduleView,
} from './schedule-schemas.ts';
export { oncallMetricsText } from './oncall-metrics.ts';
export type { IncidentReactor } from './reactions.ts';
