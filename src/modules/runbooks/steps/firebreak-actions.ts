import { channelRecipient, dedupeRecipients, enqueueNotifications, buildMessage, userRecipients } from '../../notifications/index.ts';
import { addNote, changeSeverity, createIncident, loadIncidentViewsById, recordChange, transitionIncident, type LifecycleVerb } from '../../incidents/index.ts';
import { publishIncident } from '../../statuspage/index.ts';
import { withTransaction } from '../../../db/transaction.ts';
import type { Severity } from '../../../config/defaults.ts';
import type { Ctx } from '../../context.ts';
import { StepFailure, type StepEnv } from './types.ts';

/** Steps that act inside Firebreak, through the same verbs as people (as the run's responder actor). */

function requireIncident(env: StepEnv, what: string): { id: string; number: number } {
  if (!env.incident) throw new StepFailure(`${what} needs the run to have an incident (start it with one, or create one in an earlier step)`);
  return env.incident;
}

/**
 * Queues a message about the run's incident to channels and people through the notification
 * outbox, in the caller's transaction; `key` makes it once per destination. Returns the destinations.
 */
export async function queueRunbookMessage(tx: Ctx, incident: { id: string; number: number }, to: { channels?: string[]; users?: string[] }, body: string, key: string): Promise<string[]> {
  const config = tx.config.current;
  const recipients = dedupeRecipients([
    ...(to.channels ?? []).map((c) => channelRecipient(config, c, 'runbook')).filter((r) => r !== null),
    ...(to.users ?? []).flatMap((u) => userRecipients(config, u, 'high', 'runbook')),
  ]);
  if (!recipients.length) return [];
  const [view] = await loadIncidentViewsById(tx, [incident.id]);
  const now = tx.clock.now();
  await enqueueNotifications(
    tx,
    recipients.map((r) => ({
      key: `${key}/${r.destination}`,
      incidentId: incident.id,
      destination: r.destination,
      provider: r.provider,
      user: r.user,
      message: buildMessage(config, now, { kind: 'update', key: `${key}/${r.destination}`, incident: view, body }),
      notBefore: now + r.delayMs,
    })),
  );
  return recipients.map((r) => r.destination);
}

/** Queues the step's message, with its timeline entry, in one transaction. */
export async function runNotifyStep(spec: { message: string; channels?: string[]; users?: string[] }, env: StepEnv): Promise<{ queued: string[] }> {
  const incident = requireIncident(env, 'notify');
  // People reached by a drill are told it is one before they read anything else.
  const message = env.drill ? `[drill ${env.drill.id}] ${spec.message}` : spec.message;
  return withTransaction(env.ctx, async (tx) => {
    const queued = await queueRunbookMessage(tx, incident, spec, message, `runbook/${env.runId}/${env.stepPath}`);
    if (!queued.length) throw new StepFailure('none of the channels or users can be reached');
    await recordChange(tx, incident, { kind: 'update_sent', body: `Runbook message sent to ${queued.join(', ')}`, data: { run: env.runId, step: env.stepPath, recipients: queued } }, { touch: false });
    return { queued };
  });
}

/**
 * Posts the incident's public update on the status page (creating its public incident on first
 * use). In a drill that holds its status page, the update is written on the incident's timeline as
 * what would have been posted, and nothing reaches the public page.
 */
export async function runStatuspageStep(spec: { status: 'investigating' | 'identified' | 'monitoring' | 'resolved'; body: string; name?: string }, env: StepEnv): Promise<{ public_incident: string | null; held?: true }> {
  const incident = requireIncident(env, 'statuspage');
  if (env.drill && env.drill.status_page === 'hold') {
    await withTransaction(env.ctx, (tx) =>
      recordChange(tx, incident, { kind: 'note', body: `Drill ${env.drill!.id}: status page update held (not published). It would read, as ${spec.status}: ${spec.body}`, data: { run: env.runId, step: env.stepPath, drill: env.drill!.id, held: { status: spec.status, body: spec.body, ...(spec.name ? { name: spec.name } : {}) } } }),
    );
    return { public_incident: null, held: true };
  }
  const view = await publishIncident(env.ctx, incident.id, { status: spec.status, body: spec.body, ...(spec.name ? { name: spec.name } : {}) });
  return { public_incident: view.public_incident?.id ?? null };
}

export interface IncidentSpec {
  action: 'create' | 'note' | 'severity' | 'acknowledge' | 'investigate' | 'identify' | 'monitor' | 'resolve';
  title?: string;
  body?: string;
  severity?: Severity;
  services?: string[];
}

/** Updates the run's incident (note, severity, state) or creates one and links the run to it. */
export async function runIncidentStep(spec: IncidentSpec, env: StepEnv): Promise<{ ref: string; state: string; severity: string }> {
  if (spec.action === 'create') {
    // An incident a drill opens says so in its title: whoever it pages knows it is an exercise.
    const title = env.drill && !/\bdrill\b/i.test(spec.title!) ? `[drill] ${spec.title!}` : spec.title!;
    const view = await createIncident(env.ctx, { title, severity: spec.severity!, services: spec.services ?? [], description: spec.body ?? '', source: 'automated' }, env.drill ? { drillRunId: env.runId } : {});
    await env.linkIncident({ id: view.id, number: Number(view.ref.slice(4)) });
    return { ref: view.ref, state: view.state, severity: view.severity };
  }
  const incident = requireIncident(env, `incident ${spec.action}`);
  if (spec.action === 'note') {
    await addNote(env.ctx, incident.id, { body: spec.body! });
  } else if (spec.action === 'severity') {
    await changeSeverity(env.ctx, incident.id, { severity: spec.severity!, reason: spec.body! });
  } else {
    await transitionIncident(env.ctx, incident.id, spec.action as LifecycleVerb, spec.body ? { note: spec.body } : {});
  }
  const [view] = await loadIncidentViewsById(env.ctx, [incident.id]);
  return { ref: view.ref, state: view.state, severity: view.severity };
}
