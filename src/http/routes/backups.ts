import { z } from 'zod';
import { backupListingView, listBackups, listBackupsQuery, requestBackup, requestVerification, type BackupEnv } from '../../modules/backups/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

/**
 * Backups of Firebreak's own data (docs/backups.md): admin only, since a backup is the whole
 * server's data. `env` gives the routes the targets and the key; without it (an app built without
 * them) only the database's records are listed.
 */
export function backupRoutes(env: Pick<BackupEnv, 'dataDir' | 'env'> | null): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/backups',
      access: 'admin',
      tag: 'backups',
      summary: "Backups per target, newest first: each manifest's facts (sizes, SHA-256s, integrity check, key id), the last restore test, and the RPO exposure of Firebreak's own data",
      query: listBackupsQuery,
      response: { schema: backupListingView },
      handler: ({ ctx, query }) => listBackups(ctx, env, query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/backups',
      access: 'admin',
      tag: 'backups',
      summary: 'Start a backup now: the scheduled backup (then prune) is made due at once and runs in the background; follow it with GET /api/v1/backups',
      response: { status: 202, schema: z.object({ queued: z.literal(true), due_at: z.string(), status_url: z.string() }) },
      handler: async ({ ctx, reply }) => {
        const queued = await requestBackup(ctx);
        reply.status(202);
        return { ...queued, status_url: '/api/v1/backups' };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/backups/verify',
      access: 'admin',
      tag: 'backups',
      summary: "Test a restore now: the scheduled verification (the newest backup of every target restored into scratch and checked) is made due at once; its result and measured restore time appear in GET /api/v1/backups",
      response: { status: 202, schema: z.object({ queued: z.literal(true), due_at: z.string(), status_url: z.string() }) },
      handler: async ({ ctx, reply }) => {
        const queued = await requestVerification(ctx);
        reply.status(202);
        return { ...queued, status_url: '/api/v1/backups' };
      },
    }),
  ];
}
