import { hostname } from 'node:os';
import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { NotificationsTable } from '../../db/schema.ts';
import { q } from '../../db/transaction.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow } from '../incidents/index.ts';
import { NOTIFICATION_STATUSES } from '../notifications/index.ts';
import { createEngine } from './worker.ts';
import { DEFAULT_POLICY_ID } from '../../config/oncall-schema.ts';
import type { EngineDeps } from './escalation-state.ts';

const iso = (t: number | null) => (t === null ? null : isoTime(Number(t)));

/** The engine as a request handler needs it (manual escalation, reassignment): the signing key, this host. */
export function requestEngine(ctx: Ctx): Promise<EngineDeps> {
  return createEngine(ctx, `${hostname()}-${process.pid}`);
}

/** An incident's escalation: the bound policy, where it stands, every step and every message with its attempts. */
export async function getEscalation(ctx: Ctx, ref: string) {
  requireRole(ctx, 'viewer');
  const incident = await findIncidentRow(ctx, ref);
  const esc = await q(ctx).selectFrom('escalations').selectAll().where('incident_id', '=', incident.id).executeTakeFirst();
  const steps = await q(ctx).selectFrom('escalation_steps').selectAll().where('incident_id', '=', incident.id).orderBy('fired_at').orderBy('step_key').execute();
  const notifications = await q(ctx).selectFrom('notifications').selectAll().where('incident_id', '=', incident.id).orderBy('created_at').orderBy('id').execute();
  const attempts = notifications.length
    ? await q(ctx).selectFrom('notification_attempts').selectAll().where('notification_id', 'in', notifications.map((n) => n.id)).orderBy('id').execute()
    : [];
  return {
    incident: `INC-${incident.number}`,
    state: esc?.state ?? 'pending',
    policy: esc?.policy ? JSON.parse(esc.policy) : null,
    severity: esc?.severity ?? incident.severity,
    level: esc?.level ?? 0,
    round: esc?.round ?? 0,
    next_step_at: iso(esc?.next_step_at ?? null),
    steps: steps.map((s) => ({
      step: s.step_key,
      level: s.level,
      round: s.round,
      due_at: iso(s.due_at),
      fired_at: iso(s.fired_at),
      late_ms: Math.max(0, Number(s.fired_at) - Number(s.due_at)),
      node: s.node,
      recipients: JSON.parse(s.recipients),
    })),
    notifications: notifications.map((n) => notificationView(n, attempts.filter((a) => a.notification_id === n.id))),
  };
}

type NotificationRow = Selectable<NotificationsTable>;

function notificationView(n: NotificationRow, attempts: { at: number; ok: number; status_code: number | null; latency_ms: number; error: string | null; node: string }[]) {
  return {
    id: n.id,
    kind: n.kind,
    destination: n.destination,
    provider: n.provider,
    user: n.user_handle,
    status: n.status,
    attempts: n.attempts,
    created_at: iso(n.created_at),
    next_attempt_at: iso(n.next_attempt_at),
    sent_at: iso(n.sent_at),
    give_up_at: iso(n.give_up_at),
    last_error: n.last_error,
    history: attempts.map((a) => ({ at: iso(a.at), ok: a.ok === 1, status_code: a.status_code, latency_ms: a.latency_ms, error: a.error, node: a.node })),
  };
}

export const listNotificationsQuery = z.strictObject({
  status: z.enum(NOTIFICATION_STATUSES).optional(),
  incident: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Queued and sent messages, newest first: what is stuck, what failed, what was given up. */
export async function listNotifications(ctx: Ctx, query: z.input<typeof listNotificationsQuery>) {
  requireRole(ctx, 'viewer');
  const data = listNotificationsQuery.parse(query);
  let select = q(ctx).selectFrom('notifications').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(data.limit);
  if (data.status) select = select.where('status', '=', data.status);
  if (data.incident) select = select.where('incident_id', '=', (await findIncidentRow(ctx, data.incident)).id);
  const rows = await select.execute();
  return { data: rows.map((n) => notificationView(n, [])) };
}

/** The escalation policies, with the services bound to each (a service without one uses `default`). */
export function listEscalationPolicies(ctx: Ctx) {
  requireRole(ctx, 'viewer');
  const config = ctx.config.current;
  return {
    data: config.escalation_policies.map((p) => ({
      id: p.id,
      name: p.name,
      repeat: p.repeat,
      levels: p.levels.map((l, i) => ({ level: i + 1, notify: l.notify, timeout_seconds: l.timeout === undefined ? null : l.timeout / 1000 })),
      services: config.services.filter((s) => (s.escalation_policy ?? (config.escalation_policies.some((x) => x.id === DEFAULT_POLICY_ID) ? DEFAULT_POLICY_ID : null)) === p.id).map((s) => s.id),
    })),
  };
}

/** Channels as configured, without their credentials (URLs, keys, tokens). */
export function listChannels(ctx: Ctx) {
  requireRole(ctx, 'viewer');
  const config = ctx.config.current;
  return {
    data: config.channels.map((c) => ({
      id: c.id,
      name: c.name ?? c.id,
      type: c.type,
      rate_limit_per_minute: c.rate_limit?.per_minute ?? config.notifications.rate_limit.per_minute,
      give_up_after_seconds: (c.give_up_after ?? config.notifications.give_up_after) / 1000,
    })),
  };
}
