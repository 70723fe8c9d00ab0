import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parentPort, Worker } from 'node:worker_threads';
import { CHUNK_BYTES, OpenStream, SealStream, type SealStats } from './crypto-stream.ts';
import { backupError, isBackupFailure } from './errors.ts';

/**
 * Sealing a file into a backup and opening one back into a file, each in a worker thread. The
 * work is gigabytes of buffers, allocated and dropped in 4 MiB pieces: on the server's thread
 * every few of them start a full collection of the server's heap (a quarter to a third of the CPU
 * time of a backup went there), while a worker's heap is nearly empty. The hashing and encryption
 * leave the event loop too; compression still runs on zlib's thread pool.
 */

export interface OpenedFileStats {
  ciphertextSha256: string;
  plaintextBytes: number;
  plaintextSha256: string;
}

/**
 * Loads this module in the worker, then waits for its one job. A worker does not inherit the
 * process's TypeScript loader (neither `node --import tsx` nor bin/firebreak.js's registration),
 * so it registers its own; that takes about 0.2 s, which is why a worker is booted before its
 * input is ready (beside the snapshot copy, the download or the hash pre-check).
 */
const BOOT = `
const { parentPort, workerData: w } = require('node:worker_threads');
const loaded = import(w.tsx).then((tsx) => {
  tsx.register();
  return import(w.module);
});
parentPort.once('message', (job) =>
  loaded
    .then((mod) => mod[job.fn](...job.args))
    .then(
      (r) => parentPort.postMessage({ ok: true, r }),
      (e) => parentPort.postMessage({ ok: false, message: String(e?.message ?? e), details: e?.details }),
    ),
);
// A failed boot is reported to the job when it comes, not as an unhandled rejection before.
loaded.catch(() => {});
`;

interface WorkerMessage {
  ok?: boolean;
  r?: unknown;
  message?: string;
  details?: Record<string, unknown>;
  progress?: number;
}

/** A worker thread booted ahead of its one job: seal a file, or open one. */
export interface SealingWorker {
  /** Seals `source` (a snapshot) into the backup file `dest`. */
  seal(source: string, dest: string, dataKey: Buffer, level: number, onBytes?: (n: number) => void): Promise<SealStats>;
  /** Opens the backup file `source` into plaintext at `dest`, with both sides' hashes. */
  open(source: string, dest: string, dataKey: Buffer, onBytes?: (n: number) => void): Promise<OpenedFileStats>;
  /** Ends the worker if it was never given its job (a run that failed earlier). */
  stop(): Promise<void>;
}

export function sealingWorker(): SealingWorker {
  const worker = new Worker(BOOT, { eval: true, workerData: { module: import.meta.url, tsx: import.meta.resolve('tsx/esm/api') } });
  // Waiting for its job, it must not keep the process alive; running it, it must.
  worker.unref();
  let started = false;
  // An error before the job is sent (a failed boot) is reported by the job, not left unhandled.
  let bootError: Error | null = null;
  worker.once('error', (e) => (bootError = e));
  const run = <T>(fn: 'sealHere' | 'openHere', args: unknown[], onBytes?: (n: number) => void) =>
    new Promise<T>((resolve, reject) => {
      if (started) return reject(new Error('a sealing worker runs one job'));
      started = true;
      if (bootError) return reject(bootError);
      let settled = false;
      worker.on('message', (m: WorkerMessage) => {
        if (m.progress !== undefined) return onBytes?.(m.progress);
        settled = true;
        void worker.terminate();
        if (m.ok) return resolve(m.r as T);
        // A refusal keeps its reason across the thread boundary (callers and tests read it).
        const { reason, ...details } = m.details ?? {};
        reject(isBackupFailure(reason) ? backupError(reason, m.message ?? reason, details) : new Error(m.message));
      });
      worker.once('error', (e) => {
        settled = true;
        reject(e);
      });
      worker.once('exit', (code) => settled || reject(new Error(`backup worker exited with code ${code}`)));
      worker.ref();
      worker.postMessage({ fn, args });
    });
  return {
    seal: (source, dest, dataKey, level, onBytes) => run<SealStats>('sealHere', [source, dest, dataKey, level], onBytes),
    open: (source, dest, dataKey, onBytes) => run<OpenedFileStats>('openHere', [source, dest, dataKey], onBytes),
    async stop() {
      if (!started) await worker.terminate();
    },
  };
}

/** Seals `source` into the backup file `dest` in a worker thread booted for it. */
export const sealFile = (source: string, dest: string, dataKey: Buffer, level: number, onBytes?: (n: number) => void) => sealingWorker().seal(source, dest, dataKey, level, onBytes);

/** Opens the backup file `source` into plaintext at `dest` in a worker thread booted for it. */
export const openFile = (source: string, dest: string, dataKey: Buffer, onBytes?: (n: number) => void) => sealingWorker().open(source, dest, dataKey, onBytes);

const report = (n: number) => parentPort?.postMessage({ progress: n });

/** The worker's side of sealFile. */
export async function sealHere(source: string, dest: string, dataKey: Uint8Array, level: number): Promise<SealStats> {
  const seal = new SealStream(Buffer.from(dataKey), level);
  // Chunk-sized reads are sealed without being copied into chunks first.
  const input = createReadStream(source, { highWaterMark: CHUNK_BYTES });
  input.on('data', (c) => report(c.length));
  await pipeline(input, seal, createWriteStream(dest));
  return seal.stats();
}

/** The worker's side of openFile. */
export async function openHere(source: string, dest: string, dataKey: Uint8Array): Promise<OpenedFileStats> {
  const open = new OpenStream(Buffer.from(dataKey));
  const hash = createHash('sha256');
  const input = createReadStream(source, { highWaterMark: CHUNK_BYTES });
  input.on('data', (c) => {
    hash.update(c as Buffer);
    report(c.length);
  });
  await pipeline(input, open, createWriteStream(dest));
  return { ciphertextSha256: hash.digest('hex'), ...open.stats() };
}
