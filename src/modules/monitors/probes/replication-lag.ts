import pg from 'pg';
import type { ReplicationLagMonitorConfig } from '../../../config/monitors-schema.ts';
import { getAtPath } from '../../../lib/json-path.ts';
import { degraded, down, guardProbe, up, type Verdict } from './common.ts';
import type { ProbeOptions, ProbeResult } from './types.ts';

/** Bytes of an HTTP answer read for the lag figure. */
const HTTP_BODY_MAX = 64 * 1024;
/** Share of the service's RPO at which lag is degraded when no degraded_after is set. */
export const LAG_WARN_SHARE = 0.8;

/**
 * Measures a replica's lag: the first column of a query's first row on PostgreSQL, or a number an
 * HTTP endpoint returns (at `json_path`, or the whole body). Degraded above `degraded_after` (or 80%
 * of the service's RPO), down above `down_after` (or the RPO); the lag is kept with the result.
 */
export async function probeReplicationLag(cfg: ReplicationLagMonitorConfig, opts: ProbeOptions = {}): Promise<ProbeResult> {
  let lagMs: number | undefined;
  const result = await guardProbe(cfg.timeout, opts.signal, async (ctx) => {
    let raw: unknown;
    if (/^postgres(ql)?:/i.test(cfg.url)) {
      ctx.stage = 'querying';
      const client = new pg.Client({ connectionString: cfg.url, connectionTimeoutMillis: cfg.timeout, query_timeout: cfg.timeout, application_name: 'firebreak-replication-lag' });
      ctx.defer(() => void client.end().catch(() => {}));
      // A connection dropped after the check must not crash the process.
      client.on('error', () => {});
      await client.connect();
      const res = await client.query({ text: cfg.query!, rowMode: 'array' });
      const row = res.rows[0] as unknown[] | undefined;
      if (!row || row.length === 0) return down('expect', 'the query returned no rows');
      raw = row[0];
    } else {
      ctx.stage = 'waiting for the response';
      const abort = new AbortController();
      ctx.defer(() => abort.abort());
      const res = await fetch(cfg.url, { signal: abort.signal, headers: { accept: 'application/json, text/plain' } });
      ctx.httpStatus = res.status;
      if (res.status < 200 || res.status > 299) return down('status', `HTTP ${res.status}`);
      const text = (await readCapped(res, HTTP_BODY_MAX)).trim();
      if (cfg.json_path) {
        try {
          raw = getAtPath(JSON.parse(text), cfg.json_path.path);
        } catch {
          return down('json', 'the answer is not JSON');
        }
      } else raw = text;
    }
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+(\.\d+)?(e[+-]?\d+)?\s*$/i.test(raw) ? Number(raw) : NaN;
    if (!Number.isFinite(value)) return down('expect', `the lag is not a number (${raw === null ? 'null: is this a replica?' : typeof raw})`);
    lagMs = Math.max(0, Math.round(cfg.unit === 'seconds' ? value * 1000 : value));
    return lagVerdict(lagMs, cfg, opts.rpoMs);
  });
  if (lagMs !== undefined) result.lagMs = lagMs;
  return result;
}

/** Degraded or down by the monitor's thresholds, else by the service's RPO. */
export function lagVerdict(lagMs: number, cfg: Pick<ReplicationLagMonitorConfig, 'degraded_after' | 'down_after'>, rpoMs: number | undefined): Verdict {
  const downAfter = cfg.down_after ?? rpoMs;
  const degradedAfter = cfg.degraded_after ?? (cfg.down_after === undefined && rpoMs !== undefined ? rpoMs * LAG_WARN_SHARE : undefined);
  const secs = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  if (downAfter !== undefined && lagMs > downAfter) return down('lag', `replication lag ${secs(lagMs)} is over ${secs(downAfter)}`);
  if (degradedAfter !== undefined && lagMs > degradedAfter) return degraded('lag', `replication lag ${secs(lagMs)} is over ${secs(degradedAfter)}`);
  return up();
}

async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size >= max) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, max);
}
