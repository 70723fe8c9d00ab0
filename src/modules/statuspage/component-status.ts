import type { StatusComponentConfig } from '../../config/statuspage-schema.ts';
import type { FirebreakConfig } from '../../config/schema.ts';
import type { Severity } from '../../config/defaults.ts';
import { DRILL_FAILED_FINGERPRINT } from '../../config/drill-schema.ts';
import { q } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';
import { worstStatus, type ComponentStatus, ACTIVE_MAINTENANCE, UNRESOLVED_STATUSES } from './vocabulary.ts';

/**
 * What each component's status is, from what Firebreak knows: open incidents on its services,
 * the state of its monitors, public incidents that declare a status for it, and maintenance in
 * progress; a person's override wins over all of them. The stored status only changes through
 * syncComponentStatuses, which also keeps the history the uptime bars and webhooks are made of.
 */

/** An open internal incident's severity, as a component status. P3 does not show. */
export const SEVERITY_STATUS: Record<Severity, ComponentStatus> = { P0: 'major_outage', P1: 'partial_outage', P2: 'degraded_performance', P3: 'operational' };

/** Incident states that show on components: acknowledged work in progress; `monitoring` means fixed. */
const SHOWN_STATES = ['triggered', 'acknowledged', 'investigating', 'identified'];

export interface StatusInputs {
  /** Worst open incident severity per service. */
  serviceSeverity: Map<string, Severity>;
  /** Monitor id → its confirmed status (up, down, degraded, …). */
  monitorStatus: Map<string, string>;
  /** Component id → statuses unresolved public incidents declare for it. */
  declared: Map<string, ComponentStatus[]>;
  /** Components of a maintenance in progress. */
  underMaintenance: Set<string>;
  /** Component id → the status a person set. */
  overrides: Map<string, ComponentStatus>;
}

/** The monitors that drive a component: its own list, else every monitor of its services. */
export function componentMonitors(config: FirebreakConfig, component: StatusComponentConfig): string[] {
  if (component.monitors) return component.monitors;
  const services = new Set(component.services);
  return config.monitors.filter((m) => services.has(m.service)).map((m) => m.id);
}

/** Every component's status from the inputs (pure). */
export function deriveComponentStatuses(config: FirebreakConfig, inputs: StatusInputs): Map<string, ComponentStatus> {
  const out = new Map<string, ComponentStatus>();
  for (const c of config.status_page.components) {
    const override = inputs.overrides.get(c.id);
    if (override) {
      out.set(c.id, override);
      continue;
    }
    if (inputs.underMaintenance.has(c.id)) {
      out.set(c.id, 'under_maintenance');
      continue;
    }
    const found: ComponentStatus[] = [...(inputs.declared.get(c.id) ?? [])];
    for (const s of c.services) {
      const sev = inputs.serviceSeverity.get(s);
      if (sev) found.push(SEVERITY_STATUS[sev]);
    }
    const monitors = componentMonitors(config, c).map((id) => inputs.monitorStatus.get(id)).filter((s): s is string => s !== undefined);
    const down = monitors.filter((s) => s === 'down').length;
    if (down > 0) found.push(down === monitors.length ? 'major_outage' : 'partial_outage');
    if (monitors.includes('degraded')) found.push('degraded_performance');
    out.set(c.id, worstStatus(found));
  }
  return out;
}

