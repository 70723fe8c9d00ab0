import type { StatusPageService } from '../../modules/statuspage/index.ts';
import type { RouteDef } from '../route.ts';

/** Managing the status page: components and overrides, public incidents, maintenance, subscribers. */
export function statusPageAdminRoutes(_service: StatusPageService): RouteDef[] {
  return [];
}
