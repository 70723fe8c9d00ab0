import type { StatusPageService } from '../../modules/statuspage/index.ts';
import type { RouteDef } from '../route.ts';

/** Public subscription: subscribe (email double opt-in, webhook), confirm, unsubscribe. */
export function statusSubscriptionRoutes(_service: StatusPageService): RouteDef[] {
  return [];
}
