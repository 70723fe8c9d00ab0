import { navigate, useLocation } from '../lib/router.tsx';

export interface StatusChoice {
  value: string;
  label: string;
}

/**
 * The status / owner / overdue filters of a list page, kept in the URL so a filtered list can be
 * shared and survives a reload. `status` is one of `choices` (anything else reads as "any").
 */
export function useListFilters(path: string, choices: readonly StatusChoice[]) {
  const { query } = useLocation();
  const status = choices.find((c) => c.value === query.get('status'))?.value ?? '';
  const overdue = query.get('overdue') === 'true';
  const owner = query.get('owner') ?? '';
  const set = (name: 'status' | 'owner' | 'overdue', value: string) => {
    const q = new URLSearchParams(query);
    if (value) q.set(name, value);
    else q.delete(name);
    // Commas stay readable in a shared link (status=open,in_progress).
    const s = q.toString().replace(/%2C/gi, ',');
    navigate(s ? `${path}?${s}` : path, { replace: true });
  };
  return { status, overdue, owner, key: `${status}|${overdue}|${owner}`, set };
}

/** The filter form itself: status, owner handle (applied on Enter or leaving the field), overdue only. */
export function ListFilters({ idPrefix, label, choices, filters }: { idPrefix: string; label: string; choices: readonly StatusChoice[]; filters: ReturnType<typeof useListFilters> }) {
  const { status, owner, overdue, set } = filters;
  return (
    <form className="filters card" role="search" aria-label={label} onSubmit={(e) => e.preventDefault()}>
      <div className="field">
        <label htmlFor={`${idPrefix}-status`}>Status</label>
        <select id={`${idPrefix}-status`} value={status} onChange={(e) => set('status', e.target.value)}>
          <option value="">Any status</option>
          {choices.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-owner`}>Owner (handle)</label>
        <input
          id={`${idPrefix}-owner`}
          defaultValue={owner}
          key={owner}
          autoCapitalize="none"
          spellCheck={false}
          onBlur={(e) => set('owner', e.target.value.trim())}
          onKeyDown={(e) => e.key === 'Enter' && set('owner', e.currentTarget.value.trim())}
        />
      </div>
      <label className="check field">
        <input type="checkbox" checked={overdue} onChange={(e) => set('overdue', e.target.checked ? 'true' : '')} />
        Overdue only
      </label>
    </form>
  );
}
