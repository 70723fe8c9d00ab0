import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, LineCounter, isCollection, isMap, isNode, isScalar, parseDocument } from 'yaml';
import { crossCheckMonitors } from './monitors-schema.ts';
import { crossCheckOncall } from './oncall-schema.ts';
import { crossCheckStatusPage } from './statuspage-schema.ts';
import { crossCheckDrills } from './drill-schema.ts';
import { crossCheckIncidentRules, crossCheckRunbook, describeRunbookIssue, runbookSchema, runbookVersion, type RunbookConfig } from './runbook-schema.ts';
import { configSchema, crossCheckClassification, crossCheckIntegrations, crossCheckServices, finishConfig, isTimeZone, type FirebreakConfig } from './schema.ts';

/** One problem in a config file, with its YAML path and, when known, its line and column. */
export interface ConfigIssue {
  path: string;
  message: string;
  line?: number;
  column?: number;
  /** The file the problem is in, when not the config file itself (a runbook file). */
  file?: string;
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
  return parseConfigText(text, env, { baseDir: dirname(path) });
}

/**
 * Parses YAML, substitutes `${VAR}` / `${VAR:-default}` in string values, then validates. Runbook
 * files named by `runbooks.files` are read relative to `baseDir` (the config file's directory).
 */
export function parseConfigText(text: string, env: Readonly<Record<string, string | undefined>>, opts: { baseDir?: string } = {}): ConfigResult {
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
      for (const e of expanded) if (!unset.has(formatPath(e.path))) issues.push({ path: formatPath(e.path), message: runbookMessage(raw, e.path, e.message), ...locate(doc, lineCounter, e.path) });
    }
  }
  for (const issue of [...crossCheckServices(raw), ...crossCheckIntegrations(raw), ...crossCheckClassification(raw), ...crossCheckMonitors(raw, isTimeZone), ...crossCheckOncall(raw, isTimeZone), ...crossCheckStatusPage(raw, isTimeZone)]) issues.push({ path: formatPath(issue.path), message: issue.message, ...locate(doc, lineCounter, issue.path) });
  for (const issue of issues) if (issue.line === undefined) Object.assign(issue, locate(doc, lineCounter, parsePath(issue.path)));
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  const config = finishConfig(parsed.data);
  const runbookIssues = addRunbookFiles(config, parsed.data.runbooks.files, opts.baseDir ?? process.cwd(), env);
  if (runbookIssues.length > 0) return { ok: false, issues: runbookIssues };
  return { ok: true, config };
}

/** An issue inside `runbooks.definitions[i]` names the runbook, step and field it is in. */
function runbookMessage(raw: unknown, path: readonly PropertyKey[], message: string): string {
  if (path[0] !== 'runbooks' || path[1] !== 'definitions' || typeof path[2] !== 'number') return message;
  const def = (raw as { runbooks?: { definitions?: unknown[] } }).runbooks?.definitions?.[path[2]];
  return describeRunbookIssue(def, path.slice(3), message);
}

/**
 * Reads the runbook files (a path, or a glob whose `*` and `?` are in the file name), validates each
 * runbook and cross-checks them all against the config. Every issue names its file, step and field.
 */
function addRunbookFiles(config: FirebreakConfig, patterns: string[], baseDir: string, env: Readonly<Record<string, string | undefined>>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const fromFiles: RunbookConfig[] = [];
  const locations = new Map<RunbookConfig, { file: string; doc?: Document; lc?: LineCounter; prefix: PropertyKey[] }>();
  config.runbooks.runbooks.forEach((rb, i) => locations.set(rb, { file: '', prefix: ['runbooks', 'definitions', i] }));
  patterns.forEach((pattern, p) => {
    const files = expandPattern(pattern, baseDir);
    if (files.length === 0) issues.push({ path: `runbooks.files[${p}]`, message: `no runbook file matches "${pattern}"` });
    for (const file of files) {
      const shown = relative(baseDir, file) || file;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        issues.push({ file: shown, path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
        continue;
      }
      const lc = new LineCounter();
      const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
      if (doc.errors.length > 0) {
        for (const err of doc.errors) issues.push({ file: shown, path: '', message: err.message.split('\n')[0], line: lc.linePos(err.pos[0]).line, column: lc.linePos(err.pos[0]).col });
        continue;
      }
      const fileIssues: ConfigIssue[] = [];
      const raw = substituteEnv(doc.toJS() ?? {}, env, [], fileIssues);
      for (const i of fileIssues) issues.push({ ...i, file: shown, ...locate(doc, lc, parsePath(i.path)) });
      if (fileIssues.length) continue;
      const parsed = runbookSchema.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const expanded = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => ({ path: [...issue.path, k], message: `unknown key "${k}"` })) : [issue];
          for (const e of expanded) issues.push({ file: shown, path: formatPath(e.path), message: describeRunbookIssue(raw, e.path, e.message), ...locate(doc, lc, e.path) });
        }
        continue;
      }
      const rb: RunbookConfig = { definition: parsed.data, version: runbookVersion(parsed.data), source: shown };
      locations.set(rb, { file: shown, doc, lc, prefix: [] });
      fromFiles.push(rb);
    }
  });
  config.runbooks.runbooks.push(...fromFiles);
  const known = {
    connections: new Set(config.runbooks.connections.map((c) => c.id)),
    monitors: new Set(config.monitors.map((m) => m.id)),
    channels: new Set(config.channels.map((c) => c.id)),
    users: new Set(config.users.map((u) => u.handle)),
    services: new Set(config.services.map((x) => x.id)),
  };
  const seen = new Map<string, string>();
  for (const rb of config.runbooks.runbooks) {
    const where = locations.get(rb)!;
    const at = (path: PropertyKey[]) => (where.doc && where.lc ? locate(where.doc, where.lc, path) : {});
    const id = rb.definition.id;
    if (seen.has(id)) issues.push({ ...(where.file ? { file: where.file } : {}), path: formatPath([...where.prefix, 'id']), message: `duplicate runbook id "${id}" (first in ${seen.get(id)})`, ...at(['id']) });
    else seen.set(id, rb.source ?? 'the config file');
    for (const issue of crossCheckRunbook(rb.definition, known)) {
      issues.push({ ...(where.file ? { file: where.file } : {}), path: formatPath([...where.prefix, ...issue.path]), message: describeRunbookIssue(rb.definition, issue.path, issue.message), ...at(issue.path) });
    }
  }
  const rules = crossCheckIncidentRules(config.incident_rules, { runbooks: new Map(config.runbooks.runbooks.map((r) => [r.definition.id, r.definition])), monitors: known.monitors, services: known.services });
  for (const issue of rules) issues.push({ path: formatPath(issue.path), message: issue.message });
  for (const issue of crossCheckDrills(config.drills, { runbooks: new Map(config.runbooks.runbooks.map((r) => [r.definition.id, r.definition])), services: new Set(config.services.map((x) => x.id)), connections: known.connections })) issues.push({ path: formatPath(issue.path), message: issue.message });
  return issues;
}

/** A file path, or a directory plus a file-name pattern with `*` and `?`; matches sorted by name. */
function expandPattern(pattern: string, baseDir: string): string[] {
  const full = isAbsolute(pattern) ? pattern : join(baseDir, pattern);
  const name = basename(full);
  if (!/[*?]/.test(name)) return [full];
  const dir = dirname(full);
  const re = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  try {
    return readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
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
    .map((i) => `${i.file ?? file}${i.line ? `:${i.line}:${i.column}` : ''} ${i.path || '(root)'}: ${i.message}`)
    .join('\n');
}
