import type { HeartbeatMonitorConfig } from '../../config/monitors-schema.ts';
import { nextCronTime, parseCron, type CronSchedule } from '../../lib/cron.ts';
import type { ProbeStatus } from './probes/types.ts';

/**
 * A monitor's confirmed state. Probes: new → up / degraded / down, each change confirmed by a
 * streak of results (`confirm.down` to get worse, `confirm.up` to get better), so one blip never
 * pages. Heartbeats (healthchecks.io): new → up on the first ping, grace once a ping is late,
 * down when it is later than the grace period or the job reports failure. Paused is a flag on top.
 */
export type MonitorStatus = 'new' | 'up' | 'degraded' | 'down' | 'grace';

export interface StreakState {
  status: MonitorStatus;
  streak_status: string | null;
  streak: number;
  streak_since: number | null;
}

const RANK: Record<ProbeStatus, number> = { up: 0, degraded: 1, down: 2 };

/** The state after one more probe result at `at`: the streak grows or restarts, and may confirm a change. */
export function applyProbeResult(state: StreakState, result: ProbeStatus, at: number, confirm: { down: number; up: number }): StreakState {
  const same = state.streak_status === result;
  const streak = same ? state.streak + 1 : 1;
  const streak_since = same && state.streak_since !== null ? state.streak_since : at;
  let status = state.status;
  if (status !== result) {
    const current = status === 'new' || status === 'grace' ? null : RANK[status];
    // Getting better needs `up` results in a row; getting worse (or a first verdict of trouble) `down`.
    const needed = result === 'up' || (current !== null && RANK[result] < current) ? confirm.up : confirm.down;
    if (streak >= needed) status = result;
  }
  return { status, streak_status: result, streak, streak_since };
}

/** The signal a state calls for: an alert while down (the monitor's severity) or degraded (P3). */
export function desiredSignal(status: MonitorStatus): 'down' | 'degraded' | null {
  return status === 'down' ? 'down' : status === 'degraded' ? 'degraded' : null;
}

export interface HeartbeatState {
  status: MonitorStatus;
  last_ping_at: number | null;
  last_start_at: number | null;
}

const schedules = new Map<string, CronSchedule>();
function schedule(expr: string): CronSchedule {
  let s = schedules.get(expr);
  if (!s) schedules.set(expr, (s = parseCron(expr)));
  return s;
}

/** When the next success ping is expected after one at `pingAt`: a period later, or the cron's next time. */
export function nextExpectedPing(cfg: HeartbeatMonitorConfig, pingAt: number): number {
  return cfg.period !== undefined ? pingAt + cfg.period : nextCronTime(schedule(cfg.cron!), pingAt, cfg.time_zone);
}

/** A job that said /start and has not finished since. */
const running = (s: HeartbeatState) => s.last_start_at !== null && (s.last_ping_at === null || s.last_start_at > s.last_ping_at);

/**
 * A heartbeat's state at `now` from time alone (pings change it directly). New and down stay put:
 * only a ping moves them. A started job that runs longer than the grace period is down.
 */
export function heartbeatStatusAt(cfg: HeartbeatMonitorConfig, s: HeartbeatState, now: number): MonitorStatus {
  if (s.status === 'new' || s.status === 'down' || s.last_ping_at === null) return s.status;
  if (running(s) && now >= s.last_start_at! + cfg.grace) return 'down';
  const expected = nextExpectedPing(cfg, s.last_ping_at);
  if (now >= expected + cfg.grace) return 'down';
  if (now >= expected) return 'grace';
  return 'up';
}

/** The next moment time alone changes a heartbeat's state (for the sweep), or null when only a ping can. */
export function heartbeatDueAt(cfg: HeartbeatMonitorConfig, s: HeartbeatState, now: number): number | null {
  if (s.status === 'new' || s.status === 'down' || s.last_ping_at === null) return null;
  const expected = nextExpectedPing(cfg, s.last_ping_at);
  const candidates = [expected + cfg.grace];
  if (now < expected) candidates.push(expected);
  if (running(s)) candidates.push(s.last_start_at! + cfg.grace);
  const future = candidates.filter((t) => t > now);
  return future.length ? Math.min(...future) : now;
}
