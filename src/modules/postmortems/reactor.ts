import type { Ctx } from '../context.ts';
import { findIncidentRow, type IncidentView } from '../incidents/index.ts';
import { createPostmortemRecord } from './create-postmortem.ts';

/**
 * The postmortems' share of the reaction consumer (see OncallWorker's `reactors`): an incident of
 * a severity in `postmortems.severities` that resolved gets its postmortem. Events are consumed at
 * least once, and the incident id is unique among postmortems, so a repeat creates nothing. An
 * incident reopened before this ran gets its postmortem when it resolves again; one reopened after
 * keeps the postmortem it has.
 */
export async function postmortemReactor(tx: Ctx, incidents: Map<string, IncidentView>, events: Map<string, { topic: string }[]>): Promise<void> {
  const severities = new Set<string>(tx.config.current.postmortems.severities);
  const automation: Ctx = { ...tx, actor: { ...tx.actor, name: 'postmortem automation' } };
  for (const [id, list] of events) {
    if (!list.some((e) => e.topic === 'incident.resolved')) continue;
    const view = incidents.get(id);
    if (!view || (view.state !== 'resolved' && view.state !== 'closed') || !severities.has(view.severity)) continue;
    const row = await findIncidentRow(tx, id);
    // A false positive has nothing to learn from, and an incident merged into its root cause is
    // written up there.
    if (row.resolution === 'not_an_incident' || row.merged_into !== null) continue;
    await createPostmortemRecord(automation, row, { source: 'auto' });
  }
}
