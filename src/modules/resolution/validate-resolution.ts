import { FIREBREAK_INTEGRATION_ID, MONITORS_INTEGRATION_ID, type MonitorConfig, type ProbeMonitorConfig } from '../../config/monitors-schema.ts';
import { q } from '../../db/transaction.ts';
import { formatDuration } from '../../lib/duration.ts';
import { isoTime } from '../../lib/iso-time.ts';
import type { Ctx } from '../context.ts';

/** What a health check run on demand reports back (a monitor probe's result, reduced). */
export interface LiveCheckResult {
  status: 'up' | 'degraded' | 'down';
  durationMs: number;
  message: string | null;
}

/** Runs one monitor's check now and records it like a scheduled one (the monitor runner's checkNow). */
export type RunCheck = (monitor: ProbeMonitorConfig) => Promise<LiveCheckResult>;

export const VALIDATION_CHECKS = ['health_checks', 'performance', 'alerts', 'user_reports'] as const;
export type ValidationCheckName = (typeof VALIDATION_CHECKS)[number];

export interface ValidationItem {
  /** A monitor id, an alert's integration/dedup key, or a report id. */
  id: string;
  ok: boolean;
  detail: string;
}

export interface ValidationCheck {
  name: ValidationCheckName;
  /** Passed, failed, or nothing to check (no monitors on the services, say): skipped counts as passed. */
  outcome: 'passed' | 'failed' | 'skipped';
  summary: string;
  items: ValidationItem[];
}

export interface ValidationResult {
  passed: boolean;
  /** live: health checks were run now; recorded: the monitors' latest results were read. */
  mode: 'live' | 'recorded';
  at: string;
  services: string[];
  checks: ValidationCheck[];
}

/** How many on-demand checks run at once: a service rarely has more, and each is one request. */
const CHECK_CONCURRENCY = 8;

/**
 * The plan's validateResolution: the affected services' health checks pass now, their response
 * times are within target (no monitor degraded), their open alerts have resolved, and no user has
 * reported a problem with them in the quiet window. `runCheck` given: every probe monitor is
 * checked now (outside any transaction: a check can take seconds); otherwise each monitor's
 * latest recorded result is used (the stable-period timer, which runs inside a transaction).
 */
export async function validateResolution(ctx: Ctx, incidentId: string, opts: { runCheck?: RunCheck | null } = {}): Promise<ValidationResult> {
  const config = ctx.config.current;
  const services = (await q(ctx).selectFrom('incident_services').select('service_id').where('incident_id', '=', incidentId).orderBy('service_id').execute()).map((s) => s.service_id);
  const monitors = config.monitors.filter((m) => services.includes(m.service));
  const states = new Map(
    monitors.length
      ? (
          await q(ctx)
            .selectFrom('monitor_state')
            .select(['monitor_id', 'status', 'paused_at', 'last_check_at', 'last_status', 'last_duration_ms', 'last_message'])
            .where(
              'monitor_id',
              'in',
              monitors.map((m) => m.id),
            )
            .execute()
        ).map((s) => [s.monitor_id, s])
      : [],
  );
  const active = monitors.filter((m) => states.get(m.id)?.paused_at == null);
  const live = opts.runCheck ? await runLiveChecks(active, opts.runCheck, config.resolution.check_timeout) : new Map<string, LiveCheckResult>();

  const readings = active.map((m) => {
    const now = live.get(m.id);
    const state = states.get(m.id);
    if (now) return { monitor: m, status: now.status, durationMs: now.durationMs, message: now.message, when: 'now' };
    return {
      monitor: m,
      status: (state?.status ?? 'new') as string,
      durationMs: state?.last_duration_ms == null ? null : Number(state.last_duration_ms),
      message: state?.last_message ?? null,
      when: state?.last_check_at == null ? 'never checked' : `checked ${isoTime(Number(state.last_check_at))}`,
    };
  });
  const paused = monitors.length - active.length;

  const checks: ValidationCheck[] = [];
  const healthItems = readings.map((r) => ({
    id: r.monitor.id,
    // Degraded is up but slow: the performance check says so, not this one. A monitor with no
    // result yet (new, or a heartbeat in its first period) has nothing against the fix.
    ok: r.status !== 'down',
    detail: `${r.status}${r.durationMs === null ? '' : ` in ${r.durationMs} ms`} (${r.when})${r.message && r.status === 'down' ? `: ${r.message}` : ''}`,
  }));
  checks.push(
    healthItems.length === 0
      ? { name: 'health_checks', outcome: 'skipped', summary: paused ? `every monitor on ${services.join(', ')} is paused` : `no monitors on ${services.join(', ') || 'the incident'}`, items: [] }
      : tally('health_checks', healthItems, 'monitors passing', paused),
  );

  const perfItems = readings
    .filter((r) => r.status !== 'down' && r.monitor.type !== 'heartbeat')
    .map((r) => {
      const limit = degradedAfter(r.monitor);
      return {
        id: r.monitor.id,
        ok: r.status !== 'degraded',
        detail: r.status === 'degraded' ? `slower than target${limit ? ` (${formatDuration(limit)})` : ''}${r.durationMs === null ? '' : `: ${r.durationMs} ms`}` : `${r.durationMs ?? '?'} ms${limit ? ` (target ${formatDuration(limit)})` : ''}`,
      };
    });
  checks.push(perfItems.length === 0 ? { name: 'performance', outcome: 'skipped', summary: 'no response times to compare', items: [] } : tally('performance', perfItems, 'within target'));

  checks.push(await alertsCheck(ctx, incidentId, new Set(readings.filter((r) => r.when === 'now' && r.status === 'up').map((r) => r.monitor.id))));
  checks.push(await reportsCheck(ctx, services));

  return { passed: checks.every((c) => c.outcome !== 'failed'), mode: opts.runCheck ? 'live' : 'recorded', at: isoTime(ctx.clock.now()), services, checks };
}

