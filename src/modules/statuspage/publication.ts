import type { FirebreakConfig } from '../../config/schema.ts';
import type { TemplatePhase } from '../../config/statuspage-schema.ts';
import type { Severity } from '../../config/defaults.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow, incidentExercise, loadIncidentViewsById, recordChange, type IncidentView } from '../incidents/index.ts';
import { setTimer, type TimerHandler } from '../timers/index.ts';
import { SEVERITY_STATUS } from './component-status.ts';
import { applyUpdate, findPublicIncident, getPublicIncidentView, insertPublicIncident } from './public-incidents.ts';
import { optOutInput, publishIncidentInput, type PublicationView } from './schemas.ts';
import { draftFromTemplates, templateValues } from './templates.ts';
import { impactOfStatus, UNRESOLVED_STATUSES, worstStatus, type ComponentStatus } from './vocabulary.ts';

/**
 * Automatic customer communication (the plan: customer-facing P0/P1 and anything affecting more
 * than 10% of users are posted within 5 minutes): which incidents qualify, the timer that posts
 * them after `auto_post.delay` unless a responder opted out, the one-action "publish" for later
 * phases, and the resolution posted when the internal incident resolves.
 */

export const AUTOPOST_TIMER = 'statuspage.autopost';
export const AUTORESOLVE_TIMER = 'statuspage.autoresolve';
export const AUTOREOPEN_TIMER = 'statuspage.autoreopen';

/** Whether the rules post this incident, and why: shown to responders, so it names the figures. */
export function eligibility(config: FirebreakConfig, incident: Pick<IncidentView, 'severity' | 'state' | 'impact'>): { eligible: boolean; reason: string } {
  const rules = config.status_page.auto_post;
  if (!config.status_page.enabled) return { eligible: false, reason: 'the status page is disabled' };
  if (!rules.enabled) return { eligible: false, reason: 'automatic posting is off (status_page.auto_post.enabled)' };
  const share = Math.round(incident.impact.user_share * 1000) / 10;
  if (incident.impact.customer_facing && config.severities[incident.severity].public) return { eligible: true, reason: `customer-facing ${incident.severity}` };
  if (incident.impact.user_share > rules.min_user_share) return { eligible: true, reason: `${share}% of users affected (above ${rules.min_user_share * 100}%)` };
  return { eligible: false, reason: `${incident.impact.customer_facing ? '' : 'not customer-facing, '}${incident.severity} is not posted automatically, and ${share}% of users affected is not above ${rules.min_user_share * 100}%` };
}

/** The phase a public post takes from the internal incident's state. */
export function phaseOf(state: string): TemplatePhase {
  return state === 'identified' ? 'identified' : state === 'monitoring' ? 'monitoring' : state === 'resolved' || state === 'closed' ? 'resolved' : 'investigating';
}

/** Components mapped to the incident's services, at the status its severity shows (degraded at least). */
export function mappedComponents(config: FirebreakConfig, services: string[], severity: Severity): Record<string, ComponentStatus> {
  const set = new Set(services);
  const status = worstStatus([SEVERITY_STATUS[severity], 'degraded_performance']);
  return Object.fromEntries(config.status_page.components.filter((c) => c.services.some((s) => set.has(s))).map((c) => [c.id, status]));
}

/** What publishing would post now (template filled for the incident's phase). */
function draft(ctx: Ctx, incident: IncidentView, phase: TemplatePhase) {
  const config = ctx.config.current;
  const components = mappedComponents(config, incident.services, incident.severity);
  const values = templateValues(config.status_page, config.organisation.name, Object.keys(components), Date.parse(incident.detected_at));
  return { ...draftFromTemplates(config.status_page, phase, values), status: phase, components };
}

