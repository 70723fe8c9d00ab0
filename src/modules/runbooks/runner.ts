import type { ConfigStore } from '../../config/store.ts';
import type { Database } from '../../db/create-db.ts';
import { withTransaction } from '../../db/transaction.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { repeatEvery } from '../../lib/repeat.ts';
import type { Ctx } from '../context.ts';
import { systemActor } from '../context.ts';
import { recordChange } from '../incidents/index.ts';
import { executeRun } from './execute-run.ts';
import { evaluateIncidentRules } from './incident-rules.ts';
import { claimRun, closeOpenSteps, expiredRunIds, findRun, incidentRefOf, overdueApprovalIds, queuedRunIds, stepRunsOf, updateRun, updateStepRun } from './repository.ts';

export interface RunnerDeps {
  db: Database;
  config: ConfigStore;
  clock: Clock;
  logger: Logger;
  /** This process among the nodes sharing the database. */
  nodeId: string;
  /** Secrets and the environment commands inherit. */
  env: Readonly<Record<string, string | undefined>>;
}

export interface RunnerOptions {
  /** How often to look for queued runs, expired leases and overdue approvals. */
  pollMs?: number;
  /** A node that stops renewing for this long is presumed gone; its runs are marked interrupted. */
  leaseMs?: number;
  /** Runs this node executes at once. */
  concurrency?: number;
  /** How often incident rules are evaluated. */
  rulesEveryMs?: number;
}

/**
 * Executes queued runs on this node, each under a lease renewed while it runs. A run whose node
 * stopped renewing (it crashed, or lost the database) is marked `interrupted` with the step it was
 * on, never re-run by itself: its side effects may have happened. Approvals past their deadline
 * fail their step (and its on_failure applies).
 */
export class RunbookRunner {
  private readonly ctx: Ctx;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private loop: { stop(): Promise<void> } | null = null;
  private readonly rulesEveryMs: number;
  private rulesAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: RunnerDeps,
    opts: RunnerOptions = {},
  ) {
    this.ctx = { db: deps.db, config: deps.config, clock: deps.clock, actor: systemActor('runbooks'), requestId: 'runbooks' };
    this.pollMs = opts.pollMs ?? 1000;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.concurrency = opts.concurrency ?? 4;
    this.rulesEveryMs = opts.rulesEveryMs ?? 5000;
  }

  start(): void {
    this.loop = repeatEvery(this.pollMs, () => this.tick().catch((err) => this.deps.logger.error({ err }, 'runbook runner pass failed')));
  }

  /** One pass: interrupted runs recorded, overdue approvals failed, rules evaluated, queued runs claimed and started. */
  async tick(): Promise<void> {
    await this.recoverExpired();
    await this.expireApprovals();
    if (this.ctx.clock.now() - this.rulesAt >= this.rulesEveryMs) {
      this.rulesAt = this.ctx.clock.now();
      await evaluateIncidentRules(this.ctx);
    }
    if (this.stopping.signal.aborted) return;
    const free = this.concurrency - this.inFlight.size;
    if (free <= 0) return;
    for (const id of await queuedRunIds(this.ctx, free)) {
      const now = this.ctx.clock.now();
      if (!(await claimRun(this.ctx, id, this.deps.nodeId, now, now + this.leaseMs))) continue;
      const work = executeRun({ ctx: this.ctx, logger: this.deps.logger, env: this.deps.env, nodeId: this.deps.nodeId, leaseMs: this.leaseMs }, id, this.stopping.signal)
        .catch((err) => this.deps.logger.error({ err, run: id }, 'runbook run failed'))
        .finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, work);
    }
  }

  /** Resolves when every run this node is executing has stopped or parked (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight.values()]);
  }

  /** Stops taking runs; runs in flight are interrupted (their process groups killed) and recorded so. */
  async stop(): Promise<void> {
    await this.loop?.stop();
    this.stopping.abort();
    await this.idle();
  }

  private async recoverExpired(): Promise<void> {
    for (const id of await expiredRunIds(this.ctx, this.ctx.clock.now())) {
      await withTransaction(this.ctx, async (tx) => {
        const run = await findRun(tx, id, { forUpdate: true });
        const now = tx.clock.now();
        if (run.status !== 'running' || run.lease_until >= now) return;
        const step = run.current_step ?? '(before the first step)';
        const error = `interrupted at step "${step}": the node running it (${run.lease_owner ?? 'unknown'}) stopped renewing its lease; the step may have had effects, so it is not run again by itself (resume the run to run it again)`;
        await closeOpenSteps(tx, id, 'interrupted', now, 'the node running this step stopped');
        await updateRun(tx, id, { status: 'interrupted', error, finished_at: now, updated_at: now, lease_owner: null, lease_until: 0 });
        const incident = await incidentRefOf(tx, run.incident_id);
        if (incident) await recordChange(tx, incident, { kind: 'runbook_finished', body: `Runbook ${run.runbook_id} interrupted at step "${step}"`, data: { run: id, runbook: run.runbook_id, status: 'interrupted', step } }, { touch: false });
      });
      this.deps.logger.warn({ run: id }, 'runbook run interrupted: its node stopped');
    }
  }

  private async expireApprovals(): Promise<void> {
    for (const id of await overdueApprovalIds(this.ctx, this.ctx.clock.now())) {
      await withTransaction(this.ctx, async (tx) => {
        const run = await findRun(tx, id, { forUpdate: true });
        const now = tx.clock.now();
        if (run.status !== 'waiting_approval' || run.deadline_at === null || run.deadline_at > now) return;
        const waiting = (await stepRunsOf(tx, id)).filter((s) => s.status === 'waiting');
        for (const s of waiting) await updateStepRun(tx, s.id, { status: 'failed', finished_at: now, error: 'no decision before the approval timed out' });
        // Queued again: the runner applies the step's on_failure.
        await updateRun(tx, id, { status: 'queued', deadline_at: null, rerun_current: 0, updated_at: now });
        const incident = await incidentRefOf(tx, run.incident_id);
        if (incident) await recordChange(tx, incident, { kind: 'runbook_approval', body: `Approval of "${run.current_step}" timed out`, data: { run: id, runbook: run.runbook_id, step: run.current_step, state: 'timed_out' } }, { touch: false });
      });
    }
  }
}
