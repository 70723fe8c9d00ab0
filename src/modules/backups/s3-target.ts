import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { BackupTargetConfig } from '../../config/backup-schema.ts';
import { backupError } from './errors.ts';
import { BACKUP_ID } from './manifest.ts';
import { dataName, manifestName, streamToFile, type BackupTarget } from './targets.ts';

type S3Config = Extract<BackupTargetConfig, { type: 's3' }>;

/** Parts of a multipart upload; S3 allows 10,000, so this covers 160 GB. */
const PART_BYTES = 16 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;

/** Any S3-compatible store (AWS, MinIO, Ceph, R2…). Large files go up in parallel multipart parts. */
export class S3Target implements BackupTarget {
  readonly kind = 's3' as const;
  readonly id: string;
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(c: S3Config) {
    this.id = c.id;
    this.bucket = c.bucket;
    this.prefix = c.prefix;
    this.location = `s3://${c.bucket}/${c.prefix}${c.endpoint ? ` at ${c.endpoint}` : ''}`;
    this.client = new S3Client({
      region: c.region,
      ...(c.endpoint && { endpoint: c.endpoint }),
      forcePathStyle: c.force_path_style,
      ...(c.access_key_id && c.secret_access_key && { credentials: { accessKeyId: c.access_key_id, secretAccessKey: c.secret_access_key } }),
      // Extra checksums are not understood by every S3-compatible store; the backup carries its own hashes.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private key(name: string) {
    return `${this.prefix}${name}`;
  }

  async put(id: string, dataFile: string, manifest: string, opts: { onBytes?: (n: number) => void } = {}): Promise<void> {
    const size = (await stat(dataFile)).size;
    const fh = await open(dataFile, 'r');
    try {
      const readPart = async (n: number) => {
        const len = Math.min(PART_BYTES, size - n * PART_BYTES);
        const buf = Buffer.allocUnsafe(len);
        await fh.read(buf, 0, len, n * PART_BYTES);
        return buf;
      };
      if (size <= PART_BYTES) {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(dataName(id)), Body: await readPart(0), ContentLength: size }));
        opts.onBytes?.(size);
      } else {
        await this.multipart(this.key(dataName(id)), Math.ceil(size / PART_BYTES), readPart, opts.onBytes);
      }
    } finally {
      await fh.close();
    }
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(manifestName(id)), Body: manifest, ContentType: 'application/json' }));
  }

  private async multipart(key: string, parts: number, readPart: (n: number) => Promise<Buffer>, onBytes?: (n: number) => void) {
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }));
    try {
      const etags: string[] = new Array(parts);
      let next = 0;
      const worker = async () => {
        while (next < parts) {
          const n = next++;
          const body = await readPart(n);
          const r = await this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId, PartNumber: n + 1, Body: body, ContentLength: body.length }));
          etags[n] = r.ETag!;
          onBytes?.(body.length);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, parts) }, worker));
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
      );
    } catch (e) {
      // An abandoned upload's parts are billed until aborted.
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId })).catch(() => {});
      throw e;
    }
  }

  async list(): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) {
        const name = o.Key?.slice(this.prefix.length) ?? '';
        if (!name.endsWith('.manifest.json')) continue;
        const id = name.slice(0, -'.manifest.json'.length);
        if (BACKUP_ID.test(id)) ids.push(id);
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return ids.sort();
  }

  private async get(id: string, name: string): Promise<Readable> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
      return r.Body as Readable;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (e as Error).name === 'NoSuchKey') throw backupError('BACKUP_NOT_FOUND', `no ${name} for backup ${id} in target ${this.id} (${this.location})`, { id, target: this.id });
      throw e;
    }
  }

  async readManifest(id: string): Promise<string> {
    const body = await this.get(id, manifestName(id));
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(c as Buffer);
    return Buffer.concat(parts).toString('utf8');
  }

  async fetchData(id: string, scratchDir: string, onBytes?: (n: number) => void) {
    const path = join(scratchDir, `${dataName(id)}.download`);
    const cleanup = async () => {
      await (await import('node:fs/promises')).rm(path, { force: true });
    };
    try {
      const size = await streamToFile(await this.get(id, dataName(id)), path, onBytes);
      return { path, size, cleanup };
    } catch (e) {
      await cleanup();
      throw e;
    }
  }

  async remove(id: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(manifestName(id)) }));
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(dataName(id)) }));
  }
}
