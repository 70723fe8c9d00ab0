import type { RouteDef } from '../route.ts';

/** One-click acknowledge/resolve links from messages: a confirmation page (GET) that acts on POST. */
export function actionLinkRoutes(): RouteDef[] {
  return [];
}