/** Where an internal incident stands with the status page (responders and up see it). */
export async function getPublication(ctx: Ctx, ref: string): Promise<PublicationView> {
  requireRole(ctx, 'viewer');
  const row = await findIncidentRow(ctx, ref);
  const [incident] = await loadIncidentViewsById(ctx, [row.id]);
  const pub = await q(ctx).selectFrom('incident_publications').selectAll().where('incident_id', '=', row.id).executeTakeFirst();
  const timer = await q(ctx).selectFrom('timers').select('due_at').where('kind', '=', AUTOPOST_TIMER).where('subject_id', '=', row.id).executeTakeFirst();
  const { eligible, reason } = eligibility(ctx.config.current, incident);
  const publicIncident = pub?.status_incident_id ? await getPublicIncidentView(ctx, pub.status_incident_id) : null;
  const d = draft(ctx, incident, phaseOf(incident.state));
  return {
    incident: { id: incident.id, ref: incident.ref, state: incident.state, severity: incident.severity },
    eligible,
    reason,
    opted_out: pub?.opted_out_at != null ? { by: pub.opted_out_by ?? '', at: isoTime(Number(pub.opted_out_at)), reason: pub.opted_out_reason ?? '' } : null,
    auto_post_due_at: timer && pub?.opted_out_at == null && !pub?.status_incident_id ? isoTime(Number(timer.due_at)) : null,
    public_incident: publicIncident,
    time_to_first_post_s: pub?.first_posted_at != null ? Math.round((Number(pub.first_posted_at) - Number(pub.detected_at)) / 1000) : null,
    draft: { name: publicIncident?.name ?? d.name, status: d.status, body: d.body, components: publicIncident ? {} : d.components },
  };
}

/**
 * Publishes the incident's current phase in one action (responder and up): the first time, a new
 * public incident from the templates; after that, an update. Every field can be edited first.
 */
export async function publishIncident(ctx: Ctx, ref: string, input: unknown): Promise<PublicationView> {
  requireRole(ctx, 'responder');
  const data = publishIncidentInput.parse(input ?? {});
  await withTransaction(ctx, async (tx) => {
    const row = await findIncidentRow(tx, ref, { forUpdate: true });
    const [incident] = await loadIncidentViewsById(tx, [row.id]);
    const phase = data.status ?? phaseOf(incident.state);
    await post(tx, incident, { phase, name: data.name, body: data.body, components: data.components, deliver: data.deliver_notifications, source: 'manual' });
  });
  return getPublication(ctx, ref);
}

/** Posts a phase for an incident: creates its public incident on first use, else adds an update. */
async function post(tx: Ctx, incident: IncidentView, spec: { phase: TemplatePhase; name?: string; body?: string; components?: Record<string, ComponentStatus>; deliver: boolean; source: 'auto' | 'manual' }): Promise<void> {
  const d = draft(tx, incident, spec.phase);
  const pub = await q(tx).selectFrom('incident_publications').select(['status_incident_id']).where('incident_id', '=', incident.id).executeTakeFirst();
  const existing = pub?.status_incident_id ? await findPublicIncident(tx, pub.status_incident_id, 'incident') : null;
  if (existing?.status === 'postmortem') throw new DomainError('INVALID_TRANSITION', 'the public incident has its postmortem: it is closed for updates', { status: existing.status });
  const row = existing ?? (await insertPublicIncident(tx, { name: spec.name ?? d.name, incidentId: incident.id, startedAt: Date.parse(incident.detected_at), impactOverride: null, source: spec.source, impact: impactOfStatus(worstStatus([SEVERITY_STATUS[incident.severity], 'degraded_performance'])) }));
  await applyUpdate(tx, row, { status: spec.phase, body: spec.body ?? d.body, components: spec.components ?? (existing ? undefined : d.components), name: existing ? spec.name : undefined, deliver: spec.deliver }, existing ? 'updated' : 'created');
}

/** A responder keeps this incident off the status page: the automatic post will not happen. */
export async function optOut(ctx: Ctx, ref: string, input: unknown): Promise<PublicationView> {
  requireRole(ctx, 'responder');
  const { reason } = optOutInput.parse(input);
  await withTransaction(ctx, async (tx) => {
    const row = await findIncidentRow(tx, ref, { forUpdate: true });
    const now = tx.clock.now();
    await q(tx)
      .insertInto('incident_publications')
      .values({ incident_id: row.id, opted_out_at: now, opted_out_by: tx.actor.name, opted_out_reason: reason, status_incident_id: null, first_posted_at: null, detected_at: Number(row.detected_at), updated_at: now })
      .onConflict((oc) => oc.column('incident_id').doUpdateSet({ opted_out_at: now, opted_out_by: tx.actor.name, opted_out_reason: reason, updated_at: now }))
      .execute();
    // The pending timer is left to fire and find the opt-out: deleting it here would take its row
    // lock after the incident's, the opposite order to the timer loop's (a deadlock on PostgreSQL).
    const pending = await q(tx).selectFrom('timers').select('due_at').where('kind', '=', AUTOPOST_TIMER).where('subject_id', '=', row.id).executeTakeFirst();
    await recordChange(tx, row, { kind: 'status_page_opt_out', body: `Kept off the status page${pending ? ' (the automatic post will not happen)' : ''}: ${reason}`, data: { reason } });
  });
  return getPublication(ctx, ref);
}

