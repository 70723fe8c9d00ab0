import { isUniqueViolation } from '../../db/dialect.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import { isDomainError } from '../../lib/errors.ts';
import { writeAudit } from '../audit/index.ts';
import { findUserByHandle } from '../auth/index.ts';
import { hasRole, type Actor, type Ctx, type Role } from '../context.ts';
import { findIncidentRow, LIFECYCLE_VERBS, recordChange, transitionIncident } from '../incidents/index.ts';
import { recordValidation, validateResolution } from '../resolution/index.ts';
import { verifyLink, type LinkClaims } from './action-links.ts';
import { loadSigningKey } from './signing-key.ts';

/** What a link page shows of its incident. */
export interface LinkIncident {
  id: string;
  number: number;
  ref: string;
  title: string;
  severity: string;
  state: string;
  /** Who moved the incident past the link's action, and when, if the timeline says. */
  settled: { by: string | null; at: number } | null;
}

/** Why a link was refused; the reason kept in the audit row. */
export type RefusalReason = 'malformed' | 'forged' | 'expired' | 'reused' | 'unknown_incident' | 'recipient_unknown' | 'recipient_disabled' | 'forbidden';

/**
 * Where a one-click link stands. GET shows ready/settled/expired/used/invalid/gone; POST may also
 * end done, sign_in (a channel link needs a signed-in person) or refused.
 */
export type LinkOutcome =
  | { kind: 'invalid'; reason: 'malformed' | 'forged' }
  | { kind: 'gone'; claims: LinkClaims }
  | { kind: 'expired'; claims: LinkClaims; incident: LinkIncident }
  | { kind: 'used'; claims: LinkClaims; incident: LinkIncident; use: { by: string; at: number } }
  | { kind: 'settled'; claims: LinkClaims; incident: LinkIncident }
  | { kind: 'ready'; claims: LinkClaims; incident: LinkIncident }
  | { kind: 'sign_in'; claims: LinkClaims; incident: LinkIncident }
  | { kind: 'refused'; claims: LinkClaims; incident: LinkIncident; reason: 'recipient_unknown' | 'recipient_disabled' | 'forbidden'; who: string; role?: Role | null }
  | { kind: 'done'; claims: LinkClaims; incident: LinkIncident; actor: string; at: number }
  | { kind: 'not_validated'; claims: LinkClaims; incident: LinkIncident; failed: { name: string; summary: string }[] };

/** The note a link's transition carries on the timeline. */
export const LINK_NOTE = 'via one-click link';

/** Where a link stands, reading only: what the confirmation page (GET) shows. Never throws for a bad token. */
export async function inspectLink(ctx: Ctx, token: string): Promise<LinkOutcome> {
  const check = verifyLink(await loadSigningKey(ctx), token, ctx.clock.now());
  // A forged token's claims are never read, so its page cannot tell whether the incident exists.
  if (!check.ok && check.reason !== 'expired') return { kind: 'invalid', reason: check.reason };
  const claims = check.claims!;
  const incident = await loadLinkIncident(ctx, claims);
  if (!incident) return { kind: 'gone', claims };
  // A used link says who used it, even once it has also expired: that is what its holder wants to know.
  const use = await findUse(ctx, claims.n);
  if (use) return { kind: 'used', claims, incident, use };
  if (!check.ok) return { kind: 'expired', claims, incident };
  if (!actionApplies(incident.state, claims.a)) return { kind: 'settled', claims, incident };
  return { kind: 'ready', claims, incident };
}

/**
 * Acts on a link (POST): as its recipient when it has one, else as the signed-in `ctx.actor`. The
 * transition, its timeline entry and the spent nonce are one transaction, so a link acts once
 * however many times (or nodes) it is pressed. Refusals are returned, not recorded: see
 * recordLinkRefusal. A link whose action no longer applies is returned as `settled`, unspent.
 */
