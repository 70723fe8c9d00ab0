import { z } from 'zod';
import { DomainError } from '../../lib/errors.ts';
import { requireRole } from '../../modules/context.ts';
import * as monitors from '../../modules/monitors/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

const idParams = z.object({ id: z.string().max(63) });

/** Monitors: state, results, roll-ups, uptime; pause, resume, run a check now. */
export function monitorRoutes(runner: monitors.MonitorRunner | null): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors',
      access: 'viewer',
      tag: 'monitors',
      summary: 'Every monitor with its current state, optionally by service, type or status',
      query: monitors.listMonitorsQuery,
      handler: ({ ctx, query }) => monitors.listMonitors(ctx, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/scheduler',
      access: 'viewer',
      tag: 'monitors',
      summary: "This node's scheduler: monitors it runs, checks in flight, lag percentiles, the connectivity guard",
      handler: async ({ ctx }) => {
        requireRole(ctx, 'viewer');
        return runner ? runner.status() : { monitors: 0 };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/:id',
      access: 'viewer',
      tag: 'monitors',
      summary: 'One monitor: state, last check, uptime over 24h/7d/30d/90d/365d, latest state changes',
      params: idParams,
      handler: ({ ctx, params }) => monitors.getMonitor(ctx, params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/:id/results',
      access: 'viewer',
      tag: 'monitors',
      summary: "A monitor's raw check results, newest first (kept for monitoring.retention.raw)",
      params: idParams,
      query: monitors.resultsQuery,
      handler: ({ ctx, params, query }) => monitors.monitorResults(ctx, params.id, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/:id/rollups',
      access: 'viewer',
      tag: 'monitors',
      summary: "A monitor's roll-ups per minute, hour or day: checks, failures, uptime, latency p50/p95/max",
      params: idParams,
      query: monitors.rollupsQuery,
      handler: ({ ctx, params, query }) => monitors.monitorRollups(ctx, params.id, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/:id/pings',
      access: 'viewer',
      tag: 'monitors',
      summary: "A heartbeat's latest pings with their bodies, newest first",
      params: idParams,
      handler: ({ ctx, params }) => monitors.heartbeatPings(ctx, params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/monitors/:id/pause',
      access: 'responder',
      tag: 'monitors',
      summary: 'Pause a monitor: no checks, no alerts (its open alert resolves)',
      params: idParams,
      handler: async ({ ctx, params }) => {
        const view = await monitors.setMonitorPaused(ctx, params.id, true);
        await runner?.sync();
        return view;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/monitors/:id/resume',
      access: 'responder',
      tag: 'monitors',
      summary: 'Resume a paused monitor; it starts again as new',
      params: idParams,
      handler: async ({ ctx, params }) => {
        const view = await monitors.setMonitorPaused(ctx, params.id, false);
        await runner?.sync();
        return view;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/monitors/:id/check',
      access: 'responder',
      tag: 'monitors',
      summary: "Run a monitor's check now; the result counts like a scheduled one",
      params: idParams,
      handler: async ({ ctx, params }) => {
        requireRole(ctx, 'responder');
        const monitor = monitors.findMonitor(ctx, params.id);
        if (monitor.type === 'heartbeat') throw new DomainError('VALIDATION_FAILED', 'a heartbeat is checked by its pings, not by Firebreak', { issues: [{ path: 'id', message: 'heartbeat' }] });
        if (!runner) throw new DomainError('NOT_READY', 'monitors are not running on this node');
        const { result, state } = await runner.checkNow(monitor);
        return { result: { status: result.status, duration_ms: Math.round(result.durationMs), reason: result.reason, message: result.message, http_status: result.httpStatus ?? null, phases_ms: result.phases ?? null }, monitor: monitors.monitorView(monitor, state) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/services/:id/uptime',
      access: 'viewer',
      tag: 'monitors',
      summary: "A service's availability from its monitors over 24h/7d/30d/90d/365d, against its target",
      params: idParams,
      handler: ({ ctx, params }) => monitors.serviceUptime(ctx, params.id),
    }),
  ];
}