/** Undoes an opt-out: if the incident qualifies, its automatic post is due again (now, if overdue). */
export async function optIn(ctx: Ctx, ref: string): Promise<PublicationView> {
  requireRole(ctx, 'responder');
  await withTransaction(ctx, async (tx) => {
    const row = await findIncidentRow(tx, ref, { forUpdate: true });
    const res = await q(tx).updateTable('incident_publications').set({ opted_out_at: null, opted_out_by: null, opted_out_reason: null, updated_at: tx.clock.now() }).where('incident_id', '=', row.id).where('opted_out_at', 'is not', null).executeTakeFirst();
    if (res.numUpdatedRows === 0n) return;
    await recordChange(tx, row, { kind: 'status_page_opt_in', body: 'The status page opt-out was withdrawn', data: {} });
    const [incident] = await loadIncidentViewsById(tx, [row.id]);
    await scheduleAutoPost(tx, [incident]);
  });
  return getPublication(ctx, ref);
}

/**
 * For incidents that changed: sets the automatic post's timer for those that now qualify (not
 * posted, not opted out, still open), and the resolution's for posted ones that resolved. Called
 * from the reaction consumer, in its batch transaction.
 */
export async function scheduleAutoPost(tx: Ctx, incidents: IncidentView[], opts: { resolved?: Set<string>; reopened?: Set<string> } = {}): Promise<void> {
  const config = tx.config.current;
  if (!incidents.length || !config.status_page.enabled) return;
  const pubs = new Map((await q(tx).selectFrom('incident_publications').select(['incident_id', 'opted_out_at', 'status_incident_id']).where('incident_id', 'in', incidents.map((i) => i.id)).execute()).map((p) => [p.incident_id, p]));
  const now = tx.clock.now();
  for (const incident of incidents) {
    const pub = pubs.get(incident.id);
    const open = incident.state !== 'resolved' && incident.state !== 'closed';
    if (pub?.status_incident_id) {
      if (!open && opts.resolved?.has(incident.id) && config.status_page.auto_post.publish_resolved) await setTimer(tx, AUTORESOLVE_TIMER, incident.id, now);
      // Reopened after its public incident was resolved: customers are told it is back.
      if (open && opts.reopened?.has(incident.id) && pub.opted_out_at == null) await setTimer(tx, AUTOREOPEN_TIMER, incident.id, now);
      continue;
    }
    // Resolved before its post was due: the pending timer finds it resolved and does nothing.
    if (!open) continue;
    if (pub?.opted_out_at != null || !eligibility(config, incident).eligible) continue;
    await setTimer(tx, AUTOPOST_TIMER, incident.id, Math.max(now, Date.parse(incident.detected_at) + config.status_page.auto_post.delay));
  }
}

/** Topics after which an incident may newly qualify for, or finish, its public post. */
const AUTOPOST_TOPICS = new Set(['incident.created', 'incident.severity_changed', 'incident.service_added', 'incident.absorbed', 'incident.reopened', 'incident.resolved']);

/** The status page's share of the reaction consumer (see OncallWorker's `reactors`). */
export async function statusPageReactor(tx: Ctx, incidents: Map<string, IncidentView>, events: Map<string, { topic: string }[]>): Promise<void> {
  const touched = [...events].filter(([, list]) => list.some((e) => AUTOPOST_TOPICS.has(e.topic))).map(([id]) => incidents.get(id)).filter((v): v is IncidentView => !!v);
  const having = (topic: string) => new Set([...events].filter(([, list]) => list.some((e) => e.topic === topic)).map(([id]) => id));
  await scheduleAutoPost(tx, touched, { resolved: having('incident.resolved'), reopened: having('incident.reopened') });
}

/**
 * The timers. Each locks the internal incident first, as the API's verbs do, then re-checks
 * everything (opted out meanwhile? resolved? posted by hand? rules changed?), so a post racing a
 * responder's publish or opt-out is made once or not at all.
 */
