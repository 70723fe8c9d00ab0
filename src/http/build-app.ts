import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ConfigStore } from '../config/store.ts';
import type { Database } from '../db/create-db.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { redactKeyInUrl, type Logger } from '../lib/logger.ts';
import { createLoginLimiters } from '../modules/auth/index.ts';
import { requireRole, systemActor, type Ctx } from '../modules/context.ts';
import { MonitorRunner, probeMetricsText } from '../modules/monitors/index.ts';
import { monitorRoutes } from './routes/monitors.ts';
import { pingRoutes } from './routes/ping.ts';
import { IntegrationRateLimits, SignalProcessor } from '../modules/signals/index.ts';
import { ANONYMOUS, authenticateRequest } from './authenticate.ts';
import { errorHandler } from './error-handler.ts';
import { createMetrics } from './metrics.ts';
import { buildOpenApi } from './openapi.ts';
import type { RouteDef } from './route.ts';
import { assertStorableText } from './storable-text.ts';
import { alertmanagerRoutes } from './routes/alertmanager.ts';
import { grafanaRoutes } from './routes/grafana.ts';
import { webhookRoutes } from './routes/webhook.ts';
import { createIntake } from './intake.ts';
import { silenceRoutes } from './routes/silences.ts';
import { maintenanceRoutes } from './routes/maintenance.ts';
import { explainRoutes } from './routes/explain.ts';
import { signalRoutes } from './routes/signals.ts';
import { alertRoutes } from './routes/alerts.ts';
import { authRoutes } from './routes/auth.ts';
import { eventsApiRoutes } from './routes/events-api.ts';
import { healthRoutes } from './routes/health.ts';
import { incidentRoutes } from './routes/incidents.ts';
import { reportRoutes } from './routes/reports.ts';
import { serviceRoutes } from './routes/services.ts';
import { userRoutes } from './routes/users.ts';
import { scheduleRoutes } from './routes/schedules.ts';
import { oncallMetricsText } from '../modules/oncall/index.ts';
import { backupMetricsText, type BackupEnv } from '../modules/backups/index.ts';
import { rpoMetricsText } from '../modules/recovery/index.ts';
import { recoveryRoutes } from './routes/recovery.ts';
import { escalationRoutes } from './routes/escalation.ts';
import { actionLinkRoutes } from './routes/action-links.ts';
import { StatusPageService } from '../modules/statuspage/index.ts';
import { statusPageRoutes } from './routes/status-page.ts';
import { statusFastPath, statusHostPath } from './status-fast-path.ts';
import { createServer } from 'node:http';
import { Counter } from 'prom-client';
import { statusPageAdminRoutes } from './routes/status-page-admin.ts';
import { postmortemRoutes } from './routes/postmortems.ts';
import { statusSubscriptionRoutes } from './routes/status-subscriptions.ts';
import { liveRoutes } from './routes/live.ts';
import { LiveStream } from './live-stream.ts';
import { registerConsole } from './console.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { runbookRoutes } from './routes/runbooks.ts';
import { drillRoutes } from './routes/drills.ts';
import { backupRoutes } from './routes/backups.ts';

export interface AppDeps {
  db: Database;
  config: ConfigStore;
  clock: Clock;
  logger: Logger;
  version: string;
  /** See Settings.trustProxy. */
  trustProxy?: boolean | number | string;
  /**
   * How long a receiver waits for its signal to be applied before answering (it is durable
   * either way); overrides the config's `ingest.wait_for_processing`. Tests wait for every signal.
   */
  ingestWaitMs?: number;
  /** Run this node's monitors (default true); tests of other parts may leave them off. */
  monitors?: boolean;
  /** How often this node looks for changes to the status page (default 1 s). */
  statusPageRefreshMs?: number;
  /** Where the backup targets and the key are, for the backups API (without it: the database's records only). */
  backups?: Pick<BackupEnv, 'dataDir' | 'env'>;
}

/** What a session that must change its password may still do. */
const PASSWORD_CHANGE_ROUTES = new Set(['GET /api/v1/me', 'POST /api/v1/me/password', 'POST /api/v1/auth/logout']);

