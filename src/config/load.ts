import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Document, LineCounter, isCollection, isMap, isNode, isScalar, parseDocument } from 'yaml';
import { crossCheckMonitors } from './monitors-schema.ts';
import { crossCheckOncall } from './oncall-schema.ts';
import { crossCheckStatusPage } from './statuspage-schema.ts';
import { configSchema, crossCheckClassification, crossCheckIntegrations, crossCheckServices, finishConfig, isTimeZone, type FirebreakConfig } from './schema.ts';

/** One problem in a config file, with its YAML path and, when known, its line and column. */
export interface ConfigIssue {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export type ConfigResult = { ok: true; config: FirebreakConfig } | { ok: false; issues: ConfigIssue[] };

/** The example organisation that `npm start` uses when no config is given. */
export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../examples/firebreak.yaml', import.meta.url));

export function loadConfigFile(path: string, env: Readonly<Record<string, string | undefined>>): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, issues: [{ path: '', message: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }] };
  }
  return parseConfigText(text, env);
}

/** Parses YAML, substitutes `${VAR}` / `${VAR:-default}` in string values, then validates. */
export function parseConfigText(text: string, env: Readonly<Record<string, string | undefined>>): ConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((err) => {
        const pos = lineCounter.linePos(err.pos[0]);
        return { path: '', message: err.message.split('\n')[0], line: pos.line, column: pos.col };
      }),
    };
  }
  const issues: ConfigIssue[] = [];
  const raw = substituteEnv(doc.toJS() ?? {}, env, [], issues);
  // A value whose variable is missing is already reported; its knock-on schema error would be noise.
  const unset = new Set(issues.map((i) => i.path));
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // Point an unknown key at the key itself, one issue per key, so typos are easy to find.
      const expanded = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => ({ path: [...issue.path, k], message: `unknown key "${k}"` })) : [issue];
      for (const e of expanded) if (!unset.has(formatPath(e.path))) issues.push({ path: formatPath(e.path), message: e.message, ...locate(doc, lineCounter, e.path) });
    }
  }
  for (const issue of [...crossCheckServices(raw), ...crossCheckIntegrations(raw), ...crossCheckClassification(raw), ...crossCheckMonitors(raw, isTimeZone), ...crossCheckOncall(raw, isTimeZone), ...crossCheckStatusPage(raw, isTimeZone)]) issues.push({ path: formatPath(issue.path), message: issue.message, ...locate(doc, lineCounter, issue.path) });
  for (const issue of issues) if (issue.line === undefined) Object.assign(issue, locate(doc, lineCounter, parsePath(issue.path)));
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  return { ok: true, config: finishConfig(parsed.data) };
}

function substituteEnv(value: unknown, env: Readonly<Record<string, string | undefined>>, path: PropertyKey[], issues: ConfigIssue[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      issues.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, [...path, i], issues));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, [...path, k], issues)]));
  }
  return value;
}

/** ['services', 2, 'tier'] → "services[2].tier" */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

function parsePath(path: string): PropertyKey[] {
  const out: PropertyKey[] = [];
  for (const [, key, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(index !== undefined ? Number(index) : key);
  return out;
}

/** Finds the nearest node that exists along the path, so a missing key points at its parent. */
function locate(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): { line?: number; column?: number } {
  for (let n = path.length; n >= 0; n--) {
    let node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    // A block mapping or list starts on the line after its key; point at the key instead.
    if (n > 0 && isCollection(node) && !node.flow) node = keyNode(doc.getIn(path.slice(0, n - 1) as unknown[], true) ?? doc.contents, path[n - 1]) ?? node;
    if (isNode(node) && node.range) {
      const pos = lc.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return {};
}

function keyNode(parent: unknown, key: PropertyKey): unknown {
  if (!isMap(parent)) return undefined;
  return parent.items.find((pair) => (isScalar(pair.key) ? pair.key.value : pair.key) === key)?.key;
}

/** Human-readable list, one issue a line: "file:12:5 services[2].tier: Invalid option". */
export function formatIssues(file: string, issues: ConfigIssue[]): string {
  return issues
    .map((i) => `${file}${i.line ? `:${i.line}:${i.column}` : ''} ${i.path || '(root)'}: ${i.message}`)
    .join('\n');
}
