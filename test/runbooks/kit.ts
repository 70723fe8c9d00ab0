import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runbookSchema, runbookVersion, type RunbookInput } from '../../src/config/runbook-schema.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { getRun, RunbookRunner, type RunDetailView } from '../../src/modules/runbooks/index.ts';
import type { TestEnv } from '../helpers/env.ts';

/** Puts runbooks (and sql connections) into the test env's live config, as the loader would. */
export function setRunbooks(env: TestEnv, defs: RunbookInput[], connections: { id: string; url: string }[] = []): void {
  env.config.current = {
    ...env.config.current,
    runbooks: {
      runbooks: defs.map((d) => {
        const definition = runbookSchema.parse(d);
        return { definition, version: runbookVersion(definition), source: null };
      }),
      connections,
      lease: 30_000,
    },
  };
}

export function newRunner(env: TestEnv, opts: { nodeId?: string; leaseMs?: number; secrets?: Record<string, string> } = {}): RunbookRunner {
  return new RunbookRunner(
    { db: env.db, config: env.config, clock: env.clock, logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), nodeId: opts.nodeId ?? 'node-a', env: { PATH: process.env.PATH, ...opts.secrets } },
    { pollMs: 20, leaseMs: opts.leaseMs ?? 60_000 },
  );
}

const SETTLED = new Set(['succeeded', 'failed', 'interrupted', 'cancelled', 'waiting_approval']);

/** Passes of the runner until the run settles (finished, or waiting for a person). */
export async function drive(env: TestEnv, runner: RunbookRunner, runId: string): Promise<RunDetailView> {
  for (let i = 0; i < 200; i++) {
    await runner.tick();
    await runner.idle();
    const run = await getRun(env.ctx(env.users.admin.actor), runId);
    if (SETTLED.has(run.status)) return run;
  }
  throw new Error(`run ${runId} did not settle`);
}

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server on loopback; `respond` answers each request, every request is kept. */
export async function localServer(respond: (req: Recorded, res: ServerResponse) => void): Promise<{ url: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(r);
      respond(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'x-role': 'primary' });
  res.end(JSON.stringify(body));
};
