import type { MonitorConfig } from '../../config/monitors-schema.ts';
import type { Severity } from '../../config/defaults.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import { isoTime } from '../../lib/iso-time.ts';
import type { Logger } from '../../lib/logger.ts';
import { requireRole, type Ctx } from '../context.ts';
import { raiseInternalAlert } from '../signals/internal-alert.ts';
import { serviceObjectives } from './objectives.ts';
import { allRecoveryPoints, type RecoverySource } from './rpo-store.ts';

/** Exposure at this share of the RPO is a warning; over the RPO it is breached. */
export const RPO_WARN_SHARE = 0.8;
export const RPO_WARNING_SEVERITY: Severity = 'P3';
export const RPO_BREACH_SEVERITY: Severity = 'P1';
/** Dedup key of a service's RPO alert: one per service, raised, escalated and resolved in place. */
export const rpoAlertKey = (service: string) => `recovery/rpo/${service}`;

export type RpoStatus = 'ok' | 'warning' | 'breached';

export interface RpoSource {
  monitor_id: string;
  type: MonitorConfig['type'];
  source: RecoverySource | null;
  restorable_at: number | null;
  size_bytes: number | null;
  observed_at: number | null;
  detail: Record<string, unknown> | null;
}

/** A service's recovery-point exposure against its objective. */
export interface ServiceRpo {
  service: string;
  rpo_ms: number;
  newest_restorable_at: number | null;
  /** now − the newest restorable point; null until a source has reported one. */
  exposure_ms: number | null;
  /** `unknown` until a source has reported a point. */
  status: RpoStatus | 'unknown';
  sources: RpoSource[];
}

/** What a monitor that counts toward its service's RPO is: one with `recovery_point: true`. */
export function countsTowardRpo(m: MonitorConfig): boolean {
  return (m.type === 'heartbeat' || m.type === 'backup_status' || m.type === 'replication_lag') && m.recovery_point;
}

/** ok below 80% of the objective, warning from 80% to 100%, breached over it. */
export function rpoStatus(exposureMs: number, rpoMs: number): RpoStatus {
  if (exposureMs > rpoMs) return 'breached';
  if (exposureMs >= rpoMs * RPO_WARN_SHARE) return 'warning';
  return 'ok';
}

/**
 * Every service with a recovery-point source, in config order: its objective, its newest
 * restorable point among its sources (a replica's point is its reading's time minus its lag) and
 * the exposure now.
 */
export async function rpoExposure(ctx: Ctx): Promise<ServiceRpo[]> {
  const config = ctx.config.current;
  const now = ctx.clock.now();
  const points = new Map((await allRecoveryPoints(ctx)).map((p) => [p.monitor_id, p]));
  const byService = new Map<string, MonitorConfig[]>();
  for (const m of config.monitors) {
    if (!countsTowardRpo(m)) continue;
    byService.set(m.service, [...(byService.get(m.service) ?? []), m]);
  }
  const out: ServiceRpo[] = [];
  for (const s of config.services) {
    const monitors = byService.get(s.id);
    if (!monitors) continue;
    const { rpo_ms } = serviceObjectives(config, s.id);
    const sources: RpoSource[] = monitors.map((m) => {
      const p = points.get(m.id);
      let detail: Record<string, unknown> | null = null;
      if (p?.detail) {
        try {
          detail = JSON.parse(p.detail) as Record<string, unknown>;
        } catch {
          detail = null;
        }
      }
      return { monitor_id: m.id, type: m.type, source: p?.source ?? null, restorable_at: p?.restorable_at ?? null, size_bytes: p?.size_bytes ?? null, observed_at: p?.observed_at ?? null, detail };
    });
    const known = sources.map((x) => x.restorable_at).filter((x): x is number => x !== null);
    const newest = known.length ? Math.max(...known) : null;
    const exposure = newest === null ? null : Math.max(0, now - newest);
    out.push({ service: s.id, rpo_ms, newest_restorable_at: newest, exposure_ms: exposure, status: exposure === null ? 'unknown' : rpoStatus(exposure, rpo_ms), sources });
  }
  return out;
}

/** The API's view (viewer and up): times in ISO 8601, durations in seconds. */
export async function listRpo(ctx: Ctx) {
  requireRole(ctx, 'viewer');
  const iso = (ms: number | null) => (ms === null ? null : isoTime(ms));
  const secs = (ms: number | null) => (ms === null ? null : Math.round(ms / 1000));
  return (await rpoExposure(ctx)).map((r) => ({
    service: r.service,
    rpo_seconds: secs(r.rpo_ms),
    newest_restorable_at: iso(r.newest_restorable_at),
    exposure_seconds: secs(r.exposure_ms),
    status: r.status,
    sources: r.sources.map((x) => ({ ...x, restorable_at: iso(x.restorable_at), observed_at: iso(x.observed_at) })),
  }));
}

