/**
 * What the benchmarks share: the server child with the bench's admin password, a throwaway
 * PostgreSQL database, process CPU from /proc, a check that the machine is otherwise idle, and
 * the statistics and table of the report.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFirebreakServer, type ChildServer } from '../test/helpers/processes.ts';
import { createThrowawayDatabase, PostgresUnreachable } from '../test/helpers/postgres.ts';

export const BENCH_ADMIN_PASSWORD = 'bench admin password, loopback only';
const PG_ADMIN_URL = process.env.FIREBREAK_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const log = (line: string) => process.stdout.write(`${line}\n`);

/** The integer value of option `--name`, or an error naming the allowed range. */
export function intOption(name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer ${min}..${max}`);
  return n;
}

export const percentile = (sorted: ArrayLike<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU seconds (user + system) a process has used, from /proc (Linux; USER_HZ is 100 there). */
export function processCpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Share of all CPUs busy over `ms` (from /proc/stat), to tell whether something else is running; NaN off Linux. */
async function systemBusy(ms: number): Promise<number> {
  const sample = () => {
    const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    return { idle: v[3] + v[4], total: v.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = sample();
    await sleep(ms);
    const b = sample();
    return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
  } catch {
    return Number.NaN;
  }
}

/** Logs the machine and how busy it is before the run: figures from a loaded machine are low and noisy. */
export async function logMachine(bench: string): Promise<void> {
  log(`firebreak ${bench} — ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}`);
  const busy = await systemBusy(2000);
  log(`CPU busy before start: ${(busy * 100).toFixed(0)}% of ${cpus().length} cores${busy > 0.15 ? '  (WARNING: something else is using the CPU; figures will be low and noisy)' : ''}`);
}

/**
 * A new PostgreSQL database named `${prefix}_<pid>_<time>`, or why PostgreSQL is skipped: a
 * machine without it still gets the SQLite figures.
 */
export async function createBenchDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> } | { skip: string }> {
  try {
    return await createThrowawayDatabase(PG_ADMIN_URL, `${prefix}_${process.pid}_${Date.now().toString(36)}`, { connectionTimeoutMillis: 2000 });
  } catch (e) {
    if (e instanceof PostgresUnreachable) return { skip: `${PG_ADMIN_URL} unreachable (${e.message})` };
    throw e;
  }
}

export interface BenchChild {
  url: string;
  child: ChildServer['child'];
  stop(): Promise<void>;
}

/** A long run keeps only the tail of a child's output in memory. */
export const BENCH_OUTPUT_LIMIT = 200_000;

/** Stops with SIGTERM (SIGKILL after 15 s), then reports any error the child logged, which would make its figures suspect. */
export function benchChild(name: string, server: ChildServer): BenchChild {
  return {
    url: server.url,
    child: server.child,
    stop: async () => {
      if (server.child.exitCode !== null) return;
      await server.stop(15_000);
      if (/"level":(50|60)/.test(server.output())) log(`  ${name} logged errors:\n${server.output().slice(0, 2000)}`);
    },
  };
}

/**
 * The Firebreak server as a child process, so the load generator does not take its core.
 * `configFile` undefined runs the example config; `profileDir` writes a CPU profile there.
 */
export async function startBenchServer(opts: { dataDir: string; databaseUrl: string | null; configFile?: string; profileDir?: string }): Promise<BenchChild> {
  const server = await startFirebreakServer({
    dataDir: opts.dataDir,
    env: { ...process.env, LOG_LEVEL: 'warn', FIREBREAK_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD, DATABASE_URL: opts.databaseUrl ?? undefined, FIREBREAK_CONFIG: opts.configFile },
    nodeArgs: opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [],
    outputLimit: BENCH_OUTPUT_LIMIT,
  });
  return benchChild('firebreak', server);
}

/** A Markdown table: the first `leftColumns` columns left-aligned (names), the rest right-aligned (figures). */
export function markdownTable(header: string[], rows: string[][], leftColumns: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const left = (i: number) => i < leftColumns;
  const line = (cells: string[]) => `| ${cells.map((c, i) => (left(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return `${line(header)}\n|${widths.map((w, i) => (left(i) ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|\n${rows.map(line).join('\n')}`;
}
