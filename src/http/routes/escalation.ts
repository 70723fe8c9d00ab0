import type { RouteDef } from '../route.ts';

/** An incident's escalation and notifications: view, escalate by hand, reassign, re-bind; channel tests. */
export function escalationRoutes(): RouteDef[] {
  return [];
}