export async function actOnLink(ctx: Ctx, token: string): Promise<LinkOutcome> {
  const found = await inspectLink(ctx, token);
  if (found.kind !== 'ready') return found;
  const { claims, incident } = found;
  const who = await linkActor(ctx, claims);
  if ('kind' in who) return { ...who, claims, incident };
  const actor = who.actor;
  if (!hasRole(actor, 'responder')) return { kind: 'refused', reason: 'forbidden', claims, incident, who: actor.name, role: actor.role };
  const at = ctx.clock.now();
  // Resolving from a link is validated like any resolution, on the latest check results (a link
  // has no reason to give): a failure is recorded, the link stays unspent, and the page says why.
  const validation = claims.a === 'resolve' && ctx.config.current.resolution.validate ? await validateResolution(ctx, incident.id) : null;
  if (validation && !validation.passed) {
    await withTransaction({ ...ctx, actor }, (tx) => recordValidation(tx, incident, validation));
    return { kind: 'not_validated', claims, incident, failed: validation.checks.filter((c) => c.outcome === 'failed').map((c) => ({ name: c.name, summary: c.summary })) };
  }
  try {
    await withTransaction({ ...ctx, actor }, async (tx) => {
      // The nonce first: a concurrent press waits on it (or fails on it) before touching the incident.
      await q(tx).insertInto('action_link_uses').values({ nonce: claims.n, incident_id: incident.id, action: claims.a, used_at: at, used_by: actor.name }).execute();
      if (validation) await recordValidation(tx, incident, validation);
      await transitionIncident(tx, incident.id, claims.a, { note: LINK_NOTE }, validation ? { data: { validated: true } } : {});
      await writeAudit(tx, { action: 'action_link.used', entityType: 'incident', entityId: incident.id, data: { ref: incident.ref, action: claims.a, recipient: claims.u } });
    });
  } catch (e) {
    // Lost a race: another press spent the nonce, or moved the incident on, first. Nothing was written.
    if (isUniqueViolation(e) || (isDomainError(e) && e.code === 'INVALID_TRANSITION')) return inspectLink(ctx, token);
    if (isDomainError(e) && e.code === 'FORBIDDEN') return { kind: 'refused', reason: 'forbidden', claims, incident, who: actor.name, role: actor.role };
    throw e;
  }
  const after = (await loadLinkIncident(ctx, claims)) ?? incident;
  return { kind: 'done', claims, incident: after, actor: actor.name, at };
}

/** The reason an outcome is a refusal worth recording, or null (ready, done, settled, sign_in). */
export function refusalReason(outcome: LinkOutcome): RefusalReason | null {
  switch (outcome.kind) {
    case 'invalid':
      return outcome.reason;
    case 'expired':
      return 'expired';
    case 'used':
      return 'reused';
    case 'gone':
      return 'unknown_incident';
    case 'refused':
      return outcome.reason;
    default:
      return null;
  }
}

/**
 * Records a refused link: an audit row `action_link.refused` with the reason (never the token, and
 * for a forged one nothing it claims), and, when its incident is known, a timeline entry. `how`
 * says whether the link was only opened (GET) or pressed (POST).
 */
export async function recordLinkRefusal(ctx: Ctx, outcome: LinkOutcome, how: 'opened' | 'used'): Promise<void> {
  const reason = refusalReason(outcome);
  if (!reason) return;
  const claims = outcome.kind === 'invalid' ? null : outcome.claims;
  const incident = 'incident' in outcome ? outcome.incident : null;
  const data: Record<string, unknown> = { reason, how, ...(claims ? { action: claims.a, recipient: claims.u } : {}), ...(incident ? { ref: incident.ref } : {}) };
  await withTransaction(ctx, async (tx) => {
    await writeAudit(tx, { action: 'action_link.refused', entityType: incident ? 'incident' : 'action_link', entityId: incident?.id ?? null, data });
    if (incident && claims) {
      await recordChange(tx, incident, { kind: 'action_link_refused', body: refusalSentence(outcome, claims, how), data }, { touch: false });
    }
  });
}

