import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { SmtpConfig } from '../../src/config/oncall-schema.ts';
import { closeEmailTransports, sendVia } from '../../src/modules/notifications/providers/index.ts';
import { freePort } from '../helpers/processes.ts';
import { listen, message, options } from './helpers.ts';

interface Received {
  raw: Buffer;
  from: string | undefined;
  to: string[];
}

/** A real SMTP server on loopback; `reply` picks the answer to DATA (undefined: accept). */
async function smtpServer(reply?: { code: number; text: string }, extra: Partial<SMTPServerOptions> = {}): Promise<{ server: SMTPServer; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (reply) return callback(Object.assign(new Error(reply.text), { responseCode: reply.code }));
        const from = session.envelope.mailFrom;
        received.push({ raw: Buffer.concat(chunks), from: from ? from.address : undefined, to: session.envelope.rcptTo.map((r) => r.address) });
        callback();
      });
    },
    ...extra,
  });
  server.on('error', () => {});
  return { server, port: await listen(server.server), received };
}

const closeSmtp = (s: SMTPServer) => new Promise<void>((resolve) => s.close(() => resolve()));
const smtp = (port: number, over: Partial<SmtpConfig> = {}): SmtpConfig => ({ host: '127.0.0.1', port, secure: false, from: 'firebreak@example.com', tls_verify: false, ...over });
const TO = ['oncall@example.com', 'alice@example.com'];
const addresses = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => v.address));

