import { sql } from 'kysely';
import type { HeartbeatMonitorConfig } from '../../config/monitors-schema.ts';
import { monitorsById } from './monitor-views.ts';
import type { FirebreakConfig } from '../../config/schema.ts';
import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError, notFound } from '../../lib/errors.ts';
import { RateLimiter } from '../auth/rate-limiter.ts';
import type { Ctx } from '../context.ts';
import { recordRecoveryPoint } from '../recovery/rpo-store.ts';
import { parseRestorableAt, parseSizeBytes } from '../recovery/rpo-values.ts';
import { reconcileSignal } from './monitor-signals.ts';
import { failingParent } from './record-results.ts';
import { chunks, ensureStateRows, insertChange, stateRows, updateState, type MonitorStateRow } from './repository.ts';
import { heartbeatDueAt, heartbeatStatusAt, type MonitorStatus } from './state-machine.ts';

/** What a ping says: the job succeeded, started, failed (or exited non-zero), or only logs. */
export type PingKind = 'success' | 'start' | 'fail' | 'log';

/** The request body kept with a ping, as healthchecks.io does. */
export const PING_BODY_MAX = 10 * 1024;
/** Pings kept per heartbeat (older ones are pruned). */
export const PINGS_KEPT = 100;

export interface PingInput {
  kind: PingKind;
  exitCode?: number;
  /** Run id pairing a start with its finish (healthchecks.io's `rid`). */
  rid?: string;
  method: string;
  remoteAddr?: string;
  userAgent?: string;
  body?: string;
  /** A backup's restorable point and size, as sent (query parameters or a JSON body); checked here. */
  recovery?: { restorable_at?: unknown; size_bytes?: unknown };
}

const byKey = new WeakMap<FirebreakConfig, Map<string, HeartbeatMonitorConfig>>();
/** The heartbeat a ping key belongs to (a lookup map made once per loaded config). */
export function heartbeatByKey(config: FirebreakConfig, key: string): HeartbeatMonitorConfig | undefined {
  let map = byKey.get(config);
  if (!map) {
    map = new Map(config.monitors.filter((m): m is HeartbeatMonitorConfig => m.type === 'heartbeat').map((m) => [m.key, m]));
    byKey.set(config, map);
  }
  return map.get(key);
}

/**
 * Per-heartbeat ping limits, in memory and per node. Over the limit a ping is answered 429 and its
 * body is not kept, but a ping that changes the heartbeat's state is still applied: a flood must
 * never hide a failure or a recovery.
 */
export class PingRateLimits {
  private limiter: RateLimiter | null = null;
  private perMinute = 0;
  /** True when this ping is within the heartbeat's limit. */
  allow(monitorId: string, perMinute: number, now: number): boolean {
    if (!this.limiter || this.perMinute !== perMinute) {
      this.limiter = new RateLimiter(perMinute, 60_000);
      this.perMinute = perMinute;
    }
    return this.limiter.hit(monitorId, now) === 0;
  }
}

export interface PingOutcome {
  monitor_id: string;
  status: MonitorStatus;
  /** Run time of the job this ping finished, when a start was seen. */
  duration_ms: number | null;
  /** False when over the rate limit (the ping was not kept, its state change was). */
  kept: boolean;
  /** The restorable point recorded with this ping, ms since the epoch, if any. */
  restorable_at?: number;
  /** Why a restorable point or size sent with the ping was not used (the ping itself counts). */
  recovery_problems?: string[];
}

/**
 * Records one ping of a heartbeat, durably, with the state change it makes and the signal that
 * change calls for, in one transaction. No session: the key is the credential.
 */
