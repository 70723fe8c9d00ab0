import dns from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { DnsMonitorConfig } from '../../../config/monitors-schema.ts';
import { addPhase, classifyError, down, guardProbe, up, unbracket } from './common.ts';
import type { ProbeOptions, ProbeResult } from './types.ts';

type Rcode = DnsMonitorConfig['rcode'];
type Resolver = dns.promises.Resolver;

/** c-ares error codes that are really answers: the rcode the server gave. */
const RCODE_BY_ERROR: Record<string, Rcode> = { ENOTFOUND: 'NXDOMAIN', ESERVFAIL: 'SERVFAIL', EREFUSED: 'REFUSED' };

/** Checks a DNS name: queries one record type (at `resolver` if given), then compares the rcode and the expected answers. */
export function probeDns(cfg: DnsMonitorConfig, opts: ProbeOptions = {}): Promise<ProbeResult> {
  return guardProbe(cfg.timeout, opts.signal, async (ctx) => {
    const resolver = new dns.promises.Resolver({ timeout: cfg.timeout, tries: 1 });
    ctx.defer(() => resolver.cancel());
    ctx.stage = 'querying';
    if (cfg.resolver !== undefined) resolver.setServers([await serverAddress(cfg.resolver)]);
    const started = ctx.elapsed();
    let rcode: Rcode = 'NOERROR';
    let answers: string[] = [];
    try {
      answers = await query(resolver, cfg.record_type, cfg.query);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ETIMEOUT' || code === 'ECANCELLED') return down('timeout', `no answer from ${cfg.resolver ?? 'the system resolver'} (${code})`);
      if (code in RCODE_BY_ERROR) rcode = RCODE_BY_ERROR[code];
      else if (code !== 'ENODATA') {
        // A resolver port that is closed is `refused`; malformed or unreadable replies are `dns`.
        const { reason, message } = classifyError(err);
        return down(reason === 'error' ? 'dns' : reason, message);
      }
    } finally {
      addPhase(ctx.phases, 'resolve', ctx.elapsed() - started);
    }
    if (rcode !== cfg.rcode) return down('rcode', `${cfg.query} ${cfg.record_type}: ${rcode}, expected ${cfg.rcode}`);
    const got = new Set(answers.map(normalise));
    const missing = cfg.expect.filter((want) => !got.has(normalise(want)));
    if (missing.length > 0) {
      const shown = answers.length === 0 ? 'no answers' : answers.slice(0, 5).join(', ');
      return down('answer', `${cfg.query} ${cfg.record_type}: missing ${missing.map((m) => `"${m}"`).join(', ')} (got ${shown})`);
    }
    return up();
  });
}

/** Answers compare case-insensitively and without the root's trailing dot. */
function normalise(answer: string): string {
  return answer.trim().toLowerCase().replace(/\.$/, '');
}

/** `ip`, `ip:port`, `[ipv6]:port` or a host name (resolved by the system first: c-ares servers are addresses). */
async function serverAddress(spec: string): Promise<string> {
  let host = spec;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec);
  if (bracketed) {
    host = bracketed[1];
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if (!isIPv6(spec)) {
    const colon = spec.lastIndexOf(':');
    if (colon > 0) {
      host = spec.slice(0, colon);
      port = Number(spec.slice(colon + 1));
    }
  }
  host = unbracket(host);
  if (isIP(host) === 0) host = (await dns.promises.lookup(host)).address;
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Runs the query and turns every record type's answers into strings, in the usual zone-file order. */
async function query(r: Resolver, type: DnsMonitorConfig['record_type'], name: string): Promise<string[]> {
  switch (type) {
    case 'A':
      return r.resolve4(name);
    case 'AAAA':
      return r.resolve6(name);
    case 'CNAME':
      return r.resolveCname(name);
    case 'NS':
      return r.resolveNs(name);
    case 'PTR':
      return r.resolvePtr(name);
    case 'MX':
      return (await r.resolveMx(name)).map((mx) => `${mx.priority} ${mx.exchange}`);
    case 'TXT':
      return (await r.resolveTxt(name)).map((chunks) => chunks.join(''));
    case 'SRV':
      return (await r.resolveSrv(name)).map((s) => `${s.priority} ${s.weight} ${s.port} ${s.name}`);
    case 'SOA': {
      const soa = await r.resolveSoa(name);
      return [`${soa.nsname} ${soa.hostmaster} ${soa.serial}`];
    }
    case 'CAA':
      return (await r.resolveCaa(name)).map((caa) => {
        const [tag, value] = Object.entries(caa).find(([key]) => key !== 'critical') ?? ['', ''];
        return `${caa.critical} ${tag} ${String(value)}`;
      });
  }
}
