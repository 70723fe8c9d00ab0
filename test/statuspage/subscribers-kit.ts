/**
 * Shared by the subscriber tests: a real SMTP server and a real HTTP receiver on loopback, a test
 * app with the status page's subscribers pointed at them, a dispatcher driven by hand, and public
 * incidents written as the status page's verbs write them (rows, then the fan-out, in one transaction).
 */
import http from 'node:http';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { DialectName } from '../../src/db/dialect.ts';
import { withTransaction } from '../../src/db/transaction.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { NotificationDispatcher } from '../../src/modules/notifications/index.ts';
import { closeEmailTransports } from '../../src/modules/notifications/providers/index.ts';
import { notifyComponentSubscribers, notifyIncidentSubscribers, type ComponentChange } from '../../src/modules/statuspage/index.ts';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from '../helpers/env.ts';
import { closeHttp, listen } from '../notifications/helpers.ts';

export interface Mail {
  to: string[];
  raw: string;
  parsed: ParsedMail;
  /** Raw header value by lower-case name (unfolded). */
  header(name: string): string | undefined;
}

export interface Hit {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface SubscriberFixture {
  env: TestEnv;
  t: TestApp;
  dispatcher: NotificationDispatcher;
  mails: Mail[];
  hits: Hit[];
  /** http://127.0.0.1:<port> of the receiver: /ok/<name>, /fail/<status>/<name>, /flaky/<n>/<name>, /redirect/<name>. */
  hooks: string;
  /** Sends what is due until nothing is (a few passes: the dispatcher looks again after each flush). */
  drain(): Promise<void>;
  /** Waits until `n` mails have arrived (SMTP is asynchronous to the sender's answer only briefly). */
  waitForMails(n: number): Promise<Mail[]>;
  setSubscribers(patch: Partial<TestEnv['config']['current']['status_page']['subscribers']>): void;
  /** Between cases: everyone unsubscribed, nothing queued or open, nothing received, the clock 10 minutes on. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function subscriberFixture(dialect: DialectName, file: string): Promise<SubscriberFixture> {
  const mails: Mail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        void simpleParser(raw).then((parsed) => {
          const text = raw.toString('utf8');
          const head = text.slice(0, text.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
          mails.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: text,
            parsed,
            header: (name) => new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1],
          });
          callback();
        });
      });
    },
  });
  smtp.on('error', () => {});
  const smtpPort = await listen(smtp.server);

  const hits: Hit[] = [];
  const flaky = new Map<string, number>();
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      hits.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const [, route, arg] = path.split('/');
      if (route === 'ok') return res.writeHead(200).end('ok');
      if (route === 'fail') return res.writeHead(Number(arg)).end('failure');
      if (route === 'redirect') return res.writeHead(302, { location: '/ok/redirected' }).end();
      if (route === 'flaky') {
        const seen = (flaky.get(path) ?? 0) + 1;
        flaky.set(path, seen);
        return res.writeHead(seen <= Number(arg) ? 500 : 200).end(seen <= Number(arg) ? 'not yet' : 'ok');
      }
      res.writeHead(404).end('not found');
    });
  });
  const hooks = `http://127.0.0.1:${await listen(receiver)}`;

  const env = await createTestEnv(dialect, file);
  const cfg = env.config.current;
  env.config.current = {
    ...cfg,
    notifications: { ...cfg.notifications, smtp: { host: '127.0.0.1', port: smtpPort, secure: false, from: 'status@example.com', tls_verify: false }, retry: { initial: 1000, max: 8000 }, give_up_after: 20_000, attempt_timeout: 2000 },
    status_page: { ...cfg.status_page, subscribers: { ...cfg.status_page.subscribers, allow_private_targets: true } },
  };
  // No background refresh: tests decide when components change and when mail goes out.
  const t = await createTestApp(env, { monitors: false, statusPageRefreshMs: 3_600_000 });
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const dispatcher = new NotificationDispatcher({ db: env.db, config: env.config, clock: env.clock, logger, nodeId: 'test-node' });

  const fixture: SubscriberFixture = {
    env,
    t,
    dispatcher,
    mails,
    hits,
    hooks,
    drain: async () => {
      for (let i = 0; i < 5; i++) if (!(await dispatcher.runOnce())) return;
    },
    waitForMails: async (n) => {
      for (let i = 0; i < 100 && mails.length < n; i++) await new Promise((r) => setTimeout(r, 20));
      return mails;
    },
    setSubscribers: (patch) => {
      const c = env.config.current;
      env.config.current = { ...c, status_page: { ...c.status_page, subscribers: { ...c.status_page.subscribers, ...patch } } };
    },
    reset: async () => {
      const now = env.clock.now();
      await env.db.kysely.updateTable('status_subscribers').set({ unsubscribed_at: now }).where('unsubscribed_at', 'is', null).execute();
      await env.db.kysely.updateTable('notifications').set({ status: 'cancelled', next_attempt_at: null }).where('status', '=', 'pending').execute();
      // Each case starts from a calm page: earlier incidents resolved, components operational.
      await env.db.kysely.updateTable('status_incidents').set({ status: 'resolved', resolved_at: now }).where('kind', '=', 'incident').where('resolved_at', 'is', null).execute();
      await env.db.kysely.updateTable('status_components').set({ status: 'operational' }).execute();
      mails.length = 0;
      hits.length = 0;
      fixture.setSubscribers({ allow_private_targets: true, email: true, webhook: true });
      env.clock.advance(10 * 60_000);
    },
    close: async () => {
      await t.app.close();
      closeEmailTransports();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await closeHttp(receiver);
      await env.close();
    },
  };
  return fixture;
}

/** POSTs a urlencoded form (a browser's subscribe form) from `ip`. */
export function postForm(t: TestApp, url: string, fields: [string, string][] | string, ip = '203.0.113.10', headers: Record<string, string> = {}) {
  const payload = typeof fields === 'string' ? fields : new URLSearchParams(fields).toString();
  return t.app.inject({ method: 'POST', url, payload, remoteAddress: ip, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,*/*', ...headers } });
}

/** The path (and query) of a link on the status page, for inject. */
export const pathOf = (link: string) => {
  const u = new URL(link);
  return `${u.pathname}${u.search}`;
};

/** The first link in a text that starts with `prefix`. */
export function linkIn(text: string, prefix: string): string {
  const found = text.split(/\s+/).find((w) => w.startsWith(prefix));
  if (!found) throw new Error(`no link starting with ${prefix} in:\n${text}`);
  return found;
}

export interface PostedIncident {
  id: string;
  name: string;
  status: string;
  impact: string;
  /** Affected component → the status the incident declares. */
  components: Record<string, string>;
  body: string;
  kind?: 'incident' | 'maintenance';
  scheduled?: { for: number; until: number };
}

let updates = 0;

/**
 * Creates (event `created`) or updates a public incident with one new update, and fans it out to
 * subscribers, in one transaction, as the status page's verbs do. Returns the update's id.
 */
export async function postIncident(env: TestEnv, inc: PostedIncident, event: 'created' | 'updated' | 'reminder' = 'created'): Promise<string> {
  const now = env.clock.now();
  const updateId = `upd${String(++updates).padStart(9, '0')}`;
  await withTransaction(env.ctx(), async (tx) => {
    const k = tx.trx;
    if (event === 'created') {
      await k
        .insertInto('status_incidents')
        .values({
          id: inc.id,
          kind: inc.kind ?? 'incident',
          incident_id: null,
          name: inc.name,
          status: inc.status,
          impact: inc.impact,
          impact_override: null,
          components: JSON.stringify(inc.components),
          created_at: now,
          updated_at: now,
          started_at: now,
          monitoring_at: null,
          resolved_at: inc.status === 'resolved' ? now : null,
          scheduled_for: inc.scheduled?.for ?? null,
          scheduled_until: inc.scheduled?.until ?? null,
          time_zone: null,
          auto_transition: 1,
          reminded_at: null,
          maintenance_window_id: null,
          postmortem_body: null,
          postmortem_published_at: null,
          source: 'manual',
          created_by: 'test',
        })
        .execute();
    } else if (event === 'updated') {
      await k.updateTable('status_incidents').set({ status: inc.status, name: inc.name, updated_at: now, resolved_at: inc.status === 'resolved' ? now : null }).where('id', '=', inc.id).execute();
    }
    if (event !== 'reminder') {
      await k
        .insertInto('status_incident_updates')
        .values({ id: updateId, status_incident_id: inc.id, status: inc.status, body: inc.body, created_at: now, display_at: now, affected_components: null, deliver_notifications: 1, created_by: 'test' })
        .execute();
    }
    await notifyIncidentSubscribers(tx, inc.id, event);
  });
  return updateId;
}

/** Stores a component's new status and its change row, and tells webhook subscribers, in one transaction. */
export async function changeComponent(env: TestEnv, component: string, from: string, to: string): Promise<ComponentChange> {
  const now = env.clock.now();
  return withTransaction(env.ctx(), async (tx) => {
    const k = tx.trx;
    const exists = await k.selectFrom('status_components').select('id').where('id', '=', component).executeTakeFirst();
    if (exists) await k.updateTable('status_components').set({ status: to, updated_at: now }).where('id', '=', component).execute();
    else await k.insertInto('status_components').values({ id: component, status: to, override_status: null, override_by: null, override_at: null, override_reason: null, created_at: now - 86_400_000, updated_at: now }).execute();
    const { id } = await k.insertInto('status_component_changes').values({ component_id: component, at: now, from_status: from, to_status: to }).returning('id').executeTakeFirstOrThrow();
    const change = { id: Number(id), component, from, to, at: now } as ComponentChange;
    await notifyComponentSubscribers(tx, [change]);
    return change;
  });
}

/** The outbox rows for one subscriber, oldest first. */
export const rowsFor = (env: TestEnv, subscriberId: string) =>
  env.db.kysely.selectFrom('notifications').selectAll().where('destination', '=', `subscriber:${subscriberId}`).orderBy('created_at').orderBy('id').execute();

export const subscriberByAddress = (env: TestEnv, address: string) => env.db.kysely.selectFrom('status_subscribers').selectAll().where('address', '=', address).executeTakeFirst();
