import { q, withTransaction } from '../../db/transaction.ts';
import { notFound } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { emitEvent } from '../events/index.ts';
import { deriveComponentStatuses, loadStatusInputs, syncComponentStatuses } from './component-status.ts';
import { componentOverrideInput, type ComponentAdminView } from './schemas.ts';
import { notifyComponentSubscribers } from './subscriber-notify.ts';
import type { ComponentStatus } from './vocabulary.ts';

/**
 * Components as responders see them: the published status, what the rules derive, and a person's
 * override with who set it and why. The override holds until cleared, whatever incidents and
 * monitors say (a person knows better: "the monitor is fine but customers cannot pay").
 */
export async function listComponents(ctx: Ctx): Promise<{ data: ComponentAdminView[] }> {
  requireRole(ctx, 'viewer');
  const config = ctx.config.current;
  const inputs = await loadStatusInputs(ctx);
  // What the rules say without any override.
  const derived = deriveComponentStatuses(config, { ...inputs, overrides: new Map() });
  const rows = new Map((await q(ctx).selectFrom('status_components').selectAll().execute()).map((r) => [r.id, r]));
  return {
    data: config.status_page.components.map((c) => {
      const row = rows.get(c.id);
      const override = row?.override_status ? { status: row.override_status as ComponentStatus, set_by: row.override_by ?? '', set_at: isoTime(Number(row.override_at)), reason: row.override_reason ?? '' } : null;
      return {
        id: c.id,
        name: c.name,
        group: c.group ?? null,
        services: c.services,
        status: (row?.status as ComponentStatus | undefined) ?? derived.get(c.id)!,
        derived_status: derived.get(c.id)!,
        override,
        updated_at: row ? isoTime(Number(row.updated_at)) : null,
      };
    }),
  };
}

/** Sets a component's status by hand (responder and up), with a reason; audited. */
export async function setComponentOverride(ctx: Ctx, id: string, input: unknown): Promise<ComponentAdminView> {
  requireRole(ctx, 'responder');
  const data = componentOverrideInput.parse(input);
  assertComponent(ctx, id);
  await withTransaction(ctx, async (tx) => {
    const now = tx.clock.now();
    await syncComponentStatuses(tx);
    await q(tx).updateTable('status_components').set({ override_status: data.status, override_by: tx.actor.name, override_at: now, override_reason: data.reason }).where('id', '=', id).execute();
    await afterOverride(tx, id, 'status_page.component_overridden', { status: data.status, reason: data.reason });
  });
  return (await listComponents(ctx)).data.find((c) => c.id === id)!;
}

/** Clears the override: the component shows what the rules derive again. Idempotent. */
export async function clearComponentOverride(ctx: Ctx, id: string): Promise<ComponentAdminView> {
  requireRole(ctx, 'responder');
  assertComponent(ctx, id);
  await withTransaction(ctx, async (tx) => {
    const res = await q(tx).updateTable('status_components').set({ override_status: null, override_by: null, override_at: null, override_reason: null }).where('id', '=', id).where('override_status', 'is not', null).executeTakeFirst();
    if (res.numUpdatedRows > 0n) await afterOverride(tx, id, 'status_page.component_override_cleared', {});
  });
  return (await listComponents(ctx)).data.find((c) => c.id === id)!;
}

async function afterOverride(tx: Ctx, id: string, action: string, data: Record<string, unknown>): Promise<void> {
  const changes = await syncComponentStatuses(tx);
  if (changes.length) await notifyComponentSubscribers(tx, changes);
  await writeAudit(tx, { action, entityType: 'status_component', entityId: id, data });
  await emitEvent(tx, { topic: action, aggregateType: 'status_component', aggregateId: id, payload: { component: id, ...data } });
}

function assertComponent(ctx: Ctx, id: string): void {
  if (!ctx.config.current.status_page.components.some((c) => c.id === id)) throw notFound('status page component', id);
}