export const statusPageTimerHandlers: Record<string, TimerHandler> = {
  [AUTOPOST_TIMER]: async (tx, timer) => {
    const incident = await lockedIncident(tx, timer.subject_id);
    if (!incident || incident.state === 'resolved' || incident.state === 'closed') return;
    const pub = await q(tx).selectFrom('incident_publications').select(['opted_out_at', 'status_incident_id']).where('incident_id', '=', incident.id).executeTakeFirst();
    if (pub?.opted_out_at != null || pub?.status_incident_id || !eligibility(tx.config.current, incident).eligible) return;
    // A drill's incident is posted only by the drill's own statuspage step, when the drill allows it.
    if (await incidentExercise(tx, incident.id)) return;
    await post(automation(tx), incident, { phase: phaseOf(incident.state), deliver: true, source: 'auto' });
  },
  [AUTORESOLVE_TIMER]: async (tx, timer) => {
    const incident = await lockedIncident(tx, timer.subject_id);
    if (!incident || (incident.state !== 'resolved' && incident.state !== 'closed')) return;
    const pub = await q(tx).selectFrom('incident_publications').select(['status_incident_id']).where('incident_id', '=', incident.id).executeTakeFirst();
    if (!pub?.status_incident_id) return;
    const row = await findPublicIncident(tx, pub.status_incident_id, 'incident');
    if (!(UNRESOLVED_STATUSES as string[]).includes(row.status)) return;
    // Merged into the incident on its root cause: the outage goes on there, so the public incident
    // follows the root (when it has none of its own) instead of telling customers it is over.
    const merged = await q(tx).selectFrom('incidents').select('merged_into').where('id', '=', incident.id).executeTakeFirst();
    if (merged?.merged_into && (await moveToRoot(tx, incident.id, merged.merged_into, row.id))) return;
    await post(automation(tx), incident, { phase: 'resolved', deliver: true, source: 'auto' });
  },
  [AUTOREOPEN_TIMER]: async (tx, timer) => {
    const incident = await lockedIncident(tx, timer.subject_id);
    if (!incident || incident.state === 'resolved' || incident.state === 'closed') return;
    const pub = await q(tx).selectFrom('incident_publications').select(['opted_out_at', 'status_incident_id']).where('incident_id', '=', incident.id).executeTakeFirst();
    if (!pub?.status_incident_id || pub.opted_out_at != null) return;
    const row = await findPublicIncident(tx, pub.status_incident_id, 'incident');
    if (row.status !== 'resolved') return;
    await post(automation(tx), incident, { phase: phaseOf(incident.state), deliver: true, source: 'auto', components: mappedComponents(tx.config.current, incident.services, incident.severity) });
  },
};

const automation = (tx: Ctx): Ctx => ({ ...tx, actor: { ...tx.actor, name: 'status page automation' } });

/** The incident, its row locked (the order every writer of a publication takes). */
async function lockedIncident(tx: Ctx, id: string): Promise<IncidentView | undefined> {
  const row = await findIncidentRow(tx, id, { forUpdate: true }).catch((e: unknown) => {
    if (e instanceof DomainError && e.code === 'NOT_FOUND') return null;
    throw e;
  });
  if (!row) return undefined;
  return (await loadIncidentViewsById(tx, [row.id]))[0];
}

/** Links a merged incident's public incident to the root's, if the root has none; true when moved. */
async function moveToRoot(tx: Ctx, fromId: string, rootId: string, publicId: string): Promise<boolean> {
  await findIncidentRow(tx, rootId, { forUpdate: true });
  const root = await q(tx).selectFrom('incident_publications').select('status_incident_id').where('incident_id', '=', rootId).executeTakeFirst();
  if (root?.status_incident_id) return false;
  const from = await q(tx).selectFrom('incident_publications').selectAll().where('incident_id', '=', fromId).executeTakeFirstOrThrow();
  const now = tx.clock.now();
  await q(tx)
    .insertInto('incident_publications')
    .values({ ...from, incident_id: rootId, updated_at: now })
    .onConflict((oc) => oc.column('incident_id').doUpdateSet({ status_incident_id: publicId, first_posted_at: from.first_posted_at, updated_at: now }))
    .execute();
  await q(tx).updateTable('incident_publications').set({ status_incident_id: null, updated_at: now }).where('incident_id', '=', fromId).execute();
  await q(tx).updateTable('status_incidents').set({ incident_id: rootId, updated_at: now }).where('id', '=', publicId).execute();
  return true;
}
