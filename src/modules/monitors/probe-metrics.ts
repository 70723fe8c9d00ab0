import type { Ctx } from '../context.ts';
import type { MonitorRunner } from './monitor-runner.ts';
import { allStateRows } from './repository.ts';

const PHASES = ['resolve', 'connect', 'tls', 'processing', 'transfer'] as const;
const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/**
 * The blackbox exporter's series, one set per probe monitor, from the stored last results (so any
 * node answers for all monitors): probe_success, probe_duration_seconds, probe_http_status_code,
 * probe_http_duration_seconds{phase}, probe_ssl_earliest_cert_expiry, with `monitor`, `service`,
 * `type` labels and, on probe_success, the failure `reason`. Plus the scheduler's own lag.
 */
export async function probeMetricsText(ctx: Ctx, runner: MonitorRunner | null): Promise<string> {
  const states = new Map((await allStateRows(ctx)).map((r) => [r.monitor_id, r]));
  const series: Record<string, string[]> = { probe_success: [], probe_duration_seconds: [], probe_http_status_code: [], probe_http_duration_seconds: [], probe_ssl_earliest_cert_expiry: [], firebreak_monitor_up: [] };
  for (const m of ctx.config.current.monitors) {
    const s = states.get(m.id);
    const labels = `monitor="${escape(m.id)}",service="${escape(m.service)}",type="${m.type}"`;
    if (s) series.firebreak_monitor_up.push(`firebreak_monitor_up{${labels},status="${s.paused_at !== null ? 'paused' : s.status}"} ${s.status === 'down' ? 0 : 1}`);
    if (m.type === 'heartbeat' || !s || s.last_check_at === null || s.paused_at !== null) continue;
    series.probe_success.push(`probe_success{${labels},reason="${s.last_status === 'down' ? escape(s.last_reason ?? 'error') : ''}"} ${s.last_status === 'down' ? 0 : 1}`);
    series.probe_duration_seconds.push(`probe_duration_seconds{${labels}} ${(s.last_duration_ms ?? 0) / 1000}`);
    if (m.type === 'http') {
      series.probe_http_status_code.push(`probe_http_status_code{${labels}} ${s.last_http_status ?? 0}`);
      const phases = s.last_phases ? (JSON.parse(s.last_phases) as Record<string, number>) : {};
      for (const phase of PHASES) series.probe_http_duration_seconds.push(`probe_http_duration_seconds{${labels},phase="${phase}"} ${(phases[phase] ?? 0) / 1000}`);
    }
    if (s.cert_expires_at !== null) series.probe_ssl_earliest_cert_expiry.push(`probe_ssl_earliest_cert_expiry{${labels}} ${Math.floor(s.cert_expires_at / 1000)}`);
  }
  const help: Record<string, string> = {
    probe_success: 'Whether the last check succeeded (degraded counts as success); reason says why not',
    probe_duration_seconds: 'How long the last check took',
    probe_http_status_code: 'HTTP status of the last check (0 when none arrived)',
    probe_http_duration_seconds: 'Duration of each HTTP phase of the last check',
    probe_ssl_earliest_cert_expiry: 'Earliest expiry of the peer certificate chain, in unixtime',
    firebreak_monitor_up: 'Confirmed monitor state: 0 when down, else 1 (status label says which)',
  };
  let out = '';
  for (const [name, lines] of Object.entries(series)) {
    if (!lines.length) continue;
    out += `# HELP ${name} ${help[name]}\n# TYPE ${name} gauge\n${lines.join('\n')}\n`;
  }
  if (runner) {
    const { lag_ms: lag, guard } = runner.status();
    out += '# HELP firebreak_monitor_scheduler_lag_seconds How late this node started its recent checks\n# TYPE firebreak_monitor_scheduler_lag_seconds gauge\n';
    for (const [q, v] of [['0.5', lag.p50], ['0.99', lag.p99], ['1', lag.max]] as const) out += `firebreak_monitor_scheduler_lag_seconds{quantile="${q}"} ${v / 1000}\n`;
    out += `# HELP firebreak_monitor_guard_active 1 while this node suspects its own network\n# TYPE firebreak_monitor_guard_active gauge\nfirebreak_monitor_guard_active ${guard.active ? 1 : 0}\n`;
  }
  return out;
}
