import type { RouteDef } from '../route.ts';

/** On-call schedules: who is on call, overrides and swaps, calendar feeds. */
export function scheduleRoutes(): RouteDef[] {
  return [];
}
