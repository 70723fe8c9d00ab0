import type { PostmortemContent, UpdatePostmortemInput } from '../api/types.ts';

/**
 * The postmortem's editable sections as the form holds them: prose as is, lists as one item per
 * line (what people type), five whys as pairs.
 */
export interface Draft {
  summary: string;
  root_cause: string;
  resolution: string;
  prevention: string;
  factors: Record<FactorKey, string>;
  lessons: Record<LessonKey, string>;
  five_whys: { question: string; answer: string }[];
}
export type SectionKey = keyof Draft;
export const FACTOR_KEYS = ['technical', 'process', 'human', 'organisational'] as const;
export type FactorKey = (typeof FACTOR_KEYS)[number];
export const LESSON_KEYS = ['went_well', 'could_improve', 'surprises'] as const;
export type LessonKey = (typeof LESSON_KEYS)[number];

export const SECTION_NAMES: Record<SectionKey, string> = {
  summary: 'Summary',
  root_cause: 'Root cause',
  resolution: 'Resolution',
  prevention: 'Prevention',
  factors: 'Contributing factors',
  lessons: 'Lessons',
  five_whys: 'Five whys',
};
export const FACTOR_NAMES: Record<FactorKey, string> = { technical: 'Technical', process: 'Process', human: 'Human', organisational: 'Organisational' };
export const LESSON_NAMES: Record<LessonKey, string> = { went_well: 'What went well', could_improve: 'What could improve', surprises: 'Surprises' };
/** The plan's five whys: the form always offers five, whatever was saved. */
const WHYS = 5;

const lines = (list: string[]) => list.join('\n');
const items = (text: string) =>
  text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);

export function draftOf(c: PostmortemContent): Draft {
  const whys = c.five_whys.map((w) => ({ question: w.question, answer: w.answer }));
  while (whys.length < WHYS) whys.push({ question: '', answer: '' });
  return {
    summary: c.summary,
    root_cause: c.root_cause,
    resolution: c.resolution,
    prevention: lines(c.prevention),
    factors: Object.fromEntries(FACTOR_KEYS.map((k) => [k, lines(c.factors[k])])) as Draft['factors'],
    lessons: Object.fromEntries(LESSON_KEYS.map((k) => [k, lines(c.lessons[k])])) as Draft['lessons'],
    five_whys: whys,
  };
}

/** Each section as the API takes it. */
function sectionValue(d: Draft, key: SectionKey): unknown {
  switch (key) {
    case 'prevention':
      return items(d.prevention);
    case 'factors':
      return Object.fromEntries(FACTOR_KEYS.map((k) => [k, items(d.factors[k])]));
    case 'lessons':
      return Object.fromEntries(LESSON_KEYS.map((k) => [k, items(d.lessons[k])]));
    case 'five_whys': {
      // Trailing empty pairs are the form's spare rows, not content.
      const whys = d.five_whys.map((w) => ({ question: w.question.trim(), answer: w.answer.trim() }));
      while (whys.length && !whys.at(-1)!.question && !whys.at(-1)!.answer) whys.pop();
      return whys;
    }
    default:
      return d[key].trim();
  }
}

export const SECTIONS = Object.keys(SECTION_NAMES) as SectionKey[];

/** The sections that differ between two drafts, as the API reads them (spacing and empty lines aside). */
export function changedSections(d: Draft, base: Draft): SectionKey[] {
  return SECTIONS.filter((k) => JSON.stringify(sectionValue(d, k)) !== JSON.stringify(sectionValue(base, k)));
}

/** The PATCH body for the changed sections. */
export function patchOf(d: Draft, keys: SectionKey[]): Partial<UpdatePostmortemInput> {
  return Object.fromEntries(keys.map((k) => [k, sectionValue(d, k)])) as Partial<UpdatePostmortemInput>;
}

/** A section as plain text, for showing someone's unsaved version of it. */
export function sectionText(d: Draft, key: SectionKey): string {
  switch (key) {
    case 'factors':
      return FACTOR_KEYS.map((k) => `${FACTOR_NAMES[k]}:\n${d.factors[k]}`).join('\n\n');
    case 'lessons':
      return LESSON_KEYS.map((k) => `${LESSON_NAMES[k]}:\n${d.lessons[k]}`).join('\n\n');
    case 'five_whys':
      return d.five_whys
        .filter((w) => w.question || w.answer)
        .map((w, i) => `${i + 1}. ${w.question}\n   ${w.answer}`)
        .join('\n');
    default:
      return d[key];
  }
}