function tally(name: ValidationCheckName, items: ValidationItem[], what: string, paused = 0): ValidationCheck {
  const ok = items.filter((i) => i.ok).length;
  const failed = items.filter((i) => !i.ok).map((i) => i.id);
  return {
    name,
    outcome: failed.length ? 'failed' : 'passed',
    summary: `${ok} of ${items.length} ${what}${failed.length ? `; failing: ${failed.join(', ')}` : ''}${paused ? ` (${paused} paused, not checked)` : ''}`,
    items,
  };
}

const degradedAfter = (m: MonitorConfig): number | undefined => (m.type === 'http' ? m.expect.degraded_after : undefined);

/** Every probe monitor checked now, a few at a time; one that outlives the timeout counts as down. */
async function runLiveChecks(monitors: MonitorConfig[], runCheck: RunCheck, timeoutMs: number): Promise<Map<string, LiveCheckResult>> {
  const results = new Map<string, LiveCheckResult>();
  const probes = monitors.filter((m): m is ProbeMonitorConfig => m.type !== 'heartbeat');
  for (let i = 0; i < probes.length; i += CHECK_CONCURRENCY) {
    await Promise.all(
      probes.slice(i, i + CHECK_CONCURRENCY).map(async (m) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<LiveCheckResult>((resolve) => {
          timer = setTimeout(() => resolve({ status: 'down', durationMs: timeoutMs, message: `no answer within ${formatDuration(timeoutMs)}` }), timeoutMs);
        });
        try {
          results.set(m.id, await Promise.race([runCheck(m).catch((err: unknown) => ({ status: 'down' as const, durationMs: 0, message: err instanceof Error ? err.message : String(err) })), timeout]));
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }
  return results;
}

/**
 * The incident's open alerts (every alert on its services joins it while it is open; another open
 * incident's alerts are that incident's business), except Firebreak's own (an undeliverable page says
 * nothing about whether the service is fixed). A monitor's own alert is excused when the monitor
 * passed its check just now: it resolves by itself once the monitor's recovery is confirmed, and
 * the fresh check is the better evidence.
 */
async function alertsCheck(ctx: Ctx, incidentId: string, justPassed: Set<string>): Promise<ValidationCheck> {
  const open = await q(ctx)
    .selectFrom('alerts')
    .select(['integration_id', 'dedup_key', 'summary', 'service_id', 'status'])
    .where('incident_id', '=', incidentId)
    .where('status', '<>', 'resolved')
    .where('integration_id', '<>', FIREBREAK_INTEGRATION_ID)
    .orderBy('first_seen_at')
    .limit(100)
    .execute();
  const items = open.map((a) => {
    const monitorId = a.integration_id === MONITORS_INTEGRATION_ID ? /^monitor\/([^/]+)/.exec(a.dedup_key)?.[1] : undefined;
    const excused = monitorId !== undefined && justPassed.has(monitorId);
    return { id: `${a.integration_id}/${a.dedup_key}`, ok: excused, detail: `${a.status} on ${a.service_id}: ${a.summary}${excused ? ' (its monitor passed just now)' : ''}` };
  });
  const firing = items.filter((i) => !i.ok);
  return {
    name: 'alerts',
    outcome: firing.length ? 'failed' : 'passed',
    summary: firing.length ? `${firing.length} alert${firing.length === 1 ? '' : 's'} still open: ${firing.map((i) => i.id).join(', ')}` : 'no open alerts',
    items,
  };
}

/** No user report about the services within the quiet window. */
async function reportsCheck(ctx: Ctx, services: string[]): Promise<ValidationCheck> {
  const window = ctx.config.current.resolution.quiet_window;
  const quiet = `in the last ${formatDuration(window)}`;
  if (!services.length) return { name: 'user_reports', outcome: 'skipped', summary: 'no services to hear about', items: [] };
  const since = ctx.clock.now() - window;
  const recent = await q(ctx).selectFrom('user_reports').select(['id', 'service_id', 'received_at']).where('service_id', 'in', services).where('received_at', '>=', since).orderBy('received_at', 'desc').limit(50).execute();
  const items = recent.map((r) => ({ id: String(r.id), ok: false, detail: `report on ${r.service_id} at ${isoTime(Number(r.received_at))}` }));
  return {
    name: 'user_reports',
    outcome: items.length ? 'failed' : 'passed',
    summary: items.length ? `${items.length}${items.length === 50 ? '+' : ''} user report${items.length === 1 ? '' : 's'} ${quiet}` : `no user reports ${quiet}`,
    items,
  };
}

/** One line per check for the timeline: ✓ passed, ✗ failed, – skipped. */
export function describeValidation(result: ValidationResult): string {
  const mark = { passed: '✓', failed: '✗', skipped: '–' } as const;
  return result.checks.map((c) => `${mark[c.outcome]} ${c.name.replace('_', ' ')}: ${c.summary}`).join('\n');
}
