import { createCipheriv, createDecipheriv, createHash, randomBytes, type Hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants, deflateRaw, inflateRaw } from 'node:zlib';
import { backupError } from './errors.ts';

/**
 * The backup file format (docs/backups.md): a 16-byte header (magic "FBKUP001", 8 random nonce
 * bytes) and frames of `u32 length | u8 flags | AES-256-GCM(compress(chunk)) | 16-byte tag`. The
 * nonce is the header's 8 bytes and the frame index; the header, index and flags are authenticated,
 * so frames cannot be reordered, dropped or moved between files, and the last frame carries the
 * FINAL flag so a truncated file is detected. Chunks compress independently, which lets several
 * be compressed at once on zlib's thread pool while the output stays in order. A frame's flags say
 * how its chunk was compressed, so files written with deflate (manifest format 1) still open.
 */
export const MAGIC = Buffer.from('FBKUP001', 'ascii');
export const HEADER_BYTES = 16;
export const CHUNK_BYTES = 4 * 1024 * 1024;
const TAG_BYTES = 16;
const FRAME_HEAD = 5;
const FLAG_FINAL = 1;
const FLAG_DEFLATE = 2;
const FLAG_BROTLI = 4;
/** A frame longer than this cannot have come from CHUNK_BYTES of input; it is corruption, not a reason to allocate. */
const MAX_FRAME = CHUNK_BYTES + (CHUNK_BYTES >> 4) + 1024 + TAG_BYTES;

/**
 * How chunks are compressed. Brotli at its lowest qualities compresses this data (SQLite pages,
 * pg_dump archives) about 2.5 times as fast as deflate level 1, to the same size, and decompresses
 * about as fast as inflate; deflate is kept to read older backups (and to write them in tests).
 */
export type Codec = 'brotli' | 'deflate-raw';

const deflateAsync = promisify(deflateRaw);
const inflateAsync = promisify(inflateRaw);
const brotliAsync = promisify(brotliCompress);
const unbrotliAsync = promisify(brotliDecompress);
/**
 * zlib's output buffer size. Its default (16 KiB) makes every 4 MiB chunk hundreds of round trips
 * between the thread pool and the main thread, each with a callback and a buffer to join at the
 * end; one buffer large enough for the whole chunk makes it one trip (inflate used half again as
 * much CPU without it). A compressed chunk is bounded by MAX_FRAME, a decompressed one by
 * CHUNK_BYTES; the slack lets zlib see the end of its input without a second buffer.
 */
const COMPRESS_OUT = MAX_FRAME;
const DECOMPRESS_OUT = CHUNK_BYTES + 1024;
/** Chunks in flight: enough to keep every core compressing, few enough to bound memory. */
const WINDOW = Math.max(2, Math.min(8, availableParallelism() + 1));

/** compression_level 1–9 is brotli quality 0–8: 1 stays the fastest, and each step trades speed for size. */
const brotliQuality = (level: number) => Math.max(level - 1, 0);

function compressChunk(chunk: Buffer, codec: Codec, level: number): Promise<Buffer> {
  if (codec === 'deflate-raw') return deflateAsync(chunk, { level, chunkSize: COMPRESS_OUT });
  return brotliAsync(chunk, {
    chunkSize: COMPRESS_OUT,
    params: { [constants.BROTLI_PARAM_QUALITY]: brotliQuality(level), [constants.BROTLI_PARAM_SIZE_HINT]: chunk.length },
  });
}

function decompressFrame(body: Buffer, flags: number): Promise<Buffer> {
  if (flags & FLAG_BROTLI) return unbrotliAsync(body, { chunkSize: DECOMPRESS_OUT });
  if (flags & FLAG_DEFLATE) return inflateAsync(body, { chunkSize: DECOMPRESS_OUT });
  return Promise.resolve(body);
}

function nonce(prefix: Buffer, index: number): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0, 0, 8);
  n.writeUInt32BE(index, 8);
  return n;
}

function aad(header: Buffer, index: number, flags: number): Buffer {
  const a = Buffer.alloc(HEADER_BYTES + 5);
  header.copy(a, 0);
  a.writeUInt32BE(index, HEADER_BYTES);
  a[HEADER_BYTES + 4] = flags;
  return a;
}

