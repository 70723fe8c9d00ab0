import type { ValidationCheck } from '../api/types.ts';

export const CHECK_NAMES: Record<string, string> = { health_checks: 'Health checks', performance: 'Performance', alerts: 'Open alerts', user_reports: 'User reports' };
const OUTCOME_WORDS: Record<string, string> = { passed: 'Passed', failed: 'Failed', skipped: 'Skipped' };
const OUTCOME_TONES: Record<string, string> = { passed: 'ok', failed: 'bad', skipped: 'muted' };

/** The timeline keeps checks as plain JSON: take what has the expected shape, drop the rest. */
export function readChecks(raw: unknown): ValidationCheck[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((c): c is ValidationCheck => !!c && typeof c === 'object' && typeof (c as ValidationCheck).name === 'string' && typeof (c as ValidationCheck).outcome === 'string').map((c) => ({ ...c, items: Array.isArray(c.items) ? c.items : [] }));
}

/** Each resolution check with its outcome in words, its summary, and what did not pass. */
export function ValidationChecks({ checks, label }: { checks: ValidationCheck[]; label: string }) {
  return (
    <ul className="plain val-checks" aria-label={label}>
      {checks.map((c) => {
        const bad = c.items.filter((i) => !i.ok);
        return (
          <li key={c.name} data-check={c.name} data-outcome={c.outcome}>
            <span className={`badge val-outcome tone-${OUTCOME_TONES[c.outcome] ?? 'muted'}`}>{OUTCOME_WORDS[c.outcome] ?? c.outcome}</span> <strong>{CHECK_NAMES[c.name] ?? c.name}</strong>: {c.summary}
            {bad.length > 0 && (
              <ul className="val-items small-text">
                {bad.slice(0, 10).map((i) => (
                  <li key={i.id}>
                    {i.id}: {i.detail}
                  </li>
                ))}
                {bad.length > 10 && <li>and {bad.length - 10} more</li>}
              </ul>
            )}
          </li>
        );
      })}
    </ul>
  );
}