export async function recordPing(ctx: Ctx, key: string, input: PingInput, limits?: PingRateLimits): Promise<PingOutcome> {
  const monitor = heartbeatByKey(ctx.config.current, key);
  if (!monitor) throw notFound('check', 'for this ping key');
  const now = ctx.clock.now();
  const allowed = limits ? limits.allow(monitor.id, ctx.config.current.monitoring.ping_rate_per_minute, now) : true;
  const kind: PingKind = input.exitCode !== undefined ? (input.exitCode === 0 ? 'success' : 'fail') : input.kind;
  const outcome = await withTransaction(ctx, async (tx) => {
    let row = (await stateRows(tx, [monitor.id], true)).get(monitor.id);
    if (!row) {
      await ensureStateRows(tx, [monitor.id]);
      row = (await stateRows(tx, [monitor.id], true)).get(monitor.id)!;
    }
    let duration: number | null = null;
    if (kind === 'success' || kind === 'fail') duration = await runDuration(tx, monitor.id, row, input.rid, now);
    const next: MonitorStateRow = { ...row, paused_at: null, paused_by: null };
    if (kind === 'start') next.last_start_at = now;
    if (kind === 'success' || kind === 'fail') {
      next.last_ping_at = now;
      next.status = kind === 'success' ? 'up' : 'down';
      next.last_run_ms = duration;
      next.last_status = kind === 'success' ? 'up' : 'down';
      next.last_reason = kind === 'fail' ? 'error' : null;
      next.last_message = kind === 'fail' ? (input.exitCode !== undefined ? `the job exited with code ${input.exitCode}` : 'the job reported failure') : null;
      next.last_check_at = now;
    }
    const changed = next.status !== row.status || row.paused_at !== null;
    // Over the limit: only a ping that changes something is applied.
    if (!allowed && !changed && kind !== 'start') return { monitor_id: monitor.id, status: row.status as MonitorStatus, duration_ms: duration, kept: false };
    await applyHeartbeatState(tx, monitor, row, next, now);
    if (allowed) {
      await q(tx)
        .insertInto('heartbeat_pings')
        .values({
          monitor_id: monitor.id,
          at: now,
          kind,
          exit_code: input.exitCode ?? null,
          rid: input.rid ?? null,
          duration_ms: duration,
          method: input.method,
          remote_addr: input.remoteAddr ?? null,
          user_agent: input.userAgent?.slice(0, 200) ?? null,
          body: input.body ? input.body.slice(0, PING_BODY_MAX) : null,
        })
        .execute();
    }
    const point = recoveryPoint(monitor, kind, input.recovery, now, duration);
    if (point.restorableAt !== undefined) {
      await recordRecoveryPoint(tx, { monitorId: monitor.id, service: monitor.service, source: 'heartbeat', restorableAt: point.restorableAt, sizeBytes: point.sizeBytes, observedAt: now, detail: point.sent ? null : { from: duration !== null ? 'run start' : 'ping time' } });
    }
    return {
      monitor_id: monitor.id,
      status: next.status as MonitorStatus,
      duration_ms: duration,
      kept: allowed,
      ...(point.restorableAt !== undefined ? { restorable_at: point.restorableAt } : {}),
      ...(point.problems.length ? { recovery_problems: point.problems } : {}),
    };
  });
  if (!allowed) throw new DomainError('RATE_LIMITED', `Pings for this check are being throttled (over ${ctx.config.current.monitoring.ping_rate_per_minute} a minute); its state is up to date`, { retry_after: 60, status: outcome.status });
  return outcome;
}

/**
 * The restorable point a ping reports: the `restorable_at` it carries (with `size_bytes`), or, for a
 * heartbeat with `recovery_point: true` that sent none, the start of the run it finishes (else the
 * ping's time). Only a success counts; a bad value is refused with a reason, never the ping.
 */
function recoveryPoint(monitor: HeartbeatMonitorConfig, kind: PingKind, sent: PingInput['recovery'], now: number, duration: number | null): { restorableAt?: number; sizeBytes?: number; sent: boolean; problems: string[] } {
  const problems: string[] = [];
  const given = sent?.restorable_at !== undefined || sent?.size_bytes !== undefined;
  if (kind !== 'success') {
    if (given) problems.push(`restorable_at and size_bytes ignored: only a success ping records a restorable point`);
    return { sent: false, problems };
  }
  let restorableAt: number | undefined;
  let sizeBytes: number | undefined;
  if (sent?.restorable_at !== undefined) {
    const at = parseRestorableAt(sent.restorable_at, now);
    if (at.ok) restorableAt = at.value;
    else problems.push(`restorable_at ignored: ${at.problem}`);
  }
  if (sent?.size_bytes !== undefined) {
    const size = parseSizeBytes(sent.size_bytes);
    if (!size.ok) problems.push(`size_bytes ignored: ${size.problem}`);
    else if (sent.restorable_at !== undefined && restorableAt === undefined) problems.push('size_bytes ignored: it belongs to the restorable point refused');
    else sizeBytes = size.value;
  }
  if (restorableAt !== undefined) return { restorableAt, sizeBytes, sent: true, problems };
  // A bad restorable_at must not be replaced by the ping's time: that would hide the problem.
  if (monitor.recovery_point && sent?.restorable_at === undefined) return { restorableAt: duration !== null ? now - duration : now, sizeBytes, sent: false, problems };
  if (sizeBytes !== undefined) problems.push('size_bytes ignored: no restorable_at to go with it (or set recovery_point: true)');
  return { sent: false, problems };
}

