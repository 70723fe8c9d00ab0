import { z } from 'zod';
import { ping } from '../../db/create-db.ts';
import { schemaStatus } from '../../db/migrate.ts';
import { defineRoute, type RouteDef } from '../route.ts';
import type { AppDeps } from '../build-app.ts';

/** Liveness, readiness, Prometheus metrics and the API description. */
export function healthRoutes(deps: AppDeps, extra: { metricsText: () => Promise<{ contentType: string; body: string }>; openapi: () => unknown }): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/healthz',
      access: 'public',
      tag: 'operations',
      summary: 'Liveness: the process is up',
      response: { schema: z.object({ status: z.literal('ok') }) },
      handler: async () => ({ status: 'ok' }),
    }),
    defineRoute({
      method: 'GET',
      url: '/readyz',
      access: 'public',
      tag: 'operations',
      summary: 'Readiness: the database answers and its schema is current',
      handler: async ({ reply }) => {
        const database = await ping(deps.db);
        const schema = database ? await schemaStatus(deps.db) : null;
        const migrations = schema !== null && schema.pending.length === 0 && schema.unknown.length === 0;
        const ready = database && migrations;
        reply.status(ready ? 200 : 503);
        return { status: ready ? 'ready' : 'not_ready', checks: { database: database ? 'ok' : 'unreachable', migrations: migrations ? 'current' : 'behind_or_ahead' } };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/metrics',
      access: 'viewer',
      tag: 'operations',
      summary: 'Prometheus metrics (send an API token as Bearer)',
      handler: async ({ reply }) => {
        const { contentType, body } = await extra.metricsText();
        reply.type(contentType);
        return body;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/openapi.json',
      access: 'viewer',
      tag: 'operations',
      summary: 'This API, described as OpenAPI 3.1',
      handler: async () => extra.openapi(),
    }),
  ];
}
