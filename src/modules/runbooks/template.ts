import { getAtPath, parsePath } from '../../lib/json-path.ts';

/**
 * `${{ … }}` expressions in step fields: `vars.<name>`, `steps.<id>.output[.<path>]`,
 * `steps.<id>.status`, `secrets.<NAME>` (from the environment), `run.id`, `incident.ref`. A field
 * that is one expression keeps the value's type (a number, an object); inside text it is written as
 * text (objects as JSON). There is no eval: an expression is a name and a json-path, nothing else.
 */
export interface Scope {
  vars: Record<string, unknown>;
  steps: Record<string, { output: unknown; status: string }>;
  /** Secret values by name; `masked`: every secret reads as *** (what is recorded, and dry runs). */
  secrets: Readonly<Record<string, string | undefined>> | 'masked';
  run: { id: string };
  incident: { ref: string } | null;
  /** Dry runs: a step output that does not exist yet reads as `<steps.x.output.y>`. */
  placeholders?: boolean;
}

export const MASK = '***';
const EXPR = /\$\{\{\s*([^}]*?)\s*\}\}/g;
const WHOLE = /^\$\{\{\s*([^}]*?)\s*\}\}$/;

/** A template problem: the step fails with this message (it never names a secret's value). */
export class TemplateError extends Error {}

function lookup(expr: string, scope: Scope): unknown {
  const m = /^([a-z]+)\.([A-Za-z0-9_-]+)(?:\.(.+))?$/.exec(expr);
  if (!m) throw new TemplateError(`cannot read \${{ ${expr} }} (write vars.x, steps.<id>.output.<path>, secrets.NAME, run.id or incident.ref)`);
  const [, root, name, rest] = m;
  switch (root) {
    case 'vars':
      if (rest !== undefined) throw new TemplateError(`\${{ ${expr} }}: variables have no fields`);
      if (!Object.hasOwn(scope.vars, name) || scope.vars[name] === undefined) throw new TemplateError(`variable "${name}" has no value`);
      return scope.vars[name];
    case 'secrets': {
      if (rest !== undefined) throw new TemplateError(`\${{ ${expr} }}: secrets have no fields`);
      if (scope.secrets === 'masked') return MASK;
      const v = scope.secrets[name];
      if (v === undefined || v === '') throw new TemplateError(`secret ${name} is not set in Firebreak's environment`);
      return v;
    }
    case 'steps': {
      const step = Object.hasOwn(scope.steps, name) ? scope.steps[name] : undefined;
      if (!step) {
        if (scope.placeholders) return `<steps.${name}${rest ? `.${rest}` : ''}>`;
        throw new TemplateError(`step "${name}" has not run`);
      }
      if (rest === 'status') return step.status;
      if (rest === 'output') return step.output;
      if (!rest?.startsWith('output.')) throw new TemplateError(`\${{ ${expr} }}: write steps.${name}.output.<path> or steps.${name}.status`);
      let path;
      try {
        path = parsePath(rest.slice('output.'.length));
      } catch (e) {
        throw new TemplateError(`\${{ ${expr} }}: ${(e as Error).message}`);
      }
      const v = getAtPath(step.output, path);
      if (v === undefined) throw new TemplateError(`\${{ ${expr} }}: step "${name}" has no output at that path`);
      return v;
    }
    case 'run':
      if (name === 'id' && rest === undefined) return scope.run.id;
      break;
    case 'incident':
      if (name === 'ref' && rest === undefined) {
        if (!scope.incident) throw new TemplateError('the run has no incident');
        return scope.incident.ref;
      }
      break;
  }
  throw new TemplateError(`unknown \${{ ${expr} }}`);
}

const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Resolves every expression in a value (strings, arrays and objects, deeply). */
export function resolve(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return lookup(whole[1], scope);
    return value.replace(EXPR, (_m, expr: string) => asText(lookup(expr, scope)));
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, scope));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, scope)]));
  return value;
}

/** The secret names a value refers to. */
export function secretNames(value: unknown): string[] {
  const names = new Set<string>();
  for (const m of JSON.stringify(value ?? null).matchAll(/\$\{\{\s*secrets\.([A-Za-z0-9_-]+)\s*\}\}/g)) names.add(m[1]);
  return [...names];
}

/**
 * Replaces every occurrence of a secret value with *** in strings, deeply: what a command echoed
 * or a server reflected never reaches the database, the timeline or the log.
 */
export function mask<T>(value: T, secrets: readonly string[]): T {
  const list = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  if (!list.length) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let out = v;
      for (const s of list) out = out.split(s).join(MASK);
      return out;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