/** How long the run this ping finishes took: from the start with the same rid, or the latest unfinished start. */
async function runDuration(tx: Ctx, monitorId: string, row: MonitorStateRow, rid: string | undefined, now: number): Promise<number | null> {
  if (rid !== undefined) {
    const start = await q(tx).selectFrom('heartbeat_pings').select('at').where('monitor_id', '=', monitorId).where('kind', '=', 'start').where('rid', '=', rid).orderBy('id', 'desc').limit(1).executeTakeFirst();
    return start ? now - Number(start.at) : null;
  }
  if (row.last_start_at !== null && (row.last_ping_at === null || row.last_start_at > row.last_ping_at)) return now - row.last_start_at;
  return null;
}

/** Writes a heartbeat's new state: its next due time, the change and the signal it calls for. */
async function applyHeartbeatState(tx: Ctx, monitor: HeartbeatMonitorConfig, row: MonitorStateRow, next: MonitorStateRow, now: number): Promise<void> {
  next.due_at = heartbeatDueAt(monitor, next as never, now);
  if (next.status !== row.status) {
    next.changed_at = now;
    next.streak_since = now;
  }
  const parents = await stateRows(tx, monitor.depends_on);
  const since = next.status === 'down' && row.status === 'grace' && row.last_ping_at !== null ? row.last_ping_at : now;
  const decision = await reconcileSignal(tx, monitor, { status: next.status as MonitorStatus, signalled: row.signalled, reason: next.last_reason ?? (next.status === 'down' ? 'timeout' : null), message: next.last_message ?? (next.status === 'down' ? 'no ping in time' : null), since }, failingParent(monitor, parents));
  next.signalled = decision.signalled;
  next.held = decision.held;
  if (next.status !== row.status) {
    await insertChange(tx, { monitor_id: monitor.id, at: now, from_status: row.status, to_status: next.status, reason: next.last_reason, message: next.last_message, signal_id: decision.signalId, held: decision.held });
  }
  const { monitor_id: _id, lease_owner: _o, lease_until: _u, ...patch } = next;
  await updateState(tx, monitor.id, patch);
}

/**
 * Moves heartbeats whose time has come (late → grace, later → down), each batch in one transaction.
 * On PostgreSQL rows another node is sweeping are skipped. Returns how many changed.
 */
export async function sweepHeartbeats(ctx: Ctx, limit = 500): Promise<number> {
  const now = ctx.clock.now();
  const monitors = monitorsById(ctx.config.current);
  const due = await q(ctx).selectFrom('monitor_state').select('monitor_id').where('due_at', '<=', now).orderBy('due_at').limit(limit).execute();
  let changed = 0;
  for (const part of chunks(due.map((d) => d.monitor_id), 100)) {
    changed += await withTransaction(ctx, async (tx) => {
      let select = q(tx).selectFrom('monitor_state').select('monitor_id').where('monitor_id', 'in', part).where('due_at', '<=', now);
      if (tx.db.dialect.name === 'postgres') select = select.forUpdate().skipLocked();
      const ids = (await select.execute()).map((r) => r.monitor_id);
      const rows = await stateRows(tx, ids);
      let n = 0;
      for (const row of rows.values()) {
        const monitor = monitors.get(row.monitor_id);
        if (monitor?.type !== 'heartbeat' || row.paused_at !== null) {
          await updateState(tx, row.monitor_id, { due_at: null });
          continue;
        }
        const status = heartbeatStatusAt(monitor, row as never, now);
        const next = { ...row, status, last_status: status === 'down' ? 'down' : row.last_status, last_reason: status === 'down' ? 'timeout' : row.last_reason, last_message: status === 'down' ? 'no ping in time' : row.last_message };
        await applyHeartbeatState(tx, monitor, row, next, now);
        if (status !== row.status) n++;
      }
      return n;
    });
  }
  return changed;
}

/** Keeps the newest PINGS_KEPT pings of each heartbeat. */
export async function prunePings(ctx: Ctx): Promise<number> {
  const over = await q(ctx).selectFrom('heartbeat_pings').select(['monitor_id', sql<number>`count(*)`.as('n')]).groupBy('monitor_id').having(sql`count(*)`, '>', PINGS_KEPT).execute();
  let removed = 0;
  for (const { monitor_id } of over) {
    const cutoff = await q(ctx).selectFrom('heartbeat_pings').select('id').where('monitor_id', '=', monitor_id).orderBy('id', 'desc').offset(PINGS_KEPT - 1).limit(1).executeTakeFirst();
    if (!cutoff) continue;
    const { numDeletedRows } = await q(ctx).deleteFrom('heartbeat_pings').where('monitor_id', '=', monitor_id).where('id', '<', cutoff.id).executeTakeFirst();
    removed += Number(numDeletedRows);
  }
  return removed;
}
