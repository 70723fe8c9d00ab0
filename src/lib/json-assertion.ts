import { getAtPath, parsePath, type PathSegment } from './json-path.ts';

/**
 * Assertions on a JSON document, as health checks write them: `$.status == "ok"`,
 * `len($.items) > 0`, `$.db.latency_ms < 250`, `$.ready` (true when the value is truthy). The left
 * side is `$` followed by a json-path (see json-path.ts), optionally inside `len(…)` (length of a
 * string, array or object); the right side is a JSON literal. There is no eval.
 */
export interface JsonAssertion {
  text: string;
  path: PathSegment[];
  len: boolean;
  op: '==' | '!=' | '<' | '<=' | '>' | '>=' | null;
  value: unknown;
}

const SHAPE = /^\s*(len\(\s*)?\$((?:\.|\[)[^\s)=!<>]*)?(\s*\))?\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*$/;

/** Parses an assertion; throws an Error saying what is wrong. */
export function parseJsonAssertion(text: string): JsonAssertion {
  if (text.length > 512) throw new Error('must be at most 512 characters');
  const m = SHAPE.exec(text);
  if (!m) throw new Error(`cannot read "${text}" (write e.g. $.status == "ok" or len($.items) > 0)`);
  const [, lenOpen, rawPath, lenClose, op, literal] = m;
  if (Boolean(lenOpen) !== Boolean(lenClose)) throw new Error('unbalanced len( … )');
  const pathText = rawPath ? rawPath.replace(/^\./, '') : '';
  const path = pathText === '' ? [] : parsePath(pathText);
  let value: unknown = null;
  if (op !== undefined) {
    try {
      value = JSON.parse(literal);
    } catch {
      throw new Error(`the right side "${literal}" must be a JSON literal: "text", a number, true, false or null`);
    }
    if (value !== null && typeof value === 'object') throw new Error('the right side must be a string, number, boolean or null');
    if ((op === '<' || op === '<=' || op === '>' || op === '>=') && typeof value !== 'number') throw new Error(`${op} compares numbers`);
  }
  return { text, path, len: Boolean(lenOpen), op: (op as JsonAssertion['op']) ?? null, value };
}

/** Evaluates an assertion against a parsed document: null when it holds, else why not. */
export function checkJsonAssertion(a: JsonAssertion, doc: unknown): string | null {
  let actual = a.path.length === 0 ? doc : getAtPath(doc, a.path);
  if (a.len) {
    if (typeof actual === 'string' || Array.isArray(actual)) actual = actual.length;
    else if (actual !== null && typeof actual === 'object') actual = Object.keys(actual).length;
    else return `${a.text}: no string, array or object to measure`;
  }
  const shown = actual === undefined ? 'missing' : JSON.stringify(actual)?.slice(0, 100);
  if (a.op === null) return actual ? null : `${a.text}: got ${shown}`;
  let holds: boolean;
  switch (a.op) {
    case '==':
      holds = actual === a.value;
      break;
    case '!=':
      holds = actual !== a.value;
      break;
    default: {
      if (typeof actual !== 'number') return `${a.text}: got ${shown}, not a number`;
      const v = a.value as number;
      holds = a.op === '<' ? actual < v : a.op === '<=' ? actual <= v : a.op === '>' ? actual > v : actual >= v;
    }
  }
  return holds ? null : `${a.text}: got ${shown}`;
}
