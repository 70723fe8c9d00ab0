import { DomainError } from '../../lib/errors.ts';

export const INCIDENT_STATES = ['triggered', 'acknowledged', 'investigating', 'identified', 'monitoring', 'resolved', 'closed'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];
export const OPEN_STATES: readonly IncidentState[] = ['triggered', 'acknowledged', 'investigating', 'identified', 'monitoring'];

const ACTIVE: IncidentState[] = ['acknowledged', 'investigating', 'identified', 'monitoring'];

/**
 * Each lifecycle verb, the states it may start from and the state it leads to. Anything else is
 * INVALID_TRANSITION. Reopen is its own verb so a resolved incident never slides back by accident.
 */
export const LIFECYCLE_VERBS = {
  acknowledge: { from: ['triggered'], to: 'acknowledged' },
  investigate: { from: ['triggered', 'acknowledged', 'identified', 'monitoring'], to: 'investigating' },
  identify: { from: ['acknowledged', 'investigating', 'monitoring'], to: 'identified' },
  monitor: { from: ['acknowledged', 'investigating', 'identified'], to: 'monitoring' },
  resolve: { from: ['triggered', ...ACTIVE], to: 'resolved' },
  close: { from: ['resolved'], to: 'closed' },
  reopen: { from: ['resolved'], to: 'investigating' },
} as const satisfies Record<string, { from: readonly IncidentState[]; to: IncidentState }>;

export type LifecycleVerb = keyof typeof LIFECYCLE_VERBS;
export const LIFECYCLE_VERB_NAMES = Object.keys(LIFECYCLE_VERBS) as LifecycleVerb[];

/** The verbs allowed from a state, for error messages and the console's buttons. */
export function allowedVerbs(state: IncidentState): LifecycleVerb[] {
  return LIFECYCLE_VERB_NAMES.filter((v) => (LIFECYCLE_VERBS[v].from as readonly string[]).includes(state));
}

export function assertTransition(state: IncidentState, verb: LifecycleVerb): IncidentState {
  const rule = LIFECYCLE_VERBS[verb];
  if (!(rule.from as readonly string[]).includes(state)) {
    const allowed = allowedVerbs(state);
    throw new DomainError(
      'INVALID_TRANSITION',
      `cannot ${verb} an incident that is ${state}; allowed: ${allowed.length ? allowed.join(', ') : 'none (closed is final)'}`,
      { from: state, verb, to: rule.to, allowed },
    );
  }
  return rule.to;
}

export const isOpen = (state: string) => (OPEN_STATES as readonly string[]).includes(state);
