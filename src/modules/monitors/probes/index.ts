import type { ProbeMonitorConfig } from '../../../config/monitors-schema.ts';
import { probeBackupStatus } from './backup-status.ts';
import { probeDns } from './dns.ts';
import { probeReplicationLag } from './replication-lag.ts';
import { probeHttp } from './http.ts';
import { probeTcp } from './tcp.ts';
import { probeTls } from './tls.ts';
import type { ProbeOptions, ProbeResult } from './types.ts';

export { probeBackupStatus, probeDns, probeHttp, probeReplicationLag, probeTcp, probeTls };
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
    case 'backup_status':
      return probeBackupStatus(cfg, opts);
    case 'replication_lag':
      return probeReplicationLag(cfg, opts);
  }
}
