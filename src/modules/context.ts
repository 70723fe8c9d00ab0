import type { Insertable, Transaction } from 'kysely';
import type { ConfigStore } from '../config/store.ts';
import type { Database } from '../db/create-db.ts';
import type { DB } from '../db/schema.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';

export const ROLES = ['viewer', 'responder', 'admin'] as const;
export type Role = (typeof ROLES)[number];
const RANK: Record<Role, number> = { viewer: 0, responder: 1, admin: 2 };

/** Who is acting: a signed-in user, a user's API token, or Firebreak itself. */
export interface Actor {
  type: 'user' | 'token' | 'cli' | 'system' | 'integration' | 'scheduler' | 'anonymous';
  /** The user id behind the actor, when there is one. */
  userId: string | null;
  /** Display name for timelines and audit rows, e.g. "alice" or "token deploy-bot (alice)". */
  name: string;
  role: Role | null;
  tokenId?: string;
  /** A session of someone who must set a new password first (the first-run admin, a reset). */
  mustChangePassword?: boolean;
}

/** Carried by every verb: the actor, the request id, the database (and open transaction), the clock, the config. */
export interface Ctx {
  db: Database;
  trx?: Transaction<DB>;
  actor: Actor;
  requestId: string;
  clock: Clock;
  config: ConfigStore;
  /**
   * Set by a batch of automation (the escalation engine's reactions) that writes many timeline
   * entries and timers in one transaction: they are collected here and written as multi-row
   * statements before the commit (see writeDeferred), instead of a round trip each.
   */
  deferred?: DeferredWrites;
}

/** Writes collected for the end of the transaction; nothing in the batch reads them back. */
export interface DeferredWrites {
  /** Rows for the notification outbox whose keys are known to be new (an escalation step's). */
  notifications: Insertable<DB['notifications']>[];
  /** Escalation steps known to be new (the first step of an escalation this batch created, a re-notification). */
  steps: Insertable<DB['escalation_steps']>[];
  /** Where those steps left their escalations. */
  stepStates: Map<string, { level: number; round: number; next_step_at: number | null; state: string }>;
  changes: { ctx: Ctx; incident: { id: string; number: number }; change: { kind: string; body: string; data?: Record<string, unknown> }; touch: boolean }[];
  timers: Map<string, { kind: string; subject_id: string; due_at: number; data: string }>;
}

export const systemActor = (name = 'firebreak'): Actor => ({ type: 'system', userId: null, name, role: 'admin' });

/** People (directly, through their tokens or the CLI) as opposed to Firebreak's own automation. */
export const isHuman = (actor: Actor) => actor.type === 'user' || actor.type === 'token' || actor.type === 'cli';

export function hasRole(actor: Actor, needed: Role): boolean {
  return actor.role !== null && RANK[actor.role] >= RANK[needed];
}

/** Throws FORBIDDEN (or UNAUTHENTICATED for anonymous actors) unless the actor has at least `needed`. */
export function requireRole(ctx: { actor: Actor }, needed: Role): void {
  if (ctx.actor.type === 'anonymous') throw new DomainError('UNAUTHENTICATED', 'Sign in or send an API token');
  if (!hasRole(ctx.actor, needed)) throw new DomainError('FORBIDDEN', `This needs the ${needed} role`, { needed });
}

/** The lower of two roles: a token can never do more than its user. */
export const minRole = (a: Role, b: Role): Role => (RANK[a] <= RANK[b] ? a : b);
