/**
 * A tiny, safe path syntax for picking values out of a JSON document: dotted names with array
 * indexes, e.g. `alert.labels.host`, `Records[0].Sns.Message`, `[0].id`. Names are
 * `[A-Za-z0-9_$@:-]+` (no dots, brackets or spaces); an index is `[<digits>]`. There is no eval, no
 * wildcard, no filter; `__proto__`, `constructor` and `prototype` are refused, and lookups read own
 * properties only, so a path can never reach an object's prototype.
 */
export type PathSegment = string | number;

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const TOKEN = /([A-Za-z0-9_$@:-]+)|\[(\d{1,6})\]/y;
export const PATH_MAX = 256;

/** Parses a path; throws an Error whose message says what is wrong (never the document). */
export function parsePath(path: string): PathSegment[] {
  if (path.length === 0) throw new Error('must not be empty');
  if (path.length > PATH_MAX) throw new Error(`must be at most ${PATH_MAX} characters`);
  const segments: PathSegment[] = [];
  let at = 0;
  while (at < path.length) {
    if (segments.length > 0 && path[at] === '.') {
      at++;
      if (path[at] === '[' || at >= path.length) throw new Error(`a name must follow "." at ${at}`);
    }
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(path);
    if (!m) throw new Error(`unexpected "${path[at]}" at ${at} (write names and [index], joined by ".")`);
    if (m[1] !== undefined) {
      if (segments.length > 0 && path[at - 1] !== '.') throw new Error(`a "." must come before the name at ${at}`);
      if (FORBIDDEN.has(m[1])) throw new Error(`"${m[1]}" is not allowed in a path`);
      segments.push(m[1]);
    } else {
      segments.push(Number(m[2]));
    }
    at = TOKEN.lastIndex;
  }
  return segments;
}

/** The value at a parsed path, or undefined when any step is missing or of the wrong kind. */
export function getAtPath(doc: unknown, segments: PathSegment[]): unknown {
  let value = doc;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(value) || segment >= value.length) return undefined;
      value = value[segment];
    } else {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined;
      value = (value as Record<string, unknown>)[segment];
    }
  }
  return value;
}

/**
 * Replaces the value at a path, in place, when there is one; used to parse JSON held in a string.
 * Returns whether a value was there.
 */
export function setAtPath(doc: unknown, segments: PathSegment[], replace: (old: unknown) => unknown): boolean {
  if (segments.length === 0) return false;
  const parent = getAtPath(doc, segments.slice(0, -1));
  const last = segments[segments.length - 1];
  if (typeof last === 'number') {
    if (!Array.isArray(parent) || last >= parent.length) return false;
    parent[last] = replace(parent[last]);
    return true;
  }
  if (parent === null || typeof parent !== 'object' || Array.isArray(parent) || !Object.hasOwn(parent, last)) return false;
  (parent as Record<string, unknown>)[last] = replace((parent as Record<string, unknown>)[last]);
  return true;
}
