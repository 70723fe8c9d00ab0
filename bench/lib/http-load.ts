/**
 * A cheap HTTP/1.1 load generator for the monitors benchmark: each client owns one keep-alive
 * socket and writes request bytes built beforehand (as bench/ingest.ts does, and for the same
 * reason: the client shares the machine with what it measures). Responses are framed by
 * Content-Length or chunked transfer encoding (Go's net/http, which the blackbox exporter uses,
 * chunks bodies over 2 KB).
 */
import { connect, type Socket } from 'node:net';
import { percentile } from '../support.ts';

export interface Reply {
  status: number;
  /** The body, when the request asked for it (else ''). */
  body: string;
}

/** A GET with the headers a curl-like client sends, as bytes. */
export function getRequest(path: string, host = '127.0.0.1'): Buffer {
  return Buffer.from(`GET ${path} HTTP/1.1\r\nhost: ${host}\r\nuser-agent: firebreak-bench\r\naccept: */*\r\n\r\n`, 'latin1');
}

export class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: { resolve(r: Reply): void; reject(e: Error): void; wantBody: boolean } | null = null;
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    const fail = (e: Error) => {
      this.failure ??= e;
      const w = this.waiter;
      this.waiter = null;
      w?.reject(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the server closed the connection')));
  }

  static open(port: number, host = '127.0.0.1'): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.once('connect', () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  send(wire: Buffer, wantBody = false): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject, wantBody };
      this.socket.write(wire);
    });
  }

  private onData(d: Buffer) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.subarray(0, end).toString('latin1');
      const status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      let bodyStart = end + 4;
      let body: Buffer;
      let total: number;
      if (length) {
        total = bodyStart + Number(length[1]);
        if (this.buf.length < total) return;
        body = this.buf.subarray(bodyStart, total);
      } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        const parts: Buffer[] = [];
        let at = bodyStart;
        for (;;) {
          const lineEnd = this.buf.indexOf('\r\n', at);
          if (lineEnd < 0) return;
          const size = Number.parseInt(this.buf.subarray(at, lineEnd).toString('latin1'), 16);
          if (Number.isNaN(size)) {
            this.socket.destroy(new Error('a malformed chunk size'));
            return;
          }
          if (size === 0) {
            // No trailers expected: the final chunk is "0\r\n\r\n".
            if (this.buf.length < lineEnd + 4) return;
            total = lineEnd + 4;
            break;
          }
          if (this.buf.length < lineEnd + 2 + size + 2) return;
          parts.push(this.buf.subarray(lineEnd + 2, lineEnd + 2 + size));
          at = lineEnd + 2 + size + 2;
        }
        body = Buffer.concat(parts);
        bodyStart = total;
      } else {
        this.socket.destroy(new Error(`a response neither sized nor chunked: ${head.split('\r\n')[0]}`));
        return;
      }
      const w = this.waiter;
      this.waiter = null;
      const text = w?.wantBody || status < 200 || status > 299 ? body.toString('utf8') : '';
      this.buf = this.buf.subarray(total);
      w?.resolve({ status, body: text });
    }
  }

  close() {
    this.socket.removeAllListeners('close');
    this.socket.destroy();
  }
}

export interface LoopResult {
  sent: number;
  ok: number;
  /** Non-2xx answers, by status, with one example body each. */
  refused: Map<number, { count: number; example: string }>;
  /** Requests that failed on the socket (the connection is then dropped). */
  errors: number;
  /** From the first write to the last answer. */
  wallMs: number;
  /** Sorted per-request latencies (ms). */
  latencies: Float64Array;
  p50: number;
  p99: number;
}

/**
 * Closed loop: `connections` clients (connected before the clock starts) each take the next
 * request from `next()` as soon as their last is answered, until `next()` returns null or
 * `deadline` (performance.now() ms) passes. `check` may look at a 2xx body and say it failed.
 */
export async function closedLoop(opts: {
  port: number;
  connections: number;
  next: () => Buffer | null;
  deadline?: number;
  wantBody?: boolean;
  check?: (r: Reply) => boolean;
}): Promise<LoopResult> {
  const conns = await Promise.all(Array.from({ length: opts.connections }, () => Connection.open(opts.port)));
  const lat: number[] = [];
  const refused = new Map<number, { count: number; example: string }>();
  let sent = 0;
  let ok = 0;
  let errors = 0;
  const start = performance.now();
  let last = start;
  const deadline = opts.deadline ?? Infinity;
  await Promise.all(
    conns.map(async (c) => {
      for (;;) {
        if (performance.now() >= deadline) return;
        const wire = opts.next();
        if (!wire) return;
        sent++;
        const t = performance.now();
        let r: Reply;
        try {
          r = await c.send(wire, opts.wantBody);
        } catch {
          errors++;
          return;
        }
        last = performance.now();
        lat.push(last - t);
        if (r.status >= 200 && r.status < 300 && (!opts.check || opts.check(r))) ok++;
        else {
          const e = refused.get(r.status) ?? { count: 0, example: r.body.slice(0, 300) };
          e.count++;
          refused.set(r.status, e);
        }
      }
    }),
  );
  for (const c of conns) c.close();
  const latencies = Float64Array.from(lat).sort();
  return { sent, ok, refused, errors, wallMs: last - start, latencies, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}
