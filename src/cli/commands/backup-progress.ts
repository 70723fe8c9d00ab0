import type { Flags } from '../../config/settings.ts';
import { resolveSettings } from '../../config/settings.ts';
import { isDomainError } from '../../lib/errors.ts';
import { backupFailureOf, storeLocation, type BackupEnv, type Progress } from '../../modules/backups/index.ts';
import { CliError, type Io } from '../io.ts';

const LABEL: Record<Progress['phase'], string> = {
  snapshot: 'snapshot',
  encrypt: 'compress+encrypt',
  upload: 'store',
  download: 'fetch',
  check: 'check',
  restore: 'decrypt+restore',
  migrate: 'migrate',
};

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/**
 * A one-line progress bar on stderr, only when stderr is a terminal (so pipes and logs stay clean);
 * redrawn at most ten times a second. Plain characters: NO_COLOR has nothing to turn off.
 */
export function progressBar(io: Io): { report: (p: Progress) => void; done: () => void } {
  if (!process.stderr.isTTY) return { report: () => {}, done: () => {} };
  let last = 0;
  let shown = false;
  return {
    report(p) {
      const now = Date.now();
      if (now - last < 100 && p.total !== null && p.done < p.total) return;
      last = now;
      shown = true;
      if (p.total) {
        const f = Math.min(1, p.done / p.total);
        const width = 30;
        const bar = '#'.repeat(Math.round(f * width)).padEnd(width, '-');
        io.err(`\r${LABEL[p.phase].padEnd(16)} [${bar}] ${String(Math.round(f * 100)).padStart(3)}% ${mb(p.done)} / ${mb(p.total)}   `);
      } else {
        io.err(`\r${LABEL[p.phase].padEnd(16)} ${p.done ? mb(p.done) : '…'}${' '.repeat(40)}`);
      }
    },
    done() {
      if (shown) io.err('\r\x1b[2K');
    },
  };
}

/** The settings-derived part of a backup run: where the data is, the environment for the key. */
export function backupEnvFor(flags: Flags, io: Io, version: string, progress?: (p: Progress) => void): BackupEnv {
  const settings = resolveSettings(flags, io.env);
  return { store: storeLocation(settings), dataDir: settings.dataDir, env: io.env, version, progress };
}

/** Backup refusals print their precise reason ("BACKUP_CORRUPT: …") rather than the generic code. */
export async function withReason<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const reason = backupFailureOf(e);
    if (reason && isDomainError(e)) throw new CliError(`${reason}: ${e.message}`);
    throw e;
  }
}

export const fmtBytes = mb;
