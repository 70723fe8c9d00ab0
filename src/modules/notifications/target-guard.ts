import { promises as dns } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Keeps URLs that strangers give us (status page webhook subscribers) from reaching our own
 * network: loopback, private, link-local, unique-local, carrier-grade NAT, multicast, reserved and
 * documentation ranges, and the IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4), since
 * those can lead back to any of the former. Checked when the URL is given and again before each
 * send, after a fresh DNS lookup, because what a name points at can change.
 */

// Two lists: a BlockList matches IPv4 addresses against its IPv6 rules too (as ::ffff:a.b.c.d),
// and ::ffff:0:0/96 below would then block every IPv4 address.
const BLOCKED_V4 = new BlockList();
const BLOCKED_V6 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED_V4.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible form
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED_V6.addSubnet(net, bits, 'ipv6');
}

/** Whether an IP address (v4 or v6, no brackets) is one a public webhook must not reach. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: refuse rather than guess
  return family === 4 ? BLOCKED_V4.check(address, 'ipv4') : BLOCKED_V6.check(address, 'ipv6');
}

export type TargetCheck = { ok: true } | { ok: false; reason: string; retryable: boolean };

/** A name lookup that takes longer than this counts as failed. */
const LOOKUP_TIMEOUT_MS = 5000;

/**
 * Resolves a URL's host and refuses it when any address it resolves to is private (a name with one
 * public and one private address is refused: the connection may use either). Never throws; the
 * reasons name no host or address, so they are safe to store and show.
 */
export async function checkPublicTarget(url: string): Promise<TargetCheck> {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return { ok: false, reason: 'invalid URL', retryable: false };
  }
  if (!host) return { ok: false, reason: 'URL has no host', retryable: false };
  if (isIP(host)) return isPrivateAddress(host) ? refused() : { ok: true };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('lookup timed out'), { code: 'ETIMEOUT' })), LOOKUP_TIMEOUT_MS);
      timer.unref();
    });
    const found = await Promise.race([dns.lookup(host, { all: true, verbatim: true }), timeout]);
    if (!found.length) return { ok: false, reason: 'host name does not resolve', retryable: true };
    return found.some((a) => isPrivateAddress(a.address)) ? refused() : { ok: true };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    // A name that does not exist is final; a slow or failing resolver may recover.
    if (code === 'ENOTFOUND' || code === 'EAI_NONAME') return { ok: false, reason: 'host name does not resolve', retryable: false };
    return { ok: false, reason: 'host name could not be resolved', retryable: true };
  } finally {
    clearTimeout(timer);
  }
}

const refused = (): TargetCheck => ({ ok: false, reason: 'the URL points at a loopback, private or link-local address, which is not allowed (status_page.subscribers.allow_private_targets)', retryable: false });
