import { createHash } from 'node:crypto';

/** Session and token secrets are long and random, so a plain SHA-256 is a safe, fast lookup key. */
export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
