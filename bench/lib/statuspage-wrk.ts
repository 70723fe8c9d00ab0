/**
 * wrk (Debian package `wrk`) for the status-page benchmark: one closed-loop run against a URL,
 * its `--latency` report parsed, and a one-line progress while it runs. wrk is written in C and
 * uses one thread per `-t`, so it takes less of the shared two cores than a Node load generator.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface WrkRun {
  url: string;
  threads: number;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
}

export interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  /** Latency percentiles from wrk's "Latency Distribution", ms. */
  p50: number;
  p99: number;
  /** Bytes read per response, headers included (wrk's "read" total over its request count). */
  bytesPerResponse: number;
  /** Answers outside 2xx/3xx, and socket errors (connect, read, write, timeout) summed. */
  non2xx: number;
  socketErrors: number;
  /** wrk's own output, for the reader when something looks wrong. */
  raw: string;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_BYTES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** wrk prints numbers with units (`3.06ms`, `24.60MB`, `1.23k`); these turn them into plain numbers. */
function latencyMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`wrk: cannot read the latency "${text}"`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

function sizeBytes(text: string): number {
  const m = /^([\d.]+)(B|KB|MB|GB|TB)$/.exec(text.trim());
  if (!m) throw new Error(`wrk: cannot read the size "${text}"`);
  return Number(m[1]) * SIZE_BYTES[m[2]];
}

/** The figures of one `wrk --latency` report; throws with the report when a line is missing. */
export function parseWrk(raw: string): WrkResult {
  const need = (re: RegExp, what: string) => {
    const m = re.exec(raw);
    if (!m) throw new Error(`wrk printed no ${what}:\n${raw}`);
    return m;
  };
  const total = need(/(\d+) requests in [\d.]+\w+, ([\d.]+\w+) read/, 'request total');
  const requests = Number(total[1]);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  return {
    requests,
    requestsPerSecond: Number(need(/Requests\/sec:\s+([\d.]+)/, 'Requests/sec')[1]),
    p50: latencyMs(need(/^\s+50%\s+(\S+)$/m, '50% latency')[1]),
    p99: latencyMs(need(/^\s+99%\s+(\S+)$/m, '99% latency (was --latency given?)')[1]),
    bytesPerResponse: requests ? sizeBytes(total[2]) / requests : Number.NaN,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(raw)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1, 5).reduce((a, n) => a + Number(n), 0) : 0,
    raw,
  };
}

/** The wrk process of the run in progress, so that an interrupted bench can stop it. */
let current: ChildProcess | null = null;

/** Stops the wrk run in progress, if any (on Ctrl-C or an error elsewhere). */
export function stopWrk(): void {
  if (current && current.exitCode === null && current.signalCode === null) current.kill('SIGKILL');
}

/**
 * Runs wrk once. `label` names the run in the progress line: rewritten in place each second on
 * a terminal, one line per run otherwise (a log file would fill with carriage returns).
 */
export async function runWrk(wrk: string, run: WrkRun, label: string): Promise<WrkResult> {
  const args = ['-t', String(run.threads), '-c', String(run.connections), '-d', `${run.seconds}s`, '--latency', '--timeout', '5s'];
  for (const [k, v] of Object.entries(run.headers)) args.push('-H', `${k}: ${v}`);
  args.push(run.url);
  const tty = process.stdout.isTTY === true;
  const started = Date.now();
  const progress = () => process.stdout.write(`\r\x1b[K  ${label}: ${Math.min(run.seconds, Math.floor((Date.now() - started) / 1000))}/${run.seconds} s`);
  if (tty) progress();
  else process.stdout.write(`  ${label}: ${run.seconds} s…\n`);
  const timer = tty ? setInterval(progress, 1000) : null;
  try {
    const raw = await new Promise<string>((resolve, reject) => {
      const child = spawn(wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      current = child;
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d));
      child.stderr!.on('data', (d: Buffer) => (out += d));
      child.once('error', reject);
      child.once('exit', (code, signal) => (code === 0 ? resolve(out) : reject(new Error(`wrk ${args.join(' ')} ended with ${signal ?? code}:\n${out}`))));
    });
    return parseWrk(raw);
  } finally {
    current = null;
    if (timer) clearInterval(timer);
    if (tty) process.stdout.write('\r\x1b[K');
  }
}
