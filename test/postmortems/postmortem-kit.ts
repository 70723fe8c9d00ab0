import { oncallTimerHandlers } from '../../src/modules/oncall/index.ts';
import { postmortemReactor, postmortemTimerHandlers } from '../../src/modules/postmortems/index.ts';
import { statusPageReactor, statusPageTimerHandlers } from '../../src/modules/statuspage/index.ts';
import type { TestEnv } from '../helpers/env.ts';
import { nodeDriver } from '../helpers/node-driver.ts';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/**
 * Resolving is a plain state change here (no health-check validation) and nothing is posted to the
 * status page by itself, so each test decides what is public.
 */
export function plainResolution(env: TestEnv): void {
  const c = env.config.current;
  env.config.current = { ...c, resolution: { ...c.resolution, validate: false }, status_page: { ...c.status_page, auto_post: { ...c.status_page.auto_post, enabled: false } } };
}

/**
 * Drives a node's background work by hand on the manual clock: incident reactions (the status
 * page's and the postmortems' shares) and due timers, until nothing is left.
 */
export const postmortemDriver = (env: TestEnv) =>
  nodeDriver(env, { reactors: [statusPageReactor, postmortemReactor], handlers: (engine) => ({ ...oncallTimerHandlers(engine), ...statusPageTimerHandlers, ...postmortemTimerHandlers }) });

/** Postmortem or action-item reminders (`what`) queued for a user, oldest first. */
export async function remindersFor(env: TestEnv, handle: string, what: 'postmortem' | 'action-item') {
  return env.db.kysely
    .selectFrom('notifications')
    .select(['key', 'kind', 'message', 'user_handle', 'incident_id', 'status'])
    .where('user_handle', '=', handle)
    .where('kind', '=', 'reminder')
    .where('key', 'like', `%/${what}/%`)
    .orderBy('created_at')
    .orderBy('key')
    .execute();
}
