import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BackupTargetConfig } from '../../config/backup-schema.ts';
import { backupError } from './errors.ts';
import { BACKUP_ID } from './manifest.ts';

/** A place backups are kept: a data object and a manifest per backup, the manifest written last. */
export interface BackupTarget {
  readonly id: string;
  readonly kind: 'local' | 's3';
  /** Where it is, for logs and output (never credentials). */
  readonly location: string;
  /**
   * Stores the data file, then the manifest; a backup without its manifest does not exist. With
   * `move`, the caller no longer needs `dataFile` and a local target may rename it into place.
   */
  put(id: string, dataFile: string, manifest: string, opts?: { move?: boolean; onBytes?: (n: number) => void }): Promise<void>;
  /** Ids of complete backups (those with a manifest), oldest first. */
  list(): Promise<string[]>;
  readManifest(id: string): Promise<string>;
  /** The data as a local file: the stored file itself for a local target, else a download into `scratchDir`. */
  fetchData(id: string, scratchDir: string, onBytes?: (n: number) => void): Promise<{ path: string; size: number; cleanup(): Promise<void> }>;
  /** Removes the manifest first, so a half-deleted backup is never listed as complete. */
  remove(id: string): Promise<void>;
}

export const dataName = (id: string) => `${id}.fbk`;
export const manifestName = (id: string) => `${id}.manifest.json`;

/** The default local directory when a target names none. */
export const defaultBackupDir = (dataDir: string) => join(dataDir, 'backups');

export class LocalTarget implements BackupTarget {
  readonly kind = 'local' as const;
  readonly location: string;

  constructor(
    readonly id: string,
    private readonly dir: string,
  ) {
    this.location = resolve(dir);
  }

  async put(id: string, dataFile: string, manifest: string, opts: { move?: boolean; onBytes?: (n: number) => void } = {}): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const part = join(this.dir, `.${dataName(id)}.part`);
    let moved = false;
    if (opts.move) {
      // Free when the scratch space is on the same file system; otherwise copied below.
      moved = await rename(dataFile, part).then(
        () => true,
        () => false,
      );
    }
    if (!moved) await copyFile(dataFile, part);
    opts.onBytes?.((await stat(part)).size);
    await rename(part, join(this.dir, dataName(id)));
    const mpart = join(this.dir, `.${manifestName(id)}.part`);
    await writeFile(mpart, manifest);
    await rename(mpart, join(this.dir, manifestName(id)));
  }

  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names
      .filter((n) => n.endsWith('.manifest.json'))
      .map((n) => n.slice(0, -'.manifest.json'.length))
      .filter((id) => BACKUP_ID.test(id))
      .sort();
  }

  async readManifest(id: string): Promise<string> {
    try {
      return await readFile(join(this.dir, manifestName(id)), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw backupError('BACKUP_NOT_FOUND', `no backup ${id} in target ${this.id} (${this.location})`, { id, target: this.id });
      throw e;
    }
  }

  async fetchData(id: string) {
    const path = join(this.dir, dataName(id));
    try {
      return { path, size: (await stat(path)).size, cleanup: async () => {} };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw backupError('BACKUP_TRUNCATED', `the data file of backup ${id} is missing from ${this.location}`, { id });
      throw e;
    }
  }

  async remove(id: string): Promise<void> {
    await rm(join(this.dir, manifestName(id)), { force: true });
    await rm(join(this.dir, dataName(id)), { force: true });
  }
}

/** Copies a readable into a file, counting bytes. */
export async function streamToFile(source: Readable, path: string, onBytes?: (n: number) => void): Promise<number> {
  let n = 0;
  source.on('data', (c: Buffer) => {
    n += c.length;
    onBytes?.(c.length);
  });
  await pipeline(source, createWriteStream(path));
  return n;
}

/** Builds the configured targets; S3 is loaded only when one is configured (the SDK is large). */
export async function openTargets(configs: BackupTargetConfig[], dataDir: string): Promise<BackupTarget[]> {
  const out: BackupTarget[] = [];
  for (const c of configs) {
    if (c.type === 'local') out.push(new LocalTarget(c.id, c.path ?? defaultBackupDir(dataDir)));
    else out.push(new (await import('./s3-target.ts')).S3Target(c));
  }
  return out;
}
