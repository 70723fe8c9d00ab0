import type { ProbeMonitorConfig } from '../../../config/monitors-schema.ts';
import { probeDns } from './dns.ts';
import { probeHttp } from './http.ts';
import { probeTcp } from './tcp.ts';
import { probeTls } from './tls.ts';
import type { ProbeOptions, ProbeResult } from './types.ts';

export { probeDns, probeHttp, probeTcp, probeTls };
export { PROBE_REASONS, type ProbeOptions, type ProbePhases, type ProbeReason, type ProbeResult, type ProbeStatus } from './types.ts';

/** Runs one check of an active monitor with the probe for its type; never throws. */
export function runProbe(cfg: ProbeMonitorConfig, opts?: ProbeOptions): Promise<ProbeResult> {
  switch (cfg.type) {
    case 'http':
      return probeHttp(cfg, opts);
    case 'tcp':
      return probeTcp(cfg, opts);
    case 'dns':
      return probeDns(cfg, opts);
    case 'tls':
      return probeTls(cfg, opts);
  }
}