describe('email provider', () => {
  const servers: SMTPServer[] = [];
  let ok: Awaited<ReturnType<typeof smtpServer>>;
  before(async () => {
    ok = await smtpServer();
    servers.push(ok.server);
  });
  after(async () => {
    closeEmailTransports();
    await Promise.all(servers.map(closeSmtp));
  });

  test('a page: subject, sender, recipients, text and html parts with the links, incident header, stable Message-ID', async () => {
    const m = message({ incident: { title: 'Database <script>alert(1)</script> down' } });
    const r = await sendVia({ id: 'mail', type: 'email', to: TO }, m, options({ smtp: smtp(ok.port) }));
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(ok.received.length, 1);
    const got = ok.received[0];
    assert.equal(got.from, 'firebreak@example.com');
    assert.deepEqual(got.to, TO);
    const mail = await simpleParser(got.raw);
    assert.equal(mail.subject, '[P0] INC-42 Database <script>alert(1)</script> down');
    assert.deepEqual(mail.from?.value, [{ address: 'firebreak@example.com', name: 'Firebreak (Example Corp)' }]);
    assert.deepEqual(addresses(mail.to), TO);
    assert.equal(mail.headers.get('x-firebreak-incident'), 'INC-42');
    assert.equal(mail.headers.get('x-firebreak-event'), 'page');
    assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(mail.messageId, `<${createHash('sha256').update(m.idempotencyKey).digest('hex')}@firebreak>`);
    const text = mail.text ?? '';
    assert.match(text, /Severity: P0 Critical: Complete loss of service/);
    assert.match(text, /Impact: customer-facing: yes, 35% of users, impacted services: api, database, web/);
    assert.match(text, /Detected: 2024-05-01 12:00:00 UTC/);
    assert.match(text, /Acknowledge: https:\/\/firebreak\.example\.com\/l\/ack-tok-111/);
    assert.match(text, /Resolve: https:\/\/firebreak\.example\.com\/l\/res-tok-222/);
    assert.match(text, /Incident: https:\/\/firebreak\.example\.com\/incidents\/INC-42/);
    const html = typeof mail.html === 'string' ? mail.html : '';
    assert.ok(html.includes('href="https://firebreak.example.com/l/ack-tok-111"'), 'acknowledge button');
    assert.ok(html.includes('href="https://firebreak.example.com/l/res-tok-222"'), 'resolve button');
    assert.ok(html.includes('href="https://firebreak.example.com/incidents/INC-42"'), 'incident link');
    assert.ok(!html.includes('<script>'), 'incident text is escaped in html');
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  });

  test('the same message sent twice carries the same Message-ID; a "Name <addr>" sender is kept', async () => {
    const m = message({ kind: 'resolved', links: undefined, idempotencyKey: 'inc_01HX:resolved:ops-mail' });
    const opts = options({ smtp: smtp(ok.port, { from: 'Ops Alerts <ops@example.com>' }) });
    const before = ok.received.length;
    assert.equal((await sendVia({ id: 'mail', type: 'email', to: ['ops@example.com'] }, m, opts)).ok, true);
    assert.equal((await sendVia({ id: 'mail', type: 'email', to: ['ops@example.com'] }, m, opts)).ok, true);
    const [a, b] = await Promise.all(ok.received.slice(before).map((x) => simpleParser(x.raw)));
    assert.equal(a.messageId, b.messageId);
    assert.equal(a.subject, 'Resolved: [P0] INC-42 Database down');
    assert.deepEqual(a.from?.value, [{ address: 'ops@example.com', name: 'Ops Alerts' }]);
    assert.ok(typeof a.html === 'string' && !a.html.includes('ack-tok-111'), 'no acknowledge link once resolved');
  });

  test('451 on DATA is retryable, 550 is not', async () => {
    const busy = await smtpServer({ code: 451, text: 'Try again later' });
    const refused = await smtpServer({ code: 550, text: 'Mailbox unavailable' });
    servers.push(busy.server, refused.server);
    const r451 = await sendVia({ id: 'mail', type: 'email', to: TO }, message(), options({ smtp: smtp(busy.port) }));
    assert.deepEqual(r451, { ok: false, retryable: true, status: 451, error: 'SMTP 451 Try again later' });
    const r550 = await sendVia({ id: 'mail', type: 'email', to: TO }, message(), options({ smtp: smtp(refused.port) }));
    assert.deepEqual(r550, { ok: false, retryable: false, status: 550, error: 'SMTP 550 Mailbox unavailable' });
  });

  test('an unreachable port, a server that never greets, and no SMTP settings', async () => {
    const port = await freePort();
    const r = await sendVia({ id: 'mail', type: 'email', to: TO }, message(), options({ smtp: smtp(port), timeoutMs: 1000 }));
    assert.deepEqual(r, { ok: false, retryable: true, error: 'SMTP connection refused' });

    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      socket.on('error', () => {});
      sockets.add(socket);
    });
    const silentPort = await listen(silent);
    try {
      const started = Date.now();
      const hung = await sendVia({ id: 'mail', type: 'email', to: TO }, message(), options({ smtp: smtp(silentPort), timeoutMs: 300 }));
      assert.equal(!hung.ok && hung.retryable, true, JSON.stringify(hung));
      assert.ok(Date.now() - started < 1500, 'bounded by the timeout');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }

    const none = await sendVia({ id: 'mail', type: 'email', to: TO }, message(), options());
    assert.deepEqual(none, { ok: false, retryable: false, error: 'no SMTP server configured (notifications.smtp)' });
  });

  test('STARTTLS with a bad certificate (the expired built-in one of smtp-server) works only when tls_verify is off; auth failures are final', async () => {
    const tls = await smtpServer(undefined, { disabledCommands: [] });
    const auth = await smtpServer(undefined, { authOptional: false, disabledCommands: ['STARTTLS'], allowInsecureAuth: true, onAuth: (_a, _s, cb) => cb(new Error('Invalid username or password')) });
    servers.push(tls.server, auth.server);
    const ok = await sendVia({ id: 'mail', type: 'email', to: TO }, message(), options({ smtp: smtp(tls.port, { tls_verify: false }) }));
    assert.equal(ok.ok, true, JSON.stringify(ok));
    const strict = await sendVia({ id: 'mail', type: 'email', to: TO }, message(), options({ smtp: smtp(tls.port, { tls_verify: true }) }));
    assert.deepEqual(strict, { ok: false, retryable: true, error: 'SMTP TLS error: certificate has expired' });
    const denied = await sendVia({ id: 'mail', type: 'email', to: TO }, message(), options({ smtp: smtp(auth.port, { user: 'firebreak', password: 'hunter2-very-secret' }) }));
    assert.deepEqual(denied, { ok: false, retryable: false, status: 535, error: 'SMTP 535 Invalid username or password' });
  });
});