/** Largest JSON body the API accepts; incident descriptions are the biggest legitimate input. */
export const BODY_LIMIT = 256 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds the HTTP app with every route; never listens, so tests can `inject`. */
export async function buildApp(deps: AppDeps): Promise<{ app: FastifyInstance; routes: RouteDef[]; statusPage: StatusPageService }> {
  const statusPage = new StatusPageService({ db: deps.db, config: deps.config, clock: deps.clock, requestId: 'status-page', actor: systemActor('status-page') }, deps.logger, { refreshMs: deps.statusPageRefreshMs });
  let servedFromMemory: Counter<'document'> | null = null;
  const fastPath = statusFastPath(() => statusPage, (key) => servedFromMemory?.inc({ document: key }));
  const app = Fastify({
    // The status page's cached documents are answered before Fastify (see status-fast-path.ts).
    serverFactory: (handler) => createServer((req, res) => {
      if (!fastPath(req, res)) handler(req, res);
    }),
    // Fastify accepts a hop count at run time although its types only list boolean and string.
    trustProxy: (deps.trustProxy ?? false) as boolean | string,
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // The status page's own host name serves the page at its root: /, /incidents/…, /history.rss.
    rewriteUrl: (req) => statusHostPath(deps.config.current.status_page, req.headers.host, req.url ?? '/'),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // A malformed %-escape in the path fails before routing; it still gets the documented error body.
    frameworkErrors: (err, req, reply) => errorHandler(err, req, reply),
  });
  await app.register(cookie);
  // Bodies are JSON only: a text/plain body (what a cross-site HTML form can send) is 415, not parsed.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  // The web console answers its own paths (a reload of /incidents/INC-4); everything else unknown is a 404.
  const consolePage = registerConsole(app);
  app.setNotFoundHandler((req, reply) => {
    if (consolePage(req, reply)) return;
    return errorHandler(new DomainError('NOT_FOUND', `no route ${req.method} ${redactKeyInUrl(req.url).split('?')[0]}`), req, reply);
  });

  const metrics = createMetrics(deps.db);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpDuration.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  // One set of per-integration limits and one signal processor for every alert receiver of this app (node).
  const signals = new SignalProcessor(deps);
  signals.start();
  app.addHook('onClose', () => signals.stop());
  // This node's share of the monitors: checks, heartbeat deadlines, roll-ups.
  const runner = deps.monitors === false ? null : new MonitorRunner(deps);
  if (runner) {
    await runner.start();
    app.addHook('onClose', () => runner.stop());
  }
  const intake = createIntake(new IntegrationRateLimits(), signals, () => deps.ingestWaitMs ?? deps.config.current.ingest.wait_for_processing);
  servedFromMemory = new Counter({
    name: 'firebreak_status_page_cached_responses_total',
    help: 'Status page documents answered from memory before routing, by document',
    labelNames: ['document'] as const,
    registers: [metrics.registry],
  });
  statusPage.start();
  app.addHook('onClose', () => statusPage.stop());
  const live = new LiveStream({ db: deps.db, config: deps.config, clock: deps.clock, requestId: 'live', actor: systemActor('live') }, deps.logger);
  // Streams never end by themselves: close them first, or shutdown would wait for every browser.
  app.addHook('preClose', (done) => {
    live.close();
    done();
  });
  const routes: RouteDef[] = [];
  routes.push(
    ...healthRoutes(deps, {
      metricsText: async () => ({
        contentType: metrics.registry.contentType,
        body: await (async () => {
          const ctx = { db: deps.db, config: deps.config, clock: deps.clock, requestId: 'metrics', actor: systemActor('metrics') };
          return (await metrics.registry.metrics()) + (await probeMetricsText(ctx, runner)) + (await oncallMetricsText(ctx)) + (await backupMetricsText(ctx)) + (await rpoMetricsText(ctx));
        })(),
      }),
      openapi: () => buildOpenApi(routes, deps.version),
    }),
    ...authRoutes(deps, createLoginLimiters()),
    ...userRoutes(),
    ...serviceRoutes(),
    ...recoveryRoutes(),
    ...incidentRoutes(runner),
    ...alertmanagerRoutes(intake),
    ...grafanaRoutes(intake),
    ...reportRoutes(),
    ...silenceRoutes(),
    ...maintenanceRoutes(),
    ...explainRoutes(),
    ...signalRoutes(),
    ...alertRoutes(),
    ...monitorRoutes(runner),
    ...scheduleRoutes(),
    ...escalationRoutes(),
    ...statusPageAdminRoutes(statusPage),
    ...analyticsRoutes(),
    ...postmortemRoutes(statusPage),
    ...runbookRoutes(),
    ...drillRoutes(),
    ...backupRoutes(deps.backups ?? null),
    ...liveRoutes(live),
  );
  for (const route of routes) register(app, deps, route);
  // The generic webhook also reads JSON sent as text/plain (what Amazon SNS sends). Safe from
  // cross-site forms: it acts only on the integration key, never on a cookie.
  const webhooks = webhookRoutes(intake);
  routes.push(...webhooks);
  await app.register(async (scope) => {
    scope.addContentTypeParser('text/plain', { parseAs: 'string' }, scope.getDefaultJsonParser('error', 'error'));
    for (const route of webhooks) register(scope, deps, route);
  });
  await app.register(eventsApiRoutes(deps, intake));
  // Heartbeat pings take any body (curl sends form-encoded, cron scripts plain text), kept as text.
  const pings = pingRoutes();
  routes.push(...pings);
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    for (const route of pings) register(scope, deps, route);
  });
  // One-click links: the confirmation page's form posts application/x-www-form-urlencoded.
  const links = actionLinkRoutes();
  routes.push(...links);
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));
    for (const route of links) register(scope, deps, route);
  });
  // The public status page reads its cache only: no session lookup, no per-request log line.
  await app.register(statusPageRoutes(statusPage));
  // Subscribing from the page's forms: urlencoded bodies from a public, rate-limited form.
  const subscriptions = statusSubscriptionRoutes(statusPage);
  routes.push(...subscriptions);
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8192 }, (_req, body, done) => done(null, parseForm(String(body))));
    for (const route of subscriptions) register(scope, deps, route);
  });
  return { app, routes, statusPage };
}

