import { formatPath } from '../config/load.ts';
import { DomainError } from '../lib/errors.ts';

// NUL is refused by PostgreSQL text columns (a 500 there, silently kept by SQLite), and a lone
// surrogate cannot be encoded as UTF-8 at all; both are refused at the edge, the same on every engine.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * How deeply a request may nest objects and arrays. Real payloads nest a handful of levels; a body
 * nested thousands deep would overflow the stack of every recursive step after this one (storing
 * it as JSON text, for one), so it is refused here, before anything runs.
 */
export const MAX_NESTING = 64;

/**
 * Throws VALIDATION_FAILED when any string (or key) in a request part holds text no store can keep
 * verbatim, or when the part nests deeper than MAX_NESTING.
 */
export function assertStorableText(part: 'body' | 'params' | 'query', value: unknown): void {
  // Iterative, and each entry links to its parent instead of copying the path, so a deeply nested
  // body can neither overflow the stack nor cost quadratic time.
  type Entry = { value: unknown; key: PropertyKey | null; parent: Entry | null; depth: number };
  const stack: Entry[] = [{ value, key: null, parent: null, depth: 0 }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const v = entry.value;
    if (entry.depth > MAX_NESTING && v !== null && typeof v === 'object') throw tooDeep(part);
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) throw unstorable(part, entry);
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ value: v[i], key: i, parent: entry, depth: entry.depth + 1 });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (UNSTORABLE.test(k)) throw unstorable(part, entry);
        stack.push({ value: item, key: k, parent: entry, depth: entry.depth + 1 });
      }
    }
  }
}

function unstorable(part: string, entry: { key: PropertyKey | null; parent: typeof entry | null }) {
  const path: PropertyKey[] = [];
  for (let e: typeof entry | null = entry; e !== null && e.key !== null; e = e.parent) path.unshift(e.key);
  const where = formatPath(path);
  const message = 'text must not contain NUL characters or unpaired UTF-16 surrogates';
  return new DomainError('VALIDATION_FAILED', `${where ? `${part}.${where}` : part}: ${message}`, { issues: [{ path: where, message }] });
}

function tooDeep(part: string) {
  const message = `must not nest objects and arrays more than ${MAX_NESTING} levels deep`;
  return new DomainError('VALIDATION_FAILED', `${part}: ${message}`, { issues: [{ path: '', message }] });
}
