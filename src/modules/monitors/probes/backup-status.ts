import { spawn } from 'node:child_process';
import type { BackupStatusMonitorConfig } from '../../../config/monitors-schema.ts';
import { getAtPath } from '../../../lib/json-path.ts';
import { parseRestorableAt, parseSizeBytes } from '../../recovery/rpo-values.ts';
import { down, guardProbe, oneLine, up, type Verdict } from './common.ts';
import type { ProbeOptions, ProbeResult } from './types.ts';

/** Output read from the command; a longer listing (years of restic snapshots) is refused, not truncated. */
export const BACKUP_STATUS_OUTPUT_MAX = 16 * 1024 * 1024;

/** The newest restorable point a backup tool's status names. */
export interface BackupPoint {
  restorableAt: number;
  sizeBytes?: number;
  detail: Record<string, unknown>;
}

/**
 * Runs a backup tool's status command (an argument list, no shell) and reads the newest restorable
 * point from its JSON: restic `snapshots --json`, pgBackRest `info --output=json`, or any JSON at
 * `json_path`. The command leads its own process group, killed whole at the timeout or shutdown.
 * Down when it cannot start, exits non-zero, prints what cannot be read or names no backup.
 */
export async function probeBackupStatus(cfg: BackupStatusMonitorConfig, opts: ProbeOptions = {}): Promise<ProbeResult> {
  let point: BackupPoint | undefined;
  const result = await guardProbe(cfg.timeout, opts.signal, (ctx) => {
    ctx.stage = `running ${cfg.command[0]}`;
    return new Promise<Verdict>((resolve) => {
      const [file, ...args] = cfg.command;
      const child = spawn(file, args, { shell: false, detached: true, cwd: cfg.cwd, env: { ...process.env, ...cfg.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      ctx.defer(() => {
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group is already gone.
        }
      });
      const stdout: Buffer[] = [];
      let size = 0;
      let overflow = false;
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > BACKUP_STATUS_OUTPUT_MAX) overflow = true;
        else stdout.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < 4096) stderr += chunk.toString('utf8');
      });
      child.on('error', (e: NodeJS.ErrnoException) => resolve(down('error', `cannot start ${file}: ${e.code ?? e.message}`)));
      child.on('close', (code, signal) => {
        if (code !== 0) {
          const tail = stderr.trim().split('\n').slice(-2).join(' | ');
          return resolve(down('error', `${file} ${code === null ? `killed by ${signal}` : `exited with code ${code}`}${tail ? `: ${tail}` : ''}`));
        }
        if (overflow) return resolve(down('body', `${file} printed more than ${BACKUP_STATUS_OUTPUT_MAX} bytes`));
        let doc: unknown;
        try {
          doc = JSON.parse(Buffer.concat(stdout).toString('utf8'));
        } catch {
          return resolve(down('json', `${file} did not print JSON`));
        }
        const found = readBackupPoint(cfg, doc, Date.now());
        if (typeof found === 'string') return resolve(down('json', found));
        point = found;
        resolve(up());
      });
    });
  });
  if (point && result.status === 'up') {
    result.restorableAt = point.restorableAt;
    if (point.sizeBytes !== undefined) result.sizeBytes = point.sizeBytes;
    result.pointDetail = point.detail;
  }
  return result;
}

/** The newest point in a tool's status document, or why there is none. */
export function readBackupPoint(cfg: Pick<BackupStatusMonitorConfig, 'format' | 'stanza' | 'json_path' | 'size_path'>, doc: unknown, now: number): BackupPoint | string {
  switch (cfg.format) {
    case 'restic':
      return resticPoint(doc, now);
    case 'pgbackrest':
      return pgbackrestPoint(doc, cfg.stanza, now);
    case 'json': {
      if (!cfg.json_path) return 'no json_path';
      const at = parseRestorableAt(getAtPath(doc, cfg.json_path.path), now);
      if (!at.ok) return `${cfg.json_path.text}: ${at.problem}`;
      const point: BackupPoint = { restorableAt: at.value, detail: {} };
      if (cfg.size_path) {
        const size = parseSizeBytes(getAtPath(doc, cfg.size_path.path));
        if (!size.ok) return `${cfg.size_path.text}: ${size.problem}`;
        point.sizeBytes = size.value;
      }
      return point;
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** restic: an array of snapshots, each with `time` (and, from 0.17, `summary.total_bytes_processed`). */
function resticPoint(doc: unknown, now: number): BackupPoint | string {
  if (!Array.isArray(doc)) return 'restic output is not a list of snapshots';
  let best: BackupPoint | undefined;
  let bad = 0;
  for (const snap of doc) {
    if (!isObject(snap)) continue;
    const at = parseRestorableAt(snap.time, now);
    if (!at.ok) {
      bad++;
      continue;
    }
    if (best && best.restorableAt >= at.value) continue;
    best = { restorableAt: at.value, detail: { snapshot: typeof snap.short_id === 'string' ? snap.short_id : typeof snap.id === 'string' ? snap.id.slice(0, 8) : null, hostname: typeof snap.hostname === 'string' ? snap.hostname : null } };
    const size = isObject(snap.summary) ? parseSizeBytes(snap.summary.total_bytes_processed) : null;
    if (size?.ok) best.sizeBytes = size.value;
  }
  return best ?? (bad ? `restic listed ${bad} snapshot(s) without a readable time` : 'restic lists no snapshots');
}

/** pgBackRest: an array of stanzas, each with `backup[]` whose `timestamp.stop` is epoch seconds. */
function pgbackrestPoint(doc: unknown, stanza: string | undefined, now: number): BackupPoint | string {
  if (!Array.isArray(doc)) return 'pgBackRest output is not a list of stanzas';
  const stanzas = doc.filter(isObject).filter((s) => stanza === undefined || s.name === stanza);
  if (!stanzas.length) return stanza === undefined ? 'pgBackRest lists no stanzas' : `pgBackRest has no stanza "${stanza}"`;
  let best: BackupPoint | undefined;
  for (const s of stanzas) {
    for (const b of Array.isArray(s.backup) ? s.backup : []) {
      if (!isObject(b) || !isObject(b.timestamp)) continue;
      // A backup that reported an error is no restorable point.
      if (b.error === true) continue;
      const at = parseRestorableAt(b.timestamp.stop, now);
      if (!at.ok || (best && best.restorableAt >= at.value)) continue;
      best = { restorableAt: at.value, detail: { stanza: typeof s.name === 'string' ? s.name : null, label: typeof b.label === 'string' ? b.label : null, backup_type: typeof b.type === 'string' ? b.type : null } };
      const size = isObject(b.info) ? parseSizeBytes(b.info.size) : null;
      if (size?.ok) best.sizeBytes = size.value;
    }
  }
  if (best) return best;
  const status = stanzas.map((s) => (isObject(s.status) && typeof s.status.message === 'string' ? `${String(s.name)}: ${s.status.message}` : null)).find(Boolean);
  return oneLine(status ? `pgBackRest lists no backups (${status})` : 'pgBackRest lists no backups');
}
