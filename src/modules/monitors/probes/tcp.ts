import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { TcpMonitorConfig } from '../../../config/monitors-schema.ts';
import { codedError, down, guardProbe, timeSocket, unbracket, up, type Verdict } from './common.ts';
import type { ProbeOptions, ProbeResult } from './types.ts';

/** Bytes read while looking for the `expect` text; a chatty server cannot make the probe buffer more. */
const READ_CAP = 64 * 1024;

/** Checks a TCP port: connect, optionally send `send`, optionally wait for `expect` in what comes back. */
export function probeTcp(cfg: TcpMonitorConfig, opts: ProbeOptions = {}): Promise<ProbeResult> {
  return guardProbe(cfg.timeout, opts.signal, (ctx) => {
    const host = unbracket(cfg.host);
    const socket = net.connect({ host, port: cfg.port });
    ctx.defer(() => socket.destroy());
    timeSocket(socket, ctx, host);
    return new Promise<Verdict>((resolve, reject) => {
      const decoder = new StringDecoder('utf8');
      let text = '';
      let size = 0;
      let connected = false;
      const missing = (why: string): Verdict => down('expect', `"${cfg.expect}" not in the first ${size} bytes (${why})`);
      socket.on('error', reject);
      socket.on('close', () => {
        if (!connected) reject(codedError('ECONNRESET', 'connection closed'));
        else resolve(cfg.expect === undefined ? up() : missing('connection closed'));
      });
      socket.once('connect', () => {
        connected = true;
        if (cfg.expect === undefined) {
          if (cfg.send === undefined) resolve(up());
          else socket.write(cfg.send, (err) => (err ? reject(err) : resolve(up())));
          return;
        }
        ctx.stage = `waiting for "${cfg.expect}"`;
        // Past the connect, running out of time means the expected text never came.
        ctx.onTimeout = () => missing('timed out');
        if (cfg.send !== undefined) socket.write(cfg.send);
        const expect = cfg.expect;
        socket.on('data', (chunk: Buffer) => {
          const take = chunk.subarray(0, READ_CAP - size);
          size += take.length;
          // Search only where a new match can be: the tail of the old text plus the new chunk.
          const from = Math.max(0, text.length - expect.length);
          text += decoder.write(take);
          if (text.includes(expect, from)) resolve(up());
          else if (size >= READ_CAP) resolve(missing('read limit reached'));
        });
      });
    });
  });
}
