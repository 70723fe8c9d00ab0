import { resolveSettings, type Flags } from '../../config/settings.ts';
import { formatIssues } from '../../config/load.ts';
import { startServer } from '../../main.ts';
import type { Io } from '../io.ts';

/** `firebreak serve`: runs until SIGTERM/SIGINT; SIGHUP reloads firebreak.yaml. */
export async function serveCommand(flags: Flags, io: Io): Promise<number> {
  const settings = resolveSettings(flags, io.env);
  const server = await startServer(settings, { announce: io.out });
  const shutdown = (signal: string) => {
    server.logger.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close().then(
      () => {
        server.logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        server.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    const result = server.config.reload();
    if (result.ok) server.logger.info({ config: server.config.path }, 'configuration reloaded');
    else server.logger.error({ config: server.config.path, issues: result.issues }, `configuration NOT reloaded, keeping the last good one:\n${formatIssues(server.config.path ?? '', result.issues)}`);
  });
  // Keep running: the server's socket holds the event loop open until shutdown.
  return new Promise<number>(() => {});
}
