/**
 * A tiny authoritative DNS server over UDP for the probe tests: A, TXT and MX records of a fixed
 * zone, NXDOMAIN for names it does not know, chosen rcodes for some names, and a silent mode that
 * never answers. The wire format (RFC 1035) is built by hand.
 */
import dgram from 'node:dgram';

export interface ZoneRecords {
  A?: string[];
  TXT?: string[][];
  MX?: { priority: number; exchange: string }[];
  /** Answer every query for this name with this rcode (2 SERVFAIL, 5 REFUSED). */
  rcode?: number;
}
export type Zone = Record<string, ZoneRecords>;

const TYPE = { A: 1, MX: 15, TXT: 16 } as const;

export interface DnsServer {
  port: number;
  /** While true, queries are read and dropped. */
  silent: boolean;
  queries: number;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 with an OS-chosen port. */
export async function startDnsServer(zone: Zone): Promise<DnsServer> {
  const socket = dgram.createSocket('udp4');
  const state = { silent: false, queries: 0 };
  socket.on('message', (msg, peer) => {
    state.queries++;
    if (state.silent) return;
    const reply = answer(msg, zone);
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const server: DnsServer = {
    port: socket.address().port,
    get silent() {
      return state.silent;
    },
    set silent(v: boolean) {
      state.silent = v;
    },
    get queries() {
      return state.queries;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  return server;
}

/** The response to one query, or null for a packet that is not a query we can read. */
export function answer(query: Buffer, zone: Zone): Buffer | null {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return null;
  const { name, end } = readName(query, 12);
  if (end + 4 > query.length) return null;
  const qtype = query.readUInt16BE(end);
  const question = query.subarray(12, end + 4);
  const records = zone[name.toLowerCase()];
  const rcode = records === undefined ? 3 : (records.rcode ?? 0);
  const answers = records !== undefined && rcode === 0 ? rdatas(records, qtype) : [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // same id
  header.writeUInt16BE(0x8000 | 0x0400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2); // QR, AA, RD copied, RA
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const parts = [header, question];
  for (const rdata of answers) {
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question's name
    rr.writeUInt16BE(qtype, 2);
    rr.writeUInt16BE(1, 4); // class IN
    rr.writeUInt32BE(60, 6); // TTL
    rr.writeUInt16BE(rdata.length, 10);
    parts.push(rr, rdata);
  }
  return Buffer.concat(parts);
}

function rdatas(records: ZoneRecords, qtype: number): Buffer[] {
  switch (qtype) {
    case TYPE.A:
      return (records.A ?? []).map((ip) => Buffer.from(ip.split('.').map(Number)));
    case TYPE.TXT:
      return (records.TXT ?? []).map((chunks) => Buffer.concat(chunks.map((c) => Buffer.concat([Buffer.from([Buffer.byteLength(c)]), Buffer.from(c)]))));
    case TYPE.MX:
      return (records.MX ?? []).map((mx) => {
        const pref = Buffer.alloc(2);
        pref.writeUInt16BE(mx.priority, 0);
        return Buffer.concat([pref, encodeName(mx.exchange)]);
      });
    default:
      return [];
  }
}

/** Reads an uncompressed name (queries never compress the question). */
function readName(buf: Buffer, at: number): { name: string; end: number } {
  const labels: string[] = [];
  while (at < buf.length && buf[at] !== 0) {
    const len = buf[at];
    labels.push(buf.toString('latin1', at + 1, at + 1 + len));
    at += 1 + len;
  }
  return { name: labels.join('.'), end: at + 1 };
}

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
}