/**
 * Compares every service's exposure with its objective and raises, escalates or resolves its one
 * internal alert when its status changes: P3 from 80%, P1 over 100%, resolved back under 80% (a
 * change between P3 and P1 resolves the open alert and raises the other, under the same key). The
 * last status is kept per service, so any node may run this: each change is applied once, in the
 * transaction that records it (on PostgreSQL under the service's row lock). A service without any
 * point yet, or no longer watched, counts as ok. Returns the services whose status changed.
 */
export async function evaluateRpo(ctx: Ctx, logger?: Logger): Promise<string[]> {
  const current = await rpoExposure(ctx);
  const target = new Map(current.map((r) => [r.service, r.status === 'unknown' ? 'ok' : r.status]));
  const stored = await q(ctx).selectFrom('rpo_state').select(['service', 'status']).execute();
  for (const row of stored) if (!target.has(row.service)) target.set(row.service, 'ok');
  const known = new Map(stored.map((r) => [r.service, r.status]));
  const services = new Set(ctx.config.current.services.map((s) => s.id));
  const changed: string[] = [];
  for (const [service, status] of target) {
    if ((known.get(service) ?? 'ok') === status) continue;
    const info = current.find((r) => r.service === service);
    try {
      const did = await withTransaction(ctx, async (tx) => {
        await q(tx).insertInto('rpo_state').values({ service, status: 'ok', changed_at: tx.clock.now() }).onConflict((oc) => oc.column('service').doNothing()).execute();
        let select = q(tx).selectFrom('rpo_state').select('status').where('service', '=', service);
        if (tx.db.dialect.name === 'postgres') select = select.forUpdate();
        const row = await select.executeTakeFirstOrThrow();
        if (row.status === status) return false;
        if (!services.has(service)) {
          // The service is gone from the config: its alert cannot name it, and it watches nothing now.
          await q(tx).deleteFrom('rpo_state').where('service', '=', service).execute();
          return true;
        }
        await q(tx).updateTable('rpo_state').set({ status, changed_at: tx.clock.now() }).where('service', '=', service).execute();
        const alert = rpoAlert(service, status, info);
        // A repeat of an open alert only counts; a change of severity (warning ↔ breached) ends the
        // open alert so the new one carries its own severity and summary, under the same key.
        if (status !== 'ok' && row.status !== 'ok') await raiseInternalAlert(tx, alert, false);
        await raiseInternalAlert(tx, alert, status !== 'ok');
        return true;
      });
      if (did) {
        changed.push(service);
        logger?.info({ service, status, exposure_ms: info?.exposure_ms ?? null, rpo_ms: info?.rpo_ms }, 'recovery: RPO status changed');
      }
    } catch (err) {
      logger?.error({ err, service }, 'recovery: could not apply an RPO status change');
    }
  }
  return changed;
}

function rpoAlert(service: string, status: RpoStatus, info: ServiceRpo | undefined) {
  const secs = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : Math.round(ms / 1000));
  const exposure = secs(info?.exposure_ms);
  const objective = secs(info?.rpo_ms);
  const words = status === 'breached' ? 'RPO breached' : 'RPO at risk';
  return {
    dedupKey: rpoAlertKey(service),
    serviceId: service,
    severity: status === 'breached' ? RPO_BREACH_SEVERITY : RPO_WARNING_SEVERITY,
    summary: `${words} for ${service}: newest restorable point ${exposure ?? '?'} s old (objective ${objective ?? '?'} s)`,
    details: {
      status,
      exposure_seconds: exposure,
      objective_seconds: objective,
      newest_restorable_at: info?.newest_restorable_at ? isoTime(info.newest_restorable_at) : null,
      sources: info?.sources.map((s) => ({ monitor_id: s.monitor_id, restorable_at: s.restorable_at === null ? null : isoTime(s.restorable_at) })) ?? [],
    },
  };
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** firebreak_rpo_exposure_seconds and firebreak_rpo_objective_seconds per watched service. */
export async function rpoMetricsText(ctx: Ctx): Promise<string> {
  const rows = await rpoExposure(ctx);
  if (!rows.length) return '';
  let out = '# HELP firebreak_rpo_exposure_seconds Age of the newest restorable point of the service\'s data (now minus that point)\n# TYPE firebreak_rpo_exposure_seconds gauge\n';
  for (const r of rows) if (r.exposure_ms !== null) out += `firebreak_rpo_exposure_seconds{service="${escape(r.service)}"} ${r.exposure_ms / 1000}\n`;
  out += '# HELP firebreak_rpo_objective_seconds The service\'s recovery point objective\n# TYPE firebreak_rpo_objective_seconds gauge\n';
  for (const r of rows) out += `firebreak_rpo_objective_seconds{service="${escape(r.service)}"} ${r.rpo_ms / 1000}\n`;
  return out;
}
