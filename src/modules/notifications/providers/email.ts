import { createHash } from 'node:crypto';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import type { SmtpConfig } from '../../../config/oncall-schema.ts';
import type { NotificationMessage, Provider, SendDestination, SendResult } from '../provider.ts';
import { bodyExcerpt } from './http-post.ts';
import { escapeHtml, footerText, messageBody, messageColour, messageLinks, oneLine, renderSummary, renderTitle, summaryFacts } from './render.ts';

/**
 * Email over SMTP (nodemailer). The Message-ID is derived from the idempotency key, so a retried
 * send of the same message is recognisable (and deduplicated by some servers and clients).
 * SMTP 4xx replies and connection problems are worth retrying; 5xx replies are final.
 */

type EmailDestination = Extract<SendDestination, { type: 'email' }>;

/** One transport per distinct SMTP settings; a reload with new settings gets a fresh one. */
const transports = new Map<string, Transporter>();
/** Old settings after several reloads are dropped, oldest first. */
const MAX_TRANSPORTS = 8;

function transportFor(smtp: SmtpConfig, timeoutMs: number): Transporter {
  const key = JSON.stringify([smtp.host, smtp.port, smtp.secure, smtp.user, smtp.password, smtp.tls_verify, timeoutMs]);
  let t = transports.get(key);
  if (!t) {
    t = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      tls: { rejectUnauthorized: smtp.tls_verify },
    });
    transports.set(key, t);
    for (const [oldKey, old] of transports) {
      if (transports.size <= MAX_TRANSPORTS) break;
      old.close();
      transports.delete(oldKey);
    }
  }
  return t;
}

/** Closes every cached SMTP transport (at shutdown, and between tests). */
export function closeEmailTransports(): void {
  for (const t of transports.values()) t.close();
  transports.clear();
}

/** `<sha256-hex(key)@firebreak>`: the same message always gets the same Message-ID. */
export function emailMessageId(idempotencyKey: string): string {
  return `<${createHash('sha256').update(idempotencyKey).digest('hex')}@firebreak>`;
}

/** The HTML part: every piece of incident text escaped, links as buttons. */
export function emailHtml(m: NotificationMessage): string {
  const colour = messageColour(m);
  const rows = summaryFacts(m)
    .map((f) => `<tr><th align="left" valign="top" style="padding:2px 12px 2px 0;color:#555">${escapeHtml(f.label)}</th><td style="padding:2px 0">${escapeHtml(f.value)}</td></tr>`)
    .join('\n');
  const body = messageBody(m);
  const buttons = messageLinks(m)
    .map((l) => {
      const bg = l.label === 'Acknowledge' ? colour : l.label === 'Resolve' ? '#2e7d32' : '#424242';
      return `<a href="${escapeHtml(l.url)}" style="display:inline-block;margin:0 8px 8px 0;padding:8px 16px;background:${bg};color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold">${escapeHtml(l.label)}</a>`;
    })
    .join('\n');
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"></head>',
    '<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#212121">',
    `<div style="border-left:6px solid ${colour};padding:8px 16px">`,
    `<h2 style="margin:0 0 12px 0;font-size:18px">${escapeHtml(renderTitle(m))}</h2>`,
    `<table cellpadding="0" cellspacing="0" style="border-collapse:collapse;margin-bottom:12px">\n${rows}\n</table>`,
    body ? `<p style="white-space:pre-wrap;margin:0 0 12px 0">${escapeHtml(body)}</p>` : '',
    `<p style="margin:0 0 4px 0">${buttons}</p>`,
    `<p style="color:#757575;font-size:12px;margin:8px 0 0 0">${escapeHtml(footerText(m))} · <a href="${escapeHtml(m.incident.url)}" style="color:#757575">${escapeHtml(m.incident.url)}</a></p>`,
    '</div>',
    '</body></html>',
  ]
    .filter(Boolean)
    .join('\n');
}

/** The plain-text part. */
export function emailText(m: NotificationMessage): string {
  return `${renderTitle(m)}\n\n${renderSummary(m)}\n\n--\n${footerText(m)}\n`;
}

