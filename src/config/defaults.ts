/**
 * The severity policy of the incident response plan, used when firebreak.yaml does not override it.
 * Durations are written as in the config file so `firebreak config check` can print them back.
 */
export const DEFAULT_SEVERITIES = {
  P0: {
    name: 'Critical',
    definition: 'Complete loss of service or security incident',
    examples: ['Application completely inaccessible', 'Data breach or security compromise', 'Significant data loss or corruption'],
    response_target: '2m',
    ack_target: '2m',
    resolve_target: '15m',
    update_cadence: '15m',
    escalation: 'Immediate to CEO and CTO',
    notify: [{ group: 'executives', within: '0s' }],
    public: true,
    urgency: 'high',
    escalate: true,
  },
  P1: {
    name: 'High',
    definition: 'Degraded performance affecting key workflows',
    examples: ['Core functionality unavailable for >50% of users', 'Database performance severely degraded', 'Authentication system intermittent failures'],
    response_target: '5m',
    ack_target: '5m',
    resolve_target: '1h',
    update_cadence: '30m',
    escalation: 'Director of Engineering within 30 minutes',
    notify: [{ group: 'executives', within: '0s' }, { group: 'engineering-directors', within: '30m' }],
    public: true,
    urgency: 'high',
    escalate: true,
  },
  P2: {
    name: 'Medium',
    definition: 'Non-critical service impairment',
    examples: ['Single feature unavailable', 'Performance degradation <25% impact', 'Scheduled maintenance causing minor disruption'],
    response_target: '15m',
    ack_target: '15m',
    resolve_target: '4h',
    update_cadence: '2h',
    escalation: 'Team lead within 1 hour',
    notify: [{ group: 'team-leads', within: '1h' }],
    public: false,
    urgency: 'high',
    escalate: true,
  },
  P3: {
    name: 'Low',
    definition: 'Minor issues with workarounds available',
    examples: ['Cosmetic UI issues', 'Non-critical integrations failing', 'Documentation or help system issues'],
    response_target: '2h',
    ack_target: '2h',
    resolve_target: '24h',
    update_cadence: '24h',
    escalation: 'No immediate escalation required',
    notify: [],
    public: false,
    urgency: 'low',
    escalate: false,
  },
} as const;

export const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SERVICE_TIERS = ['p0', 'p1', 'p2', 'p3'] as const;
export type ServiceTier = (typeof SERVICE_TIERS)[number];
