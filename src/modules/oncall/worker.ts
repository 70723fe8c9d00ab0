import type { ConfigStore } from '../../config/store.ts';
import type { Database } from '../../db/create-db.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { repeatEvery } from '../../lib/repeat.ts';
import { systemActor, type Ctx } from '../context.ts';
import { loadSigningKey } from '../notifications/index.ts';
import type { EngineDeps } from './escalation-state.ts';
import { runOncallReactions, type IncidentReactor } from './reactions.ts';
import { checkEscalationLateness } from './watchdog.ts';

/** Reaction consumers per node on PostgreSQL (each holds a pool connection while it works). */
const REACTION_CONSUMERS = 4;

export interface OncallWorkerDeps {
  db: Database;
  config: ConfigStore;
  clock: Clock;
  logger: Logger;
}

/** The engine's dependencies: the link-signing key from the database and this node's name. */
export async function createEngine(deps: Pick<OncallWorkerDeps, 'db' | 'clock'>, nodeId: string): Promise<EngineDeps> {
  return { signingKey: await loadSigningKey({ db: deps.db, clock: deps.clock }), nodeId };
}

/**
 * This node's share of the on-call engine: reacts to incident events (paging, stopping, stakeholder
 * duties) as they are committed, and runs the lateness watchdog. The engine's timers run in the
 * shared timer loop (see oncallTimerHandlers).
 */
export class OncallWorker {
  private readonly ctx: Ctx;
  private readonly failures = new Map<number, number>();
  private loop: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private watchdog: { stop(): Promise<void> } | null = null;

  constructor(
    private readonly deps: OncallWorkerDeps,
    private readonly engine: EngineDeps,
    private readonly opts: { pollMs?: number; watchdogMs?: number; onReacted?: () => void; reactors?: IncidentReactor[] } = {},
  ) {
    this.ctx = { db: deps.db, config: deps.config, clock: deps.clock, requestId: 'oncall', actor: systemActor('escalation') };
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
    this.watchdog = repeatEvery(this.opts.watchdogMs ?? 5000, () => checkEscalationLateness(this.ctx, this.deps.logger).catch((err) => this.deps.logger.error({ err }, 'escalation watchdog failed')));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.loop) clearTimeout(this.loop);
    await this.running;
    await this.watchdog?.stop();
  }

  /**
   * Reacts to every waiting event now (tests drive the engine with this and a manual clock). On
   * PostgreSQL several consumers claim disjoint batches at once: a reaction is a score of round
   * trips, and a storm of a thousand new incidents must not queue behind one connection.
   */
  async runOnce(): Promise<number> {
    const parallel = this.deps.db.dialect.supportsSkipLocked;
    const width = parallel ? REACTION_CONSUMERS : 1;
    const limit = parallel ? 25 : 200;
    const counts = await Promise.all(
      Array.from({ length: width }, async () => {
        let total = 0;
        for (;;) {
          const n = await runOncallReactions(this.ctx, this.engine, { logger: this.deps.logger, failures: this.failures, limit, reactors: this.opts.reactors });
          total += n;
          if (n < limit) return total;
        }
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  private schedule(delay: number): void {
    this.loop = setTimeout(() => {
      this.running = this.runOnce()
        .then((n) => {
          if (n > 0) this.opts.onReacted?.();
        })
        .catch((err) => this.deps.logger.error({ err }, 'on-call reactions failed'))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.schedule(this.opts.pollMs ?? 100);
        });
    }, delay);
    this.loop.unref();
  }
}
