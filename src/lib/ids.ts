import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

/**
 * Time-ordered, URL-safe identifier (ULID layout: 48-bit ms time + 80-bit random), prefixed with
 * its kind. Monotonic within a process so ids created in the same millisecond still sort.
 */
export function newId(prefix: string, now = Date.now()): string {
  let rand: Uint8Array;

  if (now <= lastTime) {
    rand = increment(lastRandom);
    now = lastTime;
  } else {
    rand = randomBytes(10);
  }
  lastTime = now;
  lastRandom = rand;
  let out = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  // 80 random bits → 16 base32 characters.
  let bits = 0;
  let acc = 0;
  for (const byte of rand) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return `${prefix}_${out.toLowerCase()}`;
}

function increment(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  for (let i = copy.length - 1; i >= 0; i--) {
    if (copy[i] < 255) {
      copy[i]++;
      return copy;
    }
    copy[i] = 0;
  }
  return copy;
}

/** A random secret, URL-safe, for tokens and one-time passwords. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