/** Bytes received but not yet consumed; joins buffers only when a read spans them (no quadratic copying). */
class ByteQueue {
  private parts: Buffer[] = [];
  length = 0;

  push(b: Buffer) {
    if (b.length) this.parts.push(b);
    this.length += b.length;
  }

  /** The first n bytes (n <= length), without consuming them. */
  peek(n: number): Buffer {
    if (this.parts[0].length < n) {
      let have = 0;
      let k = 0;
      while (have < n) have += this.parts[k++].length;
      this.parts.splice(0, k, Buffer.concat(this.parts.slice(0, k)));
    }
    return this.parts[0].subarray(0, n);
  }

  take(n: number): Buffer {
    const out = this.peek(n);
    this.parts[0] = this.parts[0].subarray(n);
    if (!this.parts[0].length) this.parts.shift();
    this.length -= n;
    return out;
  }
}

export interface SealStats {
  plaintextBytes: number;
  plaintextSha256: string;
  ciphertextBytes: number;
  ciphertextSha256: string;
  chunks: number;
}

/** Plaintext in, backup file bytes out; `stats()` is complete once the stream has ended. */
export class SealStream extends Transform {
  private readonly header: Buffer;
  private readonly plainHash: Hash = createHash('sha256');
  private readonly cipherHash: Hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private inFlight: { promise: Promise<Buffer>; flags: number }[] = [];
  private index = 0;
  private plainBytes = 0;
  private cipherBytes = 0;

  constructor(
    private readonly dataKey: Buffer,
    private readonly level: number,
    private readonly codec: Codec = 'brotli',
  ) {
    super({ highWaterMark: CHUNK_BYTES });
    this.header = Buffer.concat([MAGIC, randomBytes(8)]);
    this.emit_(this.header);
  }

  private emit_(buf: Buffer) {
    this.cipherHash.update(buf);
    this.cipherBytes += buf.length;
    this.push(buf);
  }

  private seal(body: Buffer, flags: number) {
    const i = this.index++;
    const cipher = createCipheriv('aes-256-gcm', this.dataKey, nonce(this.header.subarray(8), i));
    cipher.setAAD(aad(this.header, i, flags));
    // GCM is a stream mode: update() returns every byte and final() none, so the frame's three
    // parts go out as they are rather than joined into a copy.
    const ct = cipher.update(body);
    cipher.final();
    const tag = cipher.getAuthTag();
    const head = Buffer.alloc(FRAME_HEAD);
    head.writeUInt32BE(ct.length + tag.length, 0);
    head[4] = flags;
    this.emit_(head);
    if (ct.length) this.emit_(ct);
    this.emit_(tag);
  }

  private startChunk(chunk: Buffer) {
    if (this.level === 0) this.inFlight.push({ promise: Promise.resolve(chunk), flags: 0 });
    else this.inFlight.push({ promise: compressChunk(chunk, this.codec, this.level), flags: this.codec === 'brotli' ? FLAG_BROTLI : FLAG_DEFLATE });
  }

  private async drainTo(limit: number) {
    while (this.inFlight.length > limit) {
      const next = this.inFlight.shift()!;
      this.seal(await next.promise, next.flags);
    }
  }

  override _transform(data: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.plainHash.update(data);
    this.plainBytes += data.length;
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes < CHUNK_BYTES) return done();
    // A reader sized to CHUNK_BYTES hands over whole chunks: those are compressed in place, not copied.
    let all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    while (all.length >= CHUNK_BYTES) {
      this.startChunk(all.subarray(0, CHUNK_BYTES));
      all = all.subarray(CHUNK_BYTES);
    }
    this.pending = all.length ? [all] : [];
    this.pendingBytes = all.length;
    this.drainTo(WINDOW - 1).then(() => done(), done);
  }

  override _flush(done: TransformCallback) {
    if (this.pendingBytes) this.startChunk(Buffer.concat(this.pending));
    this.pending = [];
    this.drainTo(0).then(() => {
      this.seal(Buffer.alloc(0), FLAG_FINAL);
      done();
    }, done);
  }

  stats(): SealStats {
    return {
      plaintextBytes: this.plainBytes,
      plaintextSha256: this.plainHash.copy().digest('hex'),
      ciphertextBytes: this.cipherBytes,
      ciphertextSha256: this.cipherHash.copy().digest('hex'),
      chunks: this.index,
    };
  }
}