/** The timeline's sentence for a refused link, e.g. "An expired acknowledge link sent to alice was used". */
function refusalSentence(outcome: LinkOutcome, claims: LinkClaims, how: 'opened' | 'used'): string {
  const link = `${claims.a} link${claims.u !== null ? ` sent to ${claims.u}` : ''}`;
  const an = (word: string) => (/^[aeiou]/i.test(word) ? `An ${word}` : `A ${word}`);
  switch (outcome.kind) {
    case 'expired':
      return `An expired ${link} was ${how}`;
    case 'used':
      return `${an(link)} that had already been used (by ${outcome.use.by}) was ${how} again`;
    case 'refused':
      if (outcome.reason === 'recipient_unknown') return `${an(link)} was refused: ${outcome.who} is not a Firebreak user`;
      if (outcome.reason === 'recipient_disabled') return `${an(link)} was refused: ${outcome.who} is disabled`;
      return `${an(link)} was refused: ${outcome.who} may not ${claims.a} incidents (role ${outcome.role ?? 'none'})`;
    default:
      return `${an(link)} was refused (${refusalReason(outcome)})`;
  }
}

/** Who acts: the link's recipient ("alice (via link)"), or for a channel link the signed-in person. */
async function linkActor(ctx: Ctx, claims: LinkClaims): Promise<{ actor: Actor } | { kind: 'sign_in' } | { kind: 'refused'; reason: 'recipient_unknown' | 'recipient_disabled'; who: string }> {
  if (claims.u === null) {
    // API tokens are people too (capped by their scope); only an anonymous caller must sign in.
    return ctx.actor.userId !== null && (ctx.actor.type === 'user' || ctx.actor.type === 'token') ? { actor: ctx.actor } : { kind: 'sign_in' };
  }
  const user = await findUserByHandle(ctx, claims.u);
  if (!user) return { kind: 'refused', reason: 'recipient_unknown', who: claims.u };
  if (user.disabled_at !== null) return { kind: 'refused', reason: 'recipient_disabled', who: claims.u };
  return { actor: { type: 'user', userId: user.id, name: `${user.handle} (via link)`, role: user.role as Role } };
}

const actionApplies = (state: string, action: LinkClaims['a']) => (LIFECYCLE_VERBS[action].from as readonly string[]).includes(state);

// Reads for the pages. Small and only this verb's, so they live here rather than in a repository.

async function loadLinkIncident(ctx: Ctx, claims: LinkClaims): Promise<LinkIncident | null> {
  let row;
  try {
    row = await findIncidentRow(ctx, claims.i);
  } catch (e) {
    if (isDomainError(e) && e.code === 'NOT_FOUND') return null;
    throw e;
  }
  const base = { id: row.id, number: row.number, ref: `INC-${row.number}`, title: row.title, severity: row.severity, state: row.state, settled: null };
  if (actionApplies(row.state, claims.a)) return base;
  // Past the link's action: resolved/closed say when and by whom; otherwise the first acknowledgement.
  const at = row.state === 'closed' ? row.closed_at : row.state === 'resolved' ? row.resolved_at : row.acknowledged_at;
  if (at === null) return base;
  const kinds = row.state === 'closed' || row.state === 'resolved' ? [row.state] : ['acknowledged', 'investigating', 'identified', 'monitoring'];
  const entry = await q(ctx)
    .selectFrom('incident_timeline')
    .select('actor_name')
    .where('incident_id', '=', row.id)
    .where('at', '=', at)
    .where('kind', 'in', kinds)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return { ...base, settled: { by: entry?.actor_name ?? null, at } };
}

async function findUse(ctx: Ctx, nonce: string): Promise<{ by: string; at: number } | null> {
  const row = await q(ctx).selectFrom('action_link_uses').select(['used_by', 'used_at']).where('nonce', '=', nonce).executeTakeFirst();
  return row ? { by: row.used_by, at: Number(row.used_at) } : null;
}