/** A urlencoded form as an object; a repeated field (a checkbox list) becomes an array. */
function parseForm(body: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const seen = out[k];
    out[k] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v];
  }
  return out;
}


function register(app: FastifyInstance, deps: AppDeps, route: RouteDef) {
  app.route({
    method: route.method,
    url: route.url,
    ...(route.bodyLimit !== undefined ? { bodyLimit: route.bodyLimit } : {}),
    handler: async (req, reply) => {
      const base = { db: deps.db, clock: deps.clock, config: deps.config, requestId: req.id };
      const actor = await authenticateRequest(req, base).catch((e: unknown) => {
        // A stale cookie or dead token must not lock anyone out of public routes (above all, login).
        if (route.access === 'public' && e instanceof DomainError && e.code === 'UNAUTHENTICATED') return ANONYMOUS;
        throw e;
      });
      const ctx: Ctx = { ...base, actor };
      if (route.access !== 'public') requireRole(ctx, route.access);
      // A one-time or reset password is for setting a new one, nothing else.
      if (actor.mustChangePassword && route.access !== 'public' && !PASSWORD_CHANGE_ROUTES.has(`${route.method} ${route.url}`)) {
        throw new DomainError('PASSWORD_CHANGE_REQUIRED', 'set a new password first (POST /api/v1/me/password)');
      }
      assertStorableText('params', req.params);
      assertStorableText('query', req.query);
      assertStorableText('body', req.body);
      const params = route.params ? route.params.parse(req.params) : req.params;
      const query = route.query ? route.query.parse(req.query) : req.query;
      const result = await route.handler({ ctx, params, query, body: req.body ?? {}, req, reply });
      if (reply.statusCode === 204) return reply.send();
      return result;
    },
  });
}
