/**
 * Real processes on loopback for the tests and benchmarks that need them: the Firebreak server
 * as a child (as it runs in production), a real Prometheus Alertmanager, free ports and polling.
 * Nothing here imports the test runner, so the benchmarks use it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIREBREAK_BIN = join(REPO_ROOT, 'bin/firebreak.js');

/** A port nothing listens on right now: the OS picks one, and it is released for the caller. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns something other than undefined; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(opts.intervalMs ?? 200);
  }
}

/**
 * The outer environment without anything that would point a server or the CLI elsewhere (a
 * developer's own FIREBREAK_URL, DATABASE_URL, PORT…) or change what it prints (TZ, LOG_LEVEL),
 * plus `extra`. LOG_LEVEL is warn unless `extra` says otherwise.
 */
export function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(FIREBREAK_|DATABASE_URL$|PORT$|HOST$|TZ$|LOG_LEVEL$)/.test(k)) env[k] = v;
  return { ...env, LOG_LEVEL: 'warn', ...extra };
}

export interface ChildServer {
  child: ChildProcess;
  /** http://127.0.0.1:PORT */
  url: string;
  /** What the child wrote to stdout and stderr, interleaved (the last `outputLimit` characters). */
  output(): string;
  /** Settles when the child has exited, however it ended; safe to await more than once. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; nothing if it already exited. */
  stop(graceMs: number): Promise<void>;
}

export interface ChildServerOptions {
  /** Names the child in errors. */
  name: string;
  command: string;
  args: string[];
  /** The port the child was told to listen on (with `args`). */
  port: number;
  /** Polled until it answers 2xx. */
  readyPath: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** A long benchmark would otherwise hold all of a chatty child's output in memory. */
  outputLimit?: number;
}

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/**
 * Spawns a server and waits until `readyPath` answers 2xx. Throws with the child's output if it
 * exits first, and kills it and throws if it is not ready within `timeoutMs` (60 s).
 */
export async function startChildServer(opts: ChildServerOptions): Promise<ChildServer> {
  const child = spawn(opts.command, opts.args, { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const limit = opts.outputLimit ?? Infinity;
  let output = '';
  const collect = (d: Buffer) => {
    output += d;
    if (output.length > limit) output = output.slice(-limit);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${opts.port}`;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${opts.name} exited with ${child.exitCode}:\n${output}`);
    if (await fetch(`${url}${opts.readyPath}`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${opts.name} not ready within ${timeoutMs / 1000} s:\n${output}`);
    }
    await sleep(100);
  }
  return {
    child,
    url,
    output: () => output,
    exited,
    stop: async (graceMs) => {
      if (!running(child)) return;
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(graceMs)]);
      if (running(child)) child.kill('SIGKILL');
    },
  };
}

/**
 * `firebreak serve` on a free loopback port with `dataDir`, healthy on /healthz. `nodeArgs` go to
 * node before the script (e.g. --cpu-prof), `args` after `serve`'s own.
 */
export async function startFirebreakServer(opts: { dataDir: string; env: NodeJS.ProcessEnv; nodeArgs?: string[]; args?: string[]; outputLimit?: number }): Promise<ChildServer> {
  const port = await freePort();
  return startChildServer({
    name: 'firebreak',
    command: process.execPath,
    args: [...(opts.nodeArgs ?? []), FIREBREAK_BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', opts.dataDir, ...(opts.args ?? [])],
    port,
    readyPath: '/healthz',
    env: opts.env,
    outputLimit: opts.outputLimit,
  });
}

/**
 * A real Alertmanager on a free loopback port, clustering off (a lone instance would otherwise
 * wait for peers and bind the cluster port), ready on /-/ready.
 */
export async function startAlertmanager(opts: { binary: string; configFile: string; storageDir: string; outputLimit?: number }): Promise<ChildServer> {
  const port = await freePort();
  return startChildServer({
    name: 'alertmanager',
    command: opts.binary,
    args: [`--config.file=${opts.configFile}`, `--storage.path=${opts.storageDir}`, '--cluster.listen-address=', `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    port,
    readyPath: '/-/ready',
    outputLimit: opts.outputLimit,
  });
}
