import { isIP } from 'node:net';
import tls from 'node:tls';
import type { TlsMonitorConfig } from '../../../config/monitors-schema.ts';
import { chainExpiry, codedError, degraded, down, guardProbe, timeSocket, unbracket, up, type Verdict } from './common.ts';
import type { ProbeOptions, ProbeResult } from './types.ts';

const DAY = 86_400_000;

/** Checks a TLS endpoint's certificate: handshake, chain verification (when `verify`) and days left before it expires. */
export function probeTls(cfg: TlsMonitorConfig, opts: ProbeOptions = {}): Promise<ProbeResult> {
  return guardProbe(cfg.timeout, opts.signal, (ctx) => {
    const host = unbracket(cfg.host);
    const servername = cfg.servername ?? (isIP(host) ? undefined : host);
    // Verification is judged here from `authorized` rather than by rejecting the handshake, so an
    // untrusted or expired certificate is still read and its expiry reported. Nothing is ever sent.
    const socket = tls.connect({ host, port: cfg.port, servername, rejectUnauthorized: false });
    ctx.defer(() => socket.destroy());
    timeSocket(socket, ctx, host);
    return new Promise<Verdict>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('close', () => reject(codedError('ECONNRESET', 'connection closed during the TLS handshake')));
      socket.once('secureConnect', () => {
        const expiresAt = chainExpiry(socket.getPeerCertificate(true));
        if (expiresAt === undefined) return resolve(down('tls', 'the server sent no certificate'));
        ctx.certExpiresAt = expiresAt;
        resolve(judge(cfg, expiresAt, socket.authorized ? null : String(socket.authorizationError)));
      });
    });
  });
}

/** Expired first (whatever else is wrong), then a failed verification, then the critical and warning thresholds. */
function judge(cfg: TlsMonitorConfig, expiresAt: number, verifyError: string | null): Verdict {
  const days = (expiresAt - Date.now()) / DAY;
  const when = new Date(expiresAt).toISOString();
  if (days < 0) return down('cert_expired', `certificate expired ${(-days).toFixed(1)} days ago (${when})`);
  if (verifyError !== null && cfg.verify) return down('tls', `certificate not trusted: ${verifyError}`);
  if (days < cfg.critical_days) return down('cert_expiring', `certificate expires in ${days.toFixed(1)} days (${when}), under ${cfg.critical_days}`);
  if (days < cfg.warn_days) return degraded('cert_expiring', `certificate expires in ${days.toFixed(1)} days (${when}), under ${cfg.warn_days}`);
  return up();
}
