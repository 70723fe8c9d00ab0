/**
 * Shared by the probe tests: self-signed certificates made with the openssl CLI, servers on
 * loopback, and monitor configs with the schema's defaults filled in by hand (so these tests do not
 * depend on the config loader).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DnsMonitorConfig, HttpMonitorConfig, TcpMonitorConfig, TlsMonitorConfig } from '../../../src/config/monitors-schema.ts';

export const DAY = 86_400_000;

/** A key and a self-signed certificate for CN=localhost (SAN localhost, 127.0.0.1) valid for `days` (negative: already expired). */
export function selfSigned(days: number): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-probe-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    if (days > 0) {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', String(days), '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'pipe' });
    } else {
      // `req -x509` refuses non-positive days; `x509 -req` takes them, which gives an already expired certificate.
      const csr = join(dir, 'req.csr');
      const ext = join(dir, 'ext.cnf');
      writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
      execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', key, '-out', csr], { stdio: 'pipe' });
      execFileSync('openssl', ['x509', '-req', '-in', csr, '-signkey', key, '-days', String(days), '-extfile', ext, '-out', cert], { stdio: 'pipe' });
    }
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts a server on 127.0.0.1 with an OS-chosen port and returns the port. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

/** Closes a server, waiting for its connections to end: a probe that left a socket open makes this hang. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

const common = { id: 'm', name: 'm', service: 'svc', severity: 'P2', depends_on: [], canary: false, interval: 30_000, timeout: 2000, confirm: { down: 3, up: 2 } } as const;

type Expect = HttpMonitorConfig['expect'];
/** An HTTP monitor with the schema defaults; `expect` is merged over the default expectations. */
export function httpConfig(url: string, over: Partial<Omit<HttpMonitorConfig, 'expect'>> & { expect?: Partial<Expect> } = {}): HttpMonitorConfig {
  const { expect, ...rest } = over;
  return {
    ...common,
    type: 'http',
    url,
    method: 'GET',
    headers: {},
    follow_redirects: true,
    max_redirects: 5,
    verify_tls: true,
    max_body_bytes: 1024 * 1024,
    ...rest,
    expect: { status: ['200-399'], json: [], headers: {}, ...expect },
  } as HttpMonitorConfig;
}

/** A TCP monitor with the schema defaults. */
export function tcpConfig(port: number, over: Partial<TcpMonitorConfig> = {}): TcpMonitorConfig {
  return { ...common, type: 'tcp', host: '127.0.0.1', port, ...over } as TcpMonitorConfig;
}

/** A DNS monitor with the schema defaults. */
export function dnsConfig(query: string, over: Partial<DnsMonitorConfig> = {}): DnsMonitorConfig {
  return { ...common, type: 'dns', query, record_type: 'A', expect: [], rcode: 'NOERROR', ...over } as DnsMonitorConfig;
}

/** A TLS monitor with the schema defaults. */
export function tlsConfig(port: number, over: Partial<TlsMonitorConfig> = {}): TlsMonitorConfig {
  return { ...common, type: 'tls', host: '127.0.0.1', port, verify: true, warn_days: 14, critical_days: 7, ...over } as TlsMonitorConfig;
}
