import type { Ctx } from '../context.ts';
import { backupMetricsRows } from './repository.ts';

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/**
 * Backup health for /metrics, from the database (any node answers for the cluster): per target,
 * the newest restorable backup's time, size and duration, the last verification's time, result and
 * measured restore time; and the RPO exposure, now minus the newest restorable point anywhere.
 */
export async function backupMetricsText(ctx: Ctx): Promise<string> {
  if (!ctx.config.current.backups.configured) return '';
  const now = ctx.clock.now();
  const { newest, lastVerify } = await backupMetricsRows(ctx);
  const lines: string[] = [];
  const gauge = (name: string, help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, v] of samples) lines.push(`${name}${labels} ${v}`);
  };
  const t = (id: string) => `{target="${esc(id)}"}`;
  gauge('firebreak_backup_last_success_timestamp_seconds', 'Time of the newest complete backup (its snapshot)', newest.map((r) => [t(r.target_id), Number(r.created_at) / 1000]));
  gauge('firebreak_backup_size_bytes', 'Stored (compressed, encrypted) size of the newest complete backup', newest.map((r) => [t(r.target_id), Number(r.stored_bytes)]));
  gauge('firebreak_backup_plaintext_bytes', 'Snapshot size of the newest complete backup before compression', newest.map((r) => [t(r.target_id), Number(r.plaintext_bytes)]));
  gauge('firebreak_backup_duration_seconds', 'How long the newest complete backup took', newest.map((r) => [t(r.target_id), Number(r.duration_ms) / 1000]));
  gauge('firebreak_backup_last_verification_timestamp_seconds', 'Time of the last restore test', lastVerify.map((r) => [t(r.target_id), Number(r.verified_at) / 1000]));
  gauge('firebreak_backup_last_verification_success', '1 when the last restore test passed, 0 when it failed', lastVerify.map((r) => [t(r.target_id), Number(r.verify_ok ?? 0)]));
  gauge('firebreak_backup_restore_duration_seconds', 'Measured restore time of the last restore test', lastVerify.map((r) => [t(r.target_id), Number(r.verify_ms ?? 0) / 1000]));
  const newestPoint = newest.reduce((m, r) => Math.max(m, Number(r.created_at)), 0);
  // No backup at all: exposure is unbounded; -1 says "none" without an infinity that breaks dashboards.
  gauge('firebreak_backup_rpo_exposure_seconds', 'Now minus the newest restorable point (-1: no backup)', [['', newestPoint ? Math.max(0, (now - newestPoint) / 1000) : -1]]);
  return `${lines.join('\n')}\n`;
}
