import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { MONITORS_INTEGRATION_ID, type ProbeMonitorConfig } from '../../config/monitors-schema.ts';
import type { FirebreakConfig } from '../../config/schema.ts';
import type { ConfigStore } from '../../config/store.ts';
import type { Database } from '../../db/create-db.ts';
import { q } from '../../db/transaction.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { systemActor, type Ctx } from '../context.ts';
import { acceptSignal } from '../signals/signal-queue.ts';
import { serviceObjectives } from '../recovery/objectives.ts';
import { evaluateRpo } from '../recovery/rpo.ts';
import type { ProbeOptions } from './probes/types.ts';
import { ConnectivityGuard, type GuardVerdict } from './connectivity-guard.ts';
import { prunePings, sweepHeartbeats } from './heartbeats.ts';
import { LEASE_RENEW_MS, releaseMonitors, shareMonitors } from './leases.ts';
import { runProbe } from './probes/index.ts';
import type { ProbeResult } from './probes/types.ts';
import { recordProbeResults, type CheckOutcome } from './record-results.ts';
import { ensureStateRows, type MonitorStateRow } from './repository.ts';
import { monitorsById } from './monitor-views.ts';
import { pruneMonitorData, rollUp } from './rollups.ts';
import { CheckScheduler } from './scheduler.ts';

/** Dedup key of the guard's internal alert: one, however many nodes suspect their network. */
export const GUARD_KEY = 'firebreak/self-connectivity';
/** Results are written in batches: this often, or sooner when this many wait. */
const FLUSH_MS = 250;
const FLUSH_AT = 500;
/** Results kept for the next flush while the database is unreachable, beyond which the oldest go. */
const BUFFER_MAX = 100_000;
const SWEEP_MS = 1000;
const ROLLUP_MS = 15_000;
/** How often services' RPO exposure is compared with their objectives. */
const RPO_MS = 10_000;
const PRUNE_MS = 5 * 60_000;

export interface RunnerDeps {
  db: Database;
  config: ConfigStore;
  clock: Clock;
  logger: Logger;
}

/**
 * Runs this node's monitors: the scheduler's checks, their results written in batches, the
 * connectivity guard, heartbeat deadlines, roll-ups and retention, and (PostgreSQL) the leases that
 * share monitors between nodes. One per server; `stop()` lets in-flight checks finish or abort.
 */
