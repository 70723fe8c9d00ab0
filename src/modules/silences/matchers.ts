import { DomainError } from '../../lib/errors.ts';

export const MATCHER_OPS = ['=', '!=', '=~', '!~'] as const;
export type MatcherOp = (typeof MATCHER_OPS)[number];
export interface Matcher {
  name: string;
  op: MatcherOp;
  value: string;
}
/** The longest regex a matcher may hold; with the checks below it keeps matching cheap. */
export const REGEX_MAX = 256;

/**
 * A matcher's regex, anchored as Alertmanager anchors it (the whole value must match). Refuses
 * what RE2 (Alertmanager's engine) would not run in linear time: backreferences, lookaround and a
 * quantified group that itself holds a quantifier (the shape of catastrophic backtracking).
 */
export function compileMatcherRegex(pattern: string): RegExp {
  if (pattern.length > REGEX_MAX) throw new Error(`must be at most ${REGEX_MAX} characters`);
  if (/\\[1-9]|\\k</.test(pattern)) throw new Error('must not use backreferences');
  if (/\(\?<?[=!]/.test(pattern)) throw new Error('must not use lookahead or lookbehind');
  // A cheap check on innermost groups, after dropping group prefixes such as "(?:" and "(?<name>".
  const bare = pattern.replace(/\(\?(?:<[A-Za-z_]\w*>|[:imsx-]*:?)/g, '(');
  if (/\((?:[^()\\]|\\.)*[+*}?](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d+,?\d*\})/.test(bare)) throw new Error('must not repeat a group that holds a repetition (catastrophic backtracking)');
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (e) {
    throw new Error(`is not a valid regular expression (${(e as Error).message})`);
  }
}

/** A compiled matcher: true when the labels satisfy it (a missing label is the empty string, as in Alertmanager). */
export type CompiledMatcher = (labels: Record<string, string>) => boolean;

export function compileMatcher(m: Matcher): CompiledMatcher {
  const get = (labels: Record<string, string>) => (Object.hasOwn(labels, m.name) ? labels[m.name] : '');
  switch (m.op) {
    case '=':
      return (l) => get(l) === m.value;
    case '!=':
      return (l) => get(l) !== m.value;
    case '=~': {
      const re = compileMatcherRegex(m.value);
      return (l) => re.test(get(l));
    }
    case '!~': {
      const re = compileMatcherRegex(m.value);
      return (l) => !re.test(get(l));
    }
  }
}

/** Checks every regex of a matcher list; VALIDATION_FAILED naming `matchers.<i>.value`. */
export function checkMatchers(matchers: Matcher[]): void {
  const issues: { path: string; message: string }[] = [];
  matchers.forEach((m, i) => {
    if (m.op !== '=~' && m.op !== '!~') return;
    try {
      compileMatcherRegex(m.value);
    } catch (e) {
      issues.push({ path: `matchers.${i}.value`, message: (e as Error).message });
    }
  });
  if (issues.length) throw new DomainError('VALIDATION_FAILED', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}
