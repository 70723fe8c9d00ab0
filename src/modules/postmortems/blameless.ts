import type { BlamelessHint, PostmortemContent } from './schemas.ts';

/** Someone who could be named: a configured person or a user of Firebreak. */
export interface Person {
  handle: string;
  name: string;
}

interface Pattern {
  re: RegExp;
  kind: BlamelessHint['kind'];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Word edges that treat handles' dashes and dots, and e-mail addresses, as part of a word. */
const edge = (body: string, flags: string) => new RegExp(`(?<![\\p{L}\\p{N}_@.-])${body}(?![\\p{L}\\p{N}_@-])`, `${flags}u`);

/**
 * Patterns for everyone: @mentions; handles (three characters or more, any case); full names (any
 * case) and first names (as written, capitalised), so "Alice pushed the config" is caught but
 * "alice-blue theme" is not. Parenthesised titles in a name ("(engineering manager)") are dropped.
 */
function patterns(people: Person[]): Pattern[] {
  const out: Pattern[] = [{ re: /(?<![\p{L}\p{N}_.])@[\p{L}\p{N}][\p{L}\p{N}_.-]{0,63}/gu, kind: 'mention' }];
  const seen = new Set<string>();
  const add = (body: string, flags: string, kind: Pattern['kind']) => {
    const key = `${kind}\u0000${flags}\u0000${body}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ re: edge(body, `g${flags}`), kind });
  };
  for (const p of people) {
    if (p.handle.length >= 3) add(escape(p.handle), 'i', 'handle');
    const name = p.name.replace(/\([^)]*\)/g, ' ').replace(/\s+/g, ' ').trim();
    if (name.length >= 3 && name.toLowerCase() !== p.handle.toLowerCase()) add(name.split(' ').map(escape).join('\\s+'), 'i', 'name');
    const first = name.split(' ')[0] ?? '';
    if (first.length >= 3 && /^\p{Lu}/u.test(first) && first !== name) add(escape(first), '', 'name');
  }
  return out;
}

const RANK: Record<Pattern['kind'], number> = { name: 0, handle: 1, mention: 2 };

/** Every span of `text` that names a person, the longest kept where they overlap. */
function findSpans(text: string, pats: Pattern[]): { start: number; end: number; match: string; kind: Pattern['kind'] }[] {
  const spans: { start: number; end: number; match: string; kind: Pattern['kind'] }[] = [];
  for (const p of pats) {
    p.re.lastIndex = 0;
    for (const m of text.matchAll(p.re)) spans.push({ start: m.index, end: m.index + m[0].length, match: m[0], kind: p.kind });
  }
  // Where a name and a handle cover the same text ("Carol"), it is reported as the name.
  spans.sort((a, b) => a.start - b.start || b.end - a.end || RANK[a.kind] - RANK[b.kind]);
  const kept: typeof spans = [];
  for (const s of spans) if (!kept.length || s.start >= kept.at(-1)!.end) kept.push(s);
  return kept;
}

const MESSAGE = 'names a person: a blameless postmortem says what the system and the process allowed, not who did it';

/**
 * Names, handles and @mentions in the root cause, the contributing factors and the five whys. A
 * hint for the author, never a refusal: "Alice" may be a service's name.
 */
export function blamelessHints(content: PostmortemContent, people: Person[]): BlamelessHint[] {
  const pats = patterns(people);
  const sections: [string, string][] = [['root_cause', content.root_cause]];
  for (const [k, items] of Object.entries(content.factors)) items.forEach((t, i) => sections.push([`factors.${k}[${i}]`, t]));
  content.five_whys.forEach((w, i) => sections.push([`five_whys[${i}]`, `${w.question}\n${w.answer}`]));
  const hints: BlamelessHint[] = [];
  const seen = new Set<string>();
  for (const [section, text] of sections) {
    for (const s of findSpans(text, pats)) {
      const key = `${section}\u0000${s.match.toLowerCase()}`;
      if (seen.has(key)) continue;
      seen.add(key);
      hints.push({ section, match: s.match, kind: s.kind, message: `"${s.match}" ${MESSAGE}` });
    }
  }
  return hints;
}

/** Text for customers with every name, handle and @mention replaced. */
export function withoutNames(text: string, people: Person[]): string {
  const spans = findSpans(text, patterns(people));
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += text.slice(at, s.start) + 'our team';
    at = s.end;
  }
  return out + text.slice(at);
}