/**
 * Backup file bytes in, plaintext out. Every frame is authenticated before a byte of it is passed
 * on; a wrong key, a changed byte, a missing frame or a missing end are errors with a reason.
 */
export class OpenStream extends Transform {
  private readonly buf = new ByteQueue();
  private header: Buffer | null = null;
  private index = 0;
  private finished = false;
  private inFlight: Promise<Buffer>[] = [];
  private readonly plainHash: Hash = createHash('sha256');
  private plainBytes = 0;

  constructor(private readonly dataKey: Buffer) {
    super({ highWaterMark: CHUNK_BYTES });
  }

  private async drainTo(limit: number) {
    while (this.inFlight.length > limit) {
      const out = await this.inFlight.shift()!;
      this.plainHash.update(out);
      this.plainBytes += out.length;
      this.push(out);
    }
  }

  private openFrames(): void {
    if (!this.header) {
      if (this.buf.length < HEADER_BYTES) return;
      const header = Buffer.from(this.buf.take(HEADER_BYTES));
      if (!header.subarray(0, 8).equals(MAGIC)) throw backupError('BACKUP_UNREADABLE', 'not a Firebreak backup file (bad magic bytes)');
      this.header = header;
    }
    while (this.buf.length >= FRAME_HEAD) {
      if (this.finished) throw backupError('BACKUP_CORRUPT', 'the backup file has data after its final frame');
      const head = this.buf.peek(FRAME_HEAD);
      const len = head.readUInt32BE(0);
      const flags = head[4];
      if (len < TAG_BYTES || len > MAX_FRAME || flags & ~(FLAG_FINAL | FLAG_DEFLATE | FLAG_BROTLI) || (flags & FLAG_DEFLATE && flags & FLAG_BROTLI)) throw backupError('BACKUP_CORRUPT', `frame ${this.index} has an impossible header (corrupted file)`);
      if (this.buf.length < FRAME_HEAD + len) return;
      const ct = this.buf.take(FRAME_HEAD + len).subarray(FRAME_HEAD);
      const i = this.index++;
      const decipher = createDecipheriv('aes-256-gcm', this.dataKey, nonce(this.header.subarray(8), i));
      decipher.setAAD(aad(this.header, i, flags));
      decipher.setAuthTag(ct.subarray(len - TAG_BYTES));
      let body: Buffer;
      try {
        body = decipher.update(ct.subarray(0, len - TAG_BYTES));
        // Checks the tag; returns nothing in GCM. Nothing of `body` is passed on before this.
        decipher.final();
      } catch {
        throw backupError('BACKUP_CORRUPT', `frame ${i} failed authentication: the backup was changed or damaged after it was written`);
      }
      if (flags & FLAG_FINAL) {
        this.finished = true;
        continue;
      }
      this.inFlight.push(decompressFrame(body, flags).catch(() => Promise.reject(backupError('BACKUP_CORRUPT', `frame ${i} does not decompress`))));
    }
  }

  override _transform(data: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.buf.push(data);
    try {
      this.openFrames();
    } catch (e) {
      return done(e as Error);
    }
    this.drainTo(WINDOW - 1).then(() => done(), done);
  }

  override _flush(done: TransformCallback) {
    this.drainTo(0).then(() => {
      if (!this.header || !this.finished) return done(backupError('BACKUP_TRUNCATED', 'the backup file ends early (truncated): its final frame is missing'));
      if (this.buf.length) return done(backupError('BACKUP_CORRUPT', 'the backup file has data after its final frame'));
      done();
    }, done);
  }

  stats() {
    return { plaintextBytes: this.plainBytes, plaintextSha256: this.plainHash.copy().digest('hex') };
  }
}
