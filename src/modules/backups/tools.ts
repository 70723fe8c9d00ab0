import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { backupError } from './errors.ts';

/** Where Firebreak's data lives, as `firebreak serve` would open it (see createDatabase). */
export type StoreLocation = { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string };

export function storeLocation(settings: { databaseUrl: string | null; dataDir: string }): StoreLocation {
  const url = settings.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) return { engine: 'postgres', url };
  if (url && url.startsWith('sqlite:')) return { engine: 'sqlite', file: url.slice('sqlite:'.length) };
  return { engine: 'sqlite', file: join(settings.dataDir, 'firebreak.db') };
}

/**
 * A PostgreSQL URL without its password, and the environment that carries the password instead:
 * command lines are visible to every user of the machine (ps), the environment is not.
 */
export function pgConnection(url: string, env: NodeJS.ProcessEnv = process.env): { url: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { url: u.toString(), env: { ...env, ...(password && { PGPASSWORD: password }) } };
}

export interface Tool {
  child: ChildProcess;
  /** Settles when the process has exited: rejects with its last stderr lines unless it exited 0. */
  done: Promise<void>;
  /** Kills the whole process group (the tool and anything it started). */
  kill(): void;
}

/** Runs a program without a shell, in its own process group, keeping the tail of its stderr for errors. */
export function runTool(command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; stdout?: 'pipe' | 'ignore'; stdin?: 'pipe' | 'ignore' } = {}): Tool {
  const child = spawn(command, args, { env: opts.env, stdio: [opts.stdin ?? 'ignore', opts.stdout ?? 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
  });
  const kill = () => {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (e) => reject(backupError('BACKUP_TOOL_FAILED', `cannot run ${command}: ${e.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(backupError('BACKUP_TOOL_FAILED', `${command} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no output'}`));
    });
  });
  // The caller awaits `done` where it matters; an early rejection must not be unhandled meanwhile.
  done.catch(() => {});
  return { child, done, kill };
}

/** Copies `source` into every sink, as fast as the slowest one takes it; ends them all at the end. */
export function tee(source: Readable, sinks: Writable[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let waiting = 0;
    const onDrain = () => {
      if (--waiting === 0) source.resume();
    };
    source.on('data', (c: Buffer) => {
      for (const s of sinks) {
        if (!s.write(c)) {
          waiting++;
          s.once('drain', onDrain);
        }
      }
      if (waiting > 0) source.pause();
    });
    source.on('error', reject);
    for (const s of sinks) s.on('error', reject);
    source.once('end', () => {
      for (const s of sinks) s.end();
      resolve();
    });
  });
}
