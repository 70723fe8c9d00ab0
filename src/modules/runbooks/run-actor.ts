import type { Actor } from '../context.ts';

/**
 * Who a run's steps act as: a responder named after the runbook and the person who started it
 * ("runbook regional-failover (alice)"), so the timeline says who caused what, and a run can do
 * no more than a responder could.
 */
export const runActor = (runbookId: string, startedBy: string): Actor => ({ type: 'system', userId: null, name: `runbook ${runbookId} (${startedBy})`, role: 'responder' });
