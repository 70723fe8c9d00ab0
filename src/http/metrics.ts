import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../db/create-db.ts';
import { countIncidentsByStateAndSeverity } from '../modules/incidents/index.ts';
import { INCIDENT_STATES } from '../modules/incidents/state-machine.ts';
import { SEVERITIES } from '../config/defaults.ts';

/** One registry per app (no global state): process metrics, HTTP latency, incident gauges. */
export function createMetrics(db: Database) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const httpDuration = new Histogram({
    name: 'firebreak_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'firebreak_incidents',
    help: 'Incidents by state and severity',
    labelNames: ['state', 'severity'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      // Zeros for every combination so dashboards and alert rules see series that exist.
      for (const state of INCIDENT_STATES) for (const severity of SEVERITIES) this.set({ state, severity }, 0);
      for (const r of await countIncidentsByStateAndSeverity({ db })) this.set({ state: r.state, severity: r.severity }, r.n);
    },
  });
  // Signals by where they stand; each count uses its partial index (signals_pending, signals_failed).
  const signalGauge = (name: string, help: string, column: 'processed_at' | 'error', op: 'is' | 'is not') =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const { n } = await db.kysely.selectFrom('signals').select((eb) => eb.fn.countAll().as('n')).where(column, op, null).executeTakeFirstOrThrow();
        this.set(Number(n));
      },
    });
  signalGauge('firebreak_signals_pending', 'Accepted signals not yet applied (the signal processor backlog); stays near 0 unless a storm is queueing work', 'processed_at', 'is');
  signalGauge('firebreak_signals_failed', 'Accepted signals set aside because their work failed after every retry (GET /api/v1/signals/failed); alert on any', 'error', 'is not');
  return { registry, httpDuration };
}
