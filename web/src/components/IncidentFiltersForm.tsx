import { useState } from 'react';
import type { IncidentState, Severity } from '../api/types.ts';
import { SEVERITY_LEVELS, SEVERITY_NAMES, useServices } from '../lib/config-data.ts';
import { filtersUrl, hasFilters, PERIODS, STATES, type IncidentFilters } from '../lib/incident-filters.ts';
import { navigate } from '../lib/router.tsx';
import { STATE_LABELS } from './Badges.tsx';

/** Filters that apply as they change and live in the URL. */
export function IncidentFiltersForm({ filters }: { filters: IncidentFilters }) {
  const services = useServices();
  const set = (patch: Partial<IncidentFilters>) => navigate(filtersUrl({ ...filters, ...patch }));
  const toggleSeverity = (s: Severity, on: boolean) => set({ severity: on ? [...filters.severity, s] : filters.severity.filter((x) => x !== s) });

  // On a phone the filters fold away (unless some are set), so the incidents come first.
  const [open, setOpen] = useState(() => hasFilters(filters) || window.matchMedia('(min-width: 40rem)').matches);
  const active = [
    filters.state.map((s) => STATE_LABELS[s]).join(' or '),
    filters.severity.join(', '),
    filters.service,
    PERIODS.find((p) => p.value === filters.period && p.value)?.label ?? '',
  ].filter(Boolean);

  return (
    <details className="filters-box" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        Filters{active.length ? `: ${active.join(' · ')}` : ''}
      </summary>
      <form className="filters card" role="search" aria-label="Filter incidents" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="f-state">State</label>
          <select id="f-state" value={filters.state.length === 1 ? filters.state[0] : filters.state.length ? 'several' : ''} onChange={(e) => set({ state: e.target.value ? [e.target.value as IncidentState] : [] })}>
            <option value="">Any state</option>
            {filters.state.length > 1 && <option value="several">{filters.state.map((s) => STATE_LABELS[s]).join(', ')}</option>}
            {STATES.map((s) => (
              <option key={s} value={s}>
                {STATE_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="field">
          <legend>Severity</legend>
          <div className="checks">
            {SEVERITY_LEVELS.map((s) => (
              <label key={s} className="check">
                <input type="checkbox" checked={filters.severity.includes(s)} onChange={(e) => toggleSeverity(s, e.target.checked)} />
                {s} {SEVERITY_NAMES[s]}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="field">
          <label htmlFor="f-service">Service</label>
          <select id="f-service" value={filters.service} onChange={(e) => set({ service: e.target.value })}>
            <option value="">Any service</option>
            {/* A service in the URL that the list does not have yet still shows as chosen. */}
            {filters.service && !services.data?.some((s) => s.id === filters.service) && <option value={filters.service}>{filters.service}</option>}
            {services.data?.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name} ({s.id})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-period">Triggered</label>
          <select id="f-period" value={filters.period} onChange={(e) => set({ period: e.target.value })}>
            {PERIODS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </div>
        {filters.period === 'custom' && (
          <div className="field dates">
            <label>
              From <input type="date" value={filters.from} max={filters.to || undefined} onChange={(e) => set({ from: e.target.value })} />
            </label>
            <label>
              To <input type="date" value={filters.to} min={filters.from || undefined} onChange={(e) => set({ to: e.target.value })} />
            </label>
          </div>
        )}
        {hasFilters(filters) && (
          <button type="button" className="small clear" onClick={() => navigate('/incidents')}>
            Clear filters
          </button>
        )}
      </form>
    </details>
  );
}