/** Reads the inputs for every configured component (a handful of indexed queries). */
export async function loadStatusInputs(ctx: Ctx): Promise<StatusInputs> {
  const config = ctx.config.current;
  const components = config.status_page.components;
  const services = [...new Set(components.flatMap((c) => c.services))];
  const monitors = [...new Set(components.flatMap((c) => componentMonitors(config, c)))];
  const serviceSeverity = new Map<string, Severity>();
  if (services.length) {
    const rows = await q(ctx)
      .selectFrom('incidents')
      .innerJoin('incident_services', 'incident_services.incident_id', 'incidents.id')
      .select(['incident_services.service_id as service', 'incidents.severity'])
      .where('incidents.state', 'in', SHOWN_STATES)
      .where('incident_services.service_id', 'in', services)
      // A drill's incidents, and the one saying a drill failed, are not outages customers have.
      .where('incidents.drill_run_id', 'is', null)
      .where((eb) => eb.or([eb('incidents.fingerprint', 'is', null), eb('incidents.fingerprint', 'not like', `${DRILL_FAILED_FINGERPRINT}%`)]))
      .execute();
    for (const r of rows) {
      const seen = serviceSeverity.get(r.service);
      if (!seen || r.severity < seen) serviceSeverity.set(r.service, r.severity as Severity);
    }
  }
  const monitorStatus = new Map<string, string>();
  if (monitors.length) {
    const rows = await q(ctx).selectFrom('monitor_state').select(['monitor_id', 'status', 'paused_at']).where('monitor_id', 'in', monitors).execute();
    for (const r of rows) if (r.paused_at === null) monitorStatus.set(r.monitor_id, r.status);
  }
  const declared = new Map<string, ComponentStatus[]>();
  const underMaintenance = new Set<string>();
  const open = await q(ctx)
    .selectFrom('status_incidents')
    .select(['kind', 'status', 'components'])
    .where((eb) => eb.or([eb.and([eb('kind', '=', 'incident'), eb('status', 'in', UNRESOLVED_STATUSES)]), eb.and([eb('kind', '=', 'maintenance'), eb('status', 'in', ACTIVE_MAINTENANCE)])]))
    .execute();
  for (const r of open) {
    const map = JSON.parse(r.components) as Record<string, ComponentStatus>;
    for (const [id, status] of Object.entries(map)) {
      if (r.kind === 'maintenance') underMaintenance.add(id);
      else declared.set(id, [...(declared.get(id) ?? []), status]);
    }
  }
  const overrides = new Map<string, ComponentStatus>();
  const rows = await q(ctx).selectFrom('status_components').select(['id', 'override_status']).where('override_status', 'is not', null).execute();
  for (const r of rows) overrides.set(r.id, r.override_status as ComponentStatus);
  return { serviceSeverity, monitorStatus, declared, underMaintenance, overrides };
}

/** A component whose published status changed. */
export interface ComponentChange {
  id: number;
  component: string;
  from: ComponentStatus;
  to: ComponentStatus;
  at: number;
}

/**
 * Brings the stored statuses in line with what the inputs say, in the caller's transaction, and
 * returns what changed (each change once, even when several nodes sync at the same moment: the
 * update is guarded by the status it read). New components are stored as they are now.
 */
export async function syncComponentStatuses(ctx: Ctx): Promise<ComponentChange[]> {
  const config = ctx.config.current;
  if (!config.status_page.components.length) return [];
  const now = ctx.clock.now();
  const wanted = deriveComponentStatuses(config, await loadStatusInputs(ctx));
  const stored = new Map((await q(ctx).selectFrom('status_components').select(['id', 'status']).execute()).map((r) => [r.id, r.status as ComponentStatus]));
  const fresh = [...wanted].filter(([id]) => !stored.has(id)).map(([id, status]) => ({ id, status, override_status: null, override_by: null, override_at: null, override_reason: null, created_at: now, updated_at: now }));
  if (fresh.length) await q(ctx).insertInto('status_components').values(fresh).onConflict((oc) => oc.column('id').doNothing()).execute();
  const changes: ComponentChange[] = [];
  for (const [id, status] of wanted) {
    const before = stored.get(id);
    if (before === undefined || before === status) continue;
    const res = await q(ctx).updateTable('status_components').set({ status, updated_at: now }).where('id', '=', id).where('status', '=', before).executeTakeFirst();
    if (res.numUpdatedRows === 0n) continue;
    const row = await q(ctx).insertInto('status_component_changes').values({ component_id: id, at: now, from_status: before, to_status: status }).returning('id').executeTakeFirstOrThrow();
    changes.push({ id: Number(row.id), component: id, from: before, to: status, at: now });
  }
  return changes;
}