export class MonitorRunner {
  readonly nodeId = randomUUID();
  private readonly ctx: Ctx;
  private readonly scheduler: CheckScheduler;
  private readonly guard = new ConnectivityGuard();
  private readonly abort = new AbortController();
  private buffer: CheckOutcome[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private owned: string[] = [];
  /** This node's probe monitors (configs), kept from the last sync for the guard. */
  private ownedProbes: ProbeMonitorConfig[] = [];
  private scheduledKey = '';
  private verdict: GuardVerdict = { active: false, reason: null, failing: 0, total: 0 };
  private guardService: string | null = null;
  private busy = new Set<string>();
  private rowsFor: FirebreakConfig | null = null;
  private stopped = false;

  constructor(private readonly deps: RunnerDeps) {
    this.ctx = { db: deps.db, config: deps.config, clock: deps.clock, requestId: 'monitors', actor: systemActor('monitors') };
    // Every check in flight listens on this one signal (shutdown aborts them all).
    setMaxListeners(0, this.abort.signal);
    this.scheduler = new CheckScheduler({ concurrency: () => deps.config.current.monitoring.concurrency, run: (id) => this.check(id) });
  }

  async start(): Promise<void> {
    await this.sync();
    this.scheduler.start();
    // A reloaded config (SIGHUP) takes effect at once rather than at the next periodic sync.
    this.deps.config.onChange(() => {
      if (!this.stopped) this.sync().catch((err) => this.deps.logger.error({ err }, 'monitors: sync after reload failed'));
    });
    const every = (ms: number, job: string, fn: () => Promise<unknown>) => {
      let running = false;
      const t = setInterval(() => {
        if (running || this.stopped) return;
        running = true;
        fn()
          .catch((err) => this.deps.logger.error({ err, job }, 'monitor job failed'))
          .finally(() => (running = false));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(FLUSH_MS, 'flush', () => this.flush());
    every(LEASE_RENEW_MS, 'sync', () => this.sync());
    every(SWEEP_MS, 'heartbeats', () => sweepHeartbeats(this.ctx));
    every(ROLLUP_MS, 'rollup', () => rollUp(this.ctx));
    every(RPO_MS, 'rpo', () => evaluateRpo(this.ctx, this.deps.logger));
    every(PRUNE_MS, 'retention', async () => {
      await pruneMonitorData(this.ctx);
      await prunePings(this.ctx);
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.abort.abort();
    await this.scheduler.stop();
    await this.flush();
    if (this.deps.db.dialect.name === 'postgres') await releaseMonitors(this.ctx, this.nodeId).catch(() => {});
  }

  /** Re-reads which monitors this node runs and which are paused (after a pause, a resume, a reload). */
  async sync(): Promise<void> {
    const config = this.deps.config.current;
    const monitors = config.monitors;
    // State rows are made once per loaded config, not on every sync (each insert is a write).
    if (this.rowsFor !== config) {
      await ensureStateRows(this.ctx, monitors.map((m) => m.id));
      this.rowsFor = config;
    }
    const probes = monitors.filter((m): m is ProbeMonitorConfig => m.type !== 'heartbeat');
    this.owned = this.deps.db.dialect.name === 'postgres' ? await shareMonitors(this.ctx, this.nodeId, probes.map((m) => m.id)) : probes.map((m) => m.id);
    const paused = new Set((await q(this.ctx).selectFrom('monitor_state').select('monitor_id').where('paused_at', 'is not', null).execute()).map((r) => r.monitor_id));
    const byId = new Map(probes.map((m) => [m.id, m]));
    this.ownedProbes = this.owned.map((id) => byId.get(id)!).filter(Boolean);
    const run = this.owned.filter((id) => !paused.has(id)).map((id) => ({ id, interval: byId.get(id)!.interval }));
    const key = run.map((r) => `${r.id}:${r.interval}`).join(',');
    for (const id of paused) this.guard.forget(id);
    if (key !== this.scheduledKey) {
      this.scheduledKey = key;
      this.scheduler.setMonitors(run);
    }
  }

  /** Runs one monitor's check now and records it at once; the result and the new state. */
  async checkNow(monitor: ProbeMonitorConfig): Promise<{ result: ProbeResult; state: MonitorStateRow | undefined }> {
    const result = await runProbe(monitor, this.probeOptions(monitor));
    const at = this.deps.clock.now();
    this.guard.note(monitor.id, result.status, at);
    const states = await recordProbeResults(this.ctx, [{ monitorId: monitor.id, at, result }], { guard: this.verdict.active ? 'guard' : null });
    return { result, state: states.get(monitor.id) };
  }

  /** The scheduler's figures and the guard's verdict, for the API and /metrics. */
  status() {
    return { node_id: this.nodeId, monitors: this.owned.length, scheduled: this.scheduler.size, in_flight: this.scheduler.running, lag_ms: this.scheduler.lagStats(), guard: this.verdict };
  }

  resetLagStats(): void {
    this.scheduler.resetLagStats();
  }

  private async check(id: string): Promise<void> {
    const monitor = monitorsById(this.deps.config.current).get(id);
    // A check still running when its next turn comes is not started twice.
    if (!monitor || monitor.type === 'heartbeat' || this.busy.has(id)) return;
    this.busy.add(id);
    try {
      const result = await runProbe(monitor, this.probeOptions(monitor));
      if (this.abort.signal.aborted) return;
      const at = this.deps.clock.now();
      this.guard.note(id, result.status, at);
      this.buffer.push({ monitorId: id, at, result });
      if (this.buffer.length > BUFFER_MAX) this.buffer.splice(0, this.buffer.length - BUFFER_MAX);
      if (this.buffer.length >= FLUSH_AT) void this.flush();
    } finally {
      this.busy.delete(id);
    }
  }

  /** The abort signal, and for a replication check its service's RPO (its default thresholds). */
  private probeOptions(monitor: ProbeMonitorConfig): ProbeOptions {
    if (monitor.type !== 'replication_lag') return { signal: this.abort.signal };
    return { signal: this.abort.signal, rpoMs: serviceObjectives(this.deps.config.current, monitor.service).rpo_ms };
  }

  /** Writes waiting results (one flush at a time); on failure they wait for the next. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (!this.buffer.length) return;
      const batch = this.buffer;
      this.buffer = [];
      try {
        await this.updateGuard(batch);
        await recordProbeResults(this.ctx, batch, { guard: this.verdict.active ? 'guard' : null });
      } catch (err) {
        this.buffer = batch.concat(this.buffer).slice(-BUFFER_MAX);
        this.deps.logger.error({ err, results: batch.length }, 'monitor results could not be written; kept for the next attempt');
      }
    });
    return this.flushing;
  }

  /**
   * Re-evaluates the guard; when it turns on or off, raises or resolves its one internal alert.
   * While it is off only a batch with failures can turn it on, so other batches skip the walk over
   * every monitor (at 50,000 monitors that walk was most of the runner's CPU).
   */
  private async updateGuard(batch: CheckOutcome[]): Promise<void> {
    if (!this.verdict.active && !batch.some((o) => o.result.status === 'down')) return;
    const cfg = this.deps.config.current;
    const probes = this.ownedProbes;
    const verdict = this.guard.evaluate(probes, cfg.monitoring.guard, this.deps.clock.now());
    const was = this.verdict.active;
    this.verdict = verdict;
    if (verdict.active === was) return;
    const service = verdict.active ? (probes.find((m) => m.canary)?.service ?? probes[0]?.service ?? cfg.services[0]?.id) : this.guardService;
    if (!service) return;
    this.guardService = service;
    const now = this.deps.clock.now();
    const payload = JSON.stringify({ guard: verdict, node: this.nodeId });
    this.deps.logger.warn({ guard: verdict }, verdict.active ? 'monitors: own network suspect; holding monitor alerts' : 'monitors: own network looks fine again');
    await acceptSignal(
      this.ctx,
      MONITORS_INTEGRATION_ID,
      { receivedAt: now, eventAction: verdict.active ? 'trigger' : 'resolve', dedupKey: GUARD_KEY, payload },
      verdict.active
        ? [
            {
              status: 'firing',
              firing: {
                dedupKey: GUARD_KEY,
                serviceId: service,
                summary: `Firebreak suspects its own network: ${verdict.reason}; monitor alerts are held until it recovers`,
                source: 'firebreak monitors',
                sourceSeverity: 'error',
                severity: 'P2',
                detectedAt: now,
                details: { ...verdict, node: this.nodeId },
                labels: { monitor_guard: 'self-connectivity' },
              },
            },
          ]
        : [{ status: 'resolved', dedupKey: GUARD_KEY, serviceId: service }],
    );
  }
}

