import { spawn } from 'node:child_process';
import { clip, OUTPUT_LIMIT, StepFailure, type StepEnv } from './types.ts';

export interface CommandSpec {
  command: string[] | string;
  shell: boolean;
  env?: Record<string, string>;
  cwd?: string;
  success_codes: number[];
}

export interface CommandOutput {
  exit_code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** stdout without surrounding white space: what `--output text` tools print, ready for the next step. */
  text: string;
}

/**
 * Runs a process: an argument list without a shell unless the step sets `shell: true`. It leads a
 * process group of its own, so at the timeout (or a cancel) the whole group is killed with SIGKILL:
 * children it started do not outlive it.
 */
export function runCommandStep(spec: CommandSpec, env: StepEnv): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    if (env.signal.aborted) return reject(env.signal.reason);
    const [file, ...args] = typeof spec.command === 'string' ? [spec.command] : spec.command;
    const child = spawn(file, args, {
      shell: spec.shell,
      detached: true,
      cwd: spec.cwd,
      env: { ...env.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    const collect = (key: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (out[key].length <= OUTPUT_LIMIT) out[key] += chunk.toString('utf8');
    };
    child.stdout.on('data', collect('stdout'));
    child.stderr.on('data', collect('stderr'));
    let killed = false;
    const killGroup = () => {
      killed = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    env.signal.addEventListener('abort', killGroup, { once: true });
    child.on('error', (e) => {
      env.signal.removeEventListener('abort', killGroup);
      reject(new StepFailure(`cannot start ${file}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    });
    child.on('close', (code, signal) => {
      env.signal.removeEventListener('abort', killGroup);
      const output: CommandOutput = { exit_code: code, signal, stdout: clip(out.stdout), stderr: clip(out.stderr), text: clip(out.stdout.trim()) };
      if (killed) return reject(env.signal.reason);
      if (code === null || !spec.success_codes.includes(code)) {
        const tail = out.stderr.trim().split('\n').slice(-3).join(' | ');
        return reject(new StepFailure(`${code === null ? `killed by ${signal}` : `exit code ${code}`}${tail ? `: ${tail.slice(0, 500)}` : ''}`, output));
      }
      resolve(output);
    });
  });
}