/** A bare sender address gets `Firebreak (<organisation>)` (or `name`) as its display name; "Name <addr>" is kept. */
export function sender(from: string, organisation: string, name = `Firebreak (${organisation})`): string | { name: string; address: string } {
  return from.includes('<') ? from : { name: oneLine(name, 100).replace(/["\\]/g, ''), address: from.trim() };
}

const CONNECTION_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'SMTP connection refused',
  ECONNRESET: 'SMTP connection reset',
  ETIMEDOUT: 'SMTP connection timed out',
  EDNS: 'SMTP host not found (DNS)',
  ENOTFOUND: 'SMTP host not found (DNS)',
  ETLS: 'SMTP TLS error',
  EPROTOCOL: 'SMTP protocol error',
  ECONNECTION: 'SMTP connection failed',
  ESOCKET: 'SMTP connection failed',
};

/** Maps a nodemailer error to a SendResult: 4xx retryable, 5xx final, connection errors retryable. */
export function classifySmtpError(e: unknown, secrets: string[] = []): Extract<SendResult, { ok: false }> {
  const err = (e ?? {}) as { code?: unknown; responseCode?: unknown; response?: unknown; message?: unknown };
  const status = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const reply = typeof err.response === 'string' ? bodyExcerpt(err.response, secrets) : '';
  if (status !== undefined && status >= 400 && status <= 599) {
    return { ok: false, retryable: status < 500, status, error: reply ? `SMTP ${reply.startsWith(String(status)) ? reply : `${status} ${reply}`}` : `SMTP ${status}` };
  }
  const code = typeof err.code === 'string' ? err.code : '';
  const message = typeof err.message === 'string' ? err.message : '';
  // ESOCKET wraps the socket error; its message names it ("connect ECONNREFUSED …").
  const inner = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH)\b/.exec(message)?.[1];
  if (code === 'EAUTH') return { ok: false, retryable: false, error: 'SMTP authentication failed' };
  if (code === 'EENVELOPE' || code === 'EMESSAGE') return { ok: false, retryable: false, error: `SMTP rejected the message (${code})` };
  // Certificate problems arrive as ESOCKET with OpenSSL's words; keep them when they name no host.
  if (/certificate|self[- ]signed|\bssl\b|\btls\b|handshake/i.test(message)) {
    return { ok: false, retryable: true, error: /^[a-z ,'-]{1,100}$/i.test(message) ? `SMTP TLS error: ${message}` : 'SMTP TLS error' };
  }
  if (inner && CONNECTION_ERRORS[inner]) return { ok: false, retryable: true, error: CONNECTION_ERRORS[inner] };
  if (inner) return { ok: false, retryable: true, error: `SMTP connection failed (${inner})` };
  if (code === 'ETIMEDOUT' || /timeout/i.test(message)) return { ok: false, retryable: true, error: 'SMTP connection timed out' };
  if (CONNECTION_ERRORS[code]) return { ok: false, retryable: true, error: CONNECTION_ERRORS[code] };
  return { ok: false, retryable: true, error: /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? `SMTP error (${code})` : 'SMTP error' };
}

/**
 * One SMTP submission of a finished message, bounded as a whole by `timeoutMs`, never fetching
 * files or URLs it names; failures classified (see classifySmtpError). Never throws.
 */
export async function submitMail(smtp: SmtpConfig, timeoutMs: number, mail: SendMailOptions): Promise<SendResult> {
  const secrets = [smtp.password, smtp.user].filter((s): s is string => Boolean(s));
  const recipients = Array.isArray(mail.to) ? mail.to.length : 1;
  let timer: NodeJS.Timeout | undefined;
  try {
    // Message text never names files or URLs to embed, but make sure nothing is ever fetched.
    const sending = transportFor(smtp, timeoutMs).sendMail({ ...mail, disableFileAccess: true, disableUrlAccess: true });
    // nodemailer's timeouts are per phase; this bounds the whole attempt.
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    sending.catch(() => {}); // a late failure after the deadline is not an unhandled rejection
    const info = await Promise.race([sending, deadline]);
    if (info === 'timeout') return { ok: false, retryable: true, error: `timed out after ${timeoutMs} ms` };
    const rejected = Array.isArray(info.rejected) ? info.rejected.length : 0;
    return { ok: true, detail: `accepted by SMTP for ${recipients - rejected} of ${recipients} recipients` };
  } catch (e) {
    return classifySmtpError(e, secrets);
  } finally {
    clearTimeout(timer);
  }
}

/** Email provider: one SMTP submission to all of `destination.to`. */
export const emailProvider: Provider<EmailDestination> = {
  type: 'email',
  async send(destination, message, opts) {
    const smtp = opts.smtp;
    if (!smtp) return { ok: false, retryable: false, error: 'no SMTP server configured (notifications.smtp)' };
    if (destination.to.length === 0) return { ok: false, retryable: false, error: 'no email recipients' };
    const important = (message.kind === 'page' || message.kind === 'stakeholder') && (message.incident.severity === 'P0' || message.incident.severity === 'P1');
    return submitMail(smtp, opts.timeoutMs, {
      from: sender(smtp.from, message.organisation),
      to: destination.to,
      subject: renderTitle(message, 200),
      text: emailText(message),
      html: emailHtml(message),
      messageId: emailMessageId(message.idempotencyKey),
      date: new Date(opts.now()),
      priority: important ? 'high' : 'normal',
      headers: {
        'X-Firebreak-Incident': message.incident.ref,
        'X-Firebreak-Event': message.kind,
        // RFC 3834: keeps out-of-office robots from answering a page.
        'Auto-Submitted': 'auto-generated',
      },
    });
  },
};
