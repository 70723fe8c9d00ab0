import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { PROVIDERS, sendVia } from '../../src/modules/notifications/providers/index.ts';
import { closeHttp, destination, listen, message, NOW, NTFY_TOKEN, options, receiver, ROUTING_KEY, SECRET_SEGMENT, WEBHOOK_SECRET } from './helpers.ts';

const json = (body: string) => JSON.parse(body) as Record<string, any>;

describe('HTTP notification providers', () => {
  const { server, requests } = receiver();
  let base = '';
  const url = (route: string) => `${base}/${route}/${SECRET_SEGMENT}`;
  const last = () => {
    const r = requests.at(-1);
    assert.ok(r, 'the receiver got a request');
    return r;
  };
  before(async () => {
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  after(() => closeHttp(server));

  test('the registry has every provider under its own type', () => {
    for (const [type, provider] of Object.entries(PROVIDERS)) assert.equal(provider.type, type);
    assert.deepEqual(Object.keys(PROVIDERS).sort(), ['discord', 'email', 'ntfy', 'pagerduty', 'slack', 'teams', 'webhook']);
  });

  test('slack: Block Kit with a text fallback, fields, context and URL buttons; mrkdwn mentions escaped', async () => {
    const m = message({ incident: { title: 'Database down <!channel> & co' } });
    const r = await sendVia(destination('slack', url('ok/200')), m, options());
    assert.deepEqual(r, { ok: true, status: 200 });
    const req = last();
    assert.equal(req.method, 'POST');
    assert.equal(req.path, `/ok/200/${SECRET_SEGMENT}`);
    assert.match(String(req.headers['content-type']), /^application\/json/);
    const body = json(req.body);
    assert.equal(body.text, '[P0] INC-42 Database down &lt;!channel&gt; &amp; co');
    assert.deepEqual(body.blocks.map((b: { type: string }) => b.type), ['header', 'section', 'context', 'actions']);
    assert.equal(body.blocks[0].text.type, 'plain_text');
    assert.equal(body.blocks[0].text.text, '[P0] INC-42 Database down <!channel> & co', 'plain text needs no escaping');
    const fields = body.blocks[1].fields.map((f: { text: string }) => f.text).join('\n');
    assert.match(fields, /\*Severity\*\nP0 Critical/);
    assert.match(fields, /35% of users/);
    assert.doesNotMatch(JSON.stringify(body.blocks[1]), /<!channel>/);
    const buttons = body.blocks[3].elements as { type: string; text: { text: string }; url: string }[];
    assert.deepEqual(buttons.map((b) => [b.type, b.text.text, b.url]), [
      ['button', 'Acknowledge', 'https://firebreak.example.com/l/ack-tok-111'],
      ['button', 'Resolve', 'https://firebreak.example.com/l/res-tok-222'],
      ['button', 'Open incident', 'https://firebreak.example.com/incidents/INC-42'],
    ]);
    const resolved = await sendVia(destination('slack', url('ok/200')), message({ kind: 'resolved', links: undefined }), options());
    assert.equal(resolved.ok, true);
    const rb = json(last().body);
    assert.match(rb.text, /^Resolved: \[P0\] INC-42/);
    assert.deepEqual(rb.blocks.at(-1).elements.map((b: { text: { text: string } }) => b.text.text), ['Open incident']);
  });

  test('teams: a message with one Adaptive Card 1.4, facts and OpenUrl actions; 202 is success', async () => {
    const r = await sendVia(destination('teams', url('ok/202')), message({ kind: 'update', body: 'Failover started.\nETA 10 minutes.' }), options());
    assert.deepEqual(r, { ok: true, status: 202 });
    const body = json(last().body);
    assert.equal(body.type, 'message');
    assert.equal(body.attachments.length, 1);
    const att = body.attachments[0];
    assert.equal(att.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(att.contentUrl, null);
    assert.equal(att.content.type, 'AdaptiveCard');
    assert.equal(att.content.version, '1.4');
    assert.equal(att.content.$schema, 'http://adaptivecards.io/schemas/adaptive-card.json');
    assert.equal(att.content.body[0].type, 'TextBlock');
    assert.equal(att.content.body[0].text, 'Update: [P0] INC-42 Database down');
    const facts = att.content.body.find((b: { type: string }) => b.type === 'FactSet').facts;
    assert.deepEqual(facts[0], { title: 'Severity', value: 'P0 Critical: Complete loss of service or security incident' });
    assert.ok(att.content.body.some((b: { text?: string }) => b.text === 'Failover started.\nETA 10 minutes.'));
    assert.deepEqual(att.content.actions.map((a: { type: string; title: string; url: string }) => [a.type, a.title, a.url]), [
      ['Action.OpenUrl', 'Acknowledge', 'https://firebreak.example.com/l/ack-tok-111'],
      ['Action.OpenUrl', 'Resolve', 'https://firebreak.example.com/l/res-tok-222'],
      ['Action.OpenUrl', 'Open incident', 'https://firebreak.example.com/incidents/INC-42'],
    ]);
  });

  test('discord: content plus one embed, mentions disabled; 204 is success', async () => {
    const r = await sendVia(destination('discord', url('ok/204')), message({ incident: { title: '@everyone database down', severity: 'P1' } }), options());
    assert.deepEqual(r, { ok: true, status: 204 });
    const body = json(last().body);
    assert.deepEqual(body.allowed_mentions, { parse: [] });
    assert.equal(body.content, '[P1] INC-42 @everyone database down');
    const [embed] = body.embeds;
    assert.equal(embed.title, '[P1] INC-42 @everyone database down');
    assert.equal(embed.url, 'https://firebreak.example.com/incidents/INC-42');
    assert.equal(embed.color, 0xf57c00);
    assert.equal(embed.timestamp, '2024-05-01T12:00:06.000Z');
    assert.match(embed.footer.text, /Example Corp/);
    assert.match(embed.description, /\[Acknowledge\]\(https:\/\/firebreak\.example\.com\/l\/ack-tok-111\)/);
    assert.ok(embed.fields.some((f: { name: string; value: string }) => f.name === 'Impact' && /customer-facing: yes/.test(f.value)));
    assert.equal((await sendVia(destination('discord', url('ok/200')), message(), options())).ok, true, '200 (?wait=true) is success too');
  });

  test('pagerduty: trigger/acknowledge/resolve by kind, severity mapping, other kinds not forwarded', async () => {
    const d = destination('pagerduty', url('ok/202'));
    const severities = { P0: 'critical', P1: 'error', P2: 'warning', P3: 'info' } as const;
    for (const [sev, pd] of Object.entries(severities)) {
      const r = await sendVia(d, message({ incident: { severity: sev as keyof typeof severities } }), options());
      assert.deepEqual(r, { ok: true, status: 202 });
      const ev = json(last().body);
      assert.equal(ev.payload.severity, pd, sev);
    }
    const ev = json(last().body);
    assert.equal(ev.routing_key, ROUTING_KEY);
    assert.equal(ev.event_action, 'trigger');
    assert.equal(ev.dedup_key, 'firebreak-inc_01HX');
    assert.equal(ev.payload.source, 'firebreak');
    assert.equal(ev.payload.component, 'database');
    assert.equal(ev.payload.class, 'incident');
    assert.equal(ev.payload.timestamp, '2024-05-01T12:00:00.000Z');
    assert.deepEqual(ev.payload.custom_details, {
      ref: 'INC-42',
      state: 'triggered',
      services: ['database', 'api'],
      impact: { customer_facing: true, user_share: 0.35, impacted_services: ['api', 'database', 'web'] },
      link: 'https://firebreak.example.com/incidents/INC-42',
    });
    assert.deepEqual(ev.links, [{ href: 'https://firebreak.example.com/incidents/INC-42', text: 'INC-42 in Firebreak' }]);
    assert.equal(ev.client, 'Firebreak');
    for (const [kind, action] of [['acknowledged', 'acknowledge'], ['resolved', 'resolve']] as const) {
      assert.equal((await sendVia(d, message({ kind }), options())).ok, true);
      assert.deepEqual(json(last().body), { routing_key: ROUTING_KEY, event_action: action, dedup_key: 'firebreak-inc_01HX' });
    }
    const long = await sendVia(d, message({ incident: { title: 'x'.repeat(3000) } }), options());
    assert.equal(long.ok, true);
    assert.equal(json(last().body).payload.summary.length, 1024);
    const before = requests.length;
    for (const kind of ['stakeholder', 'update', 'reminder', 'test'] as const) {
      assert.deepEqual(await sendVia(d, message({ kind }), options()), { ok: true, detail: 'not forwarded to PagerDuty' });
    }
    assert.equal(requests.length, before, 'nothing was sent');
  });

  test('ntfy: JSON publish to the server root with topic, priority, click, view actions and the bearer token', async () => {
    const r = await sendVia({ id: 'push', type: 'ntfy', url: `${base}/ok/200`, topic: 'ops-alerts', token: NTFY_TOKEN }, message(), options());
    assert.deepEqual(r, { ok: true, status: 200 });
    const req = last();
    assert.equal(req.path, '/ok/200');
    assert.equal(req.headers.authorization, `Bearer ${NTFY_TOKEN}`);
    const body = json(req.body);
    assert.equal(body.topic, 'ops-alerts');
    assert.equal(body.title, '[P0] INC-42 Database down');
    assert.equal(body.priority, 5);
    assert.equal(body.click, 'https://firebreak.example.com/incidents/INC-42');
    assert.deepEqual(body.tags, ['rotating_light', 'P0']);
    assert.match(body.message, /Severity: P0 Critical/);
    assert.match(body.message, /Acknowledge: https:\/\/firebreak\.example\.com\/l\/ack-tok-111/);
    assert.deepEqual(body.actions.map((a: { action: string; label: string; url: string }) => [a.action, a.label, a.url]), [
      ['view', 'Acknowledge', 'https://firebreak.example.com/l/ack-tok-111'],
      ['view', 'Resolve', 'https://firebreak.example.com/l/res-tok-222'],
      ['view', 'Open incident', 'https://firebreak.example.com/incidents/INC-42'],
    ]);
    const priorities: [Parameters<typeof message>[0], number][] = [
      [{ incident: { severity: 'P1' } }, 4],
      [{ incident: { severity: 'P2' } }, 3],
      [{ incident: { severity: 'P3' } }, 2],
      [{ kind: 'acknowledged' }, 3],
      [{ kind: 'resolved' }, 3],
      [{ kind: 'reminder', body: 'No update for 15 minutes.' }, 3],
    ];
    for (const [over, priority] of priorities) {
      await sendVia({ id: 'push', type: 'ntfy', url: `${base}/ok/200`, topic: 'ops-alerts' }, message(over), options());
      assert.equal(json(last().body).priority, priority, JSON.stringify(over));
      assert.equal(last().headers.authorization, undefined, 'no token, no Authorization');
    }
  });

  test('webhook: documented body, idempotency and event headers, custom headers, a verifiable signature', async () => {
    const m = message({ kind: 'update', body: 'Failover done.', recipient: 'Alice Example' });
    const r = await sendVia(destination('webhook', url('ok/200')), m, options());
    assert.deepEqual(r, { ok: true, status: 200 });
    const req = last();
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['user-agent'], 'Firebreak');
    assert.equal(req.headers['x-firebreak-event'], 'update');
    assert.equal(req.headers['idempotency-key'], m.idempotencyKey);
    assert.equal(req.headers['x-team'], 'db');
    const timestamp = String(req.headers['x-firebreak-timestamp']);
    assert.equal(timestamp, String(Math.floor(NOW / 1000)));
    // What a receiver does: recompute over the raw bytes and compare in constant time.
    const expected = Buffer.from(`v1=${createHmac('sha256', WEBHOOK_SECRET).update(`${timestamp}.${req.body}`).digest('hex')}`);
    const given = Buffer.from(String(req.headers['x-firebreak-signature']));
    assert.ok(given.length === expected.length && timingSafeEqual(given, expected), 'signature verifies (the forged custom header was ignored)');
    assert.deepEqual(json(req.body), {
      version: 1,
      event: 'update',
      idempotency_key: m.idempotencyKey,
      created_at: m.created_at,
      organisation: 'Example Corp',
      incident: m.incident,
      links: { incident: m.incident.url, acknowledge: m.links?.acknowledge, resolve: m.links?.resolve },
      escalation: m.escalation,
      body: 'Failover done.',
      recipient: 'Alice Example',
    });
    await sendVia({ id: 'plain', type: 'webhook', url: url('ok/200') }, message({ kind: 'resolved', links: undefined, escalation: undefined }), options());
    const plain = last();
    assert.equal(plain.headers['x-firebreak-signature'], undefined, 'no secret, no signature');
    const body = json(plain.body);
    assert.deepEqual([body.links, body.escalation, body.body, body.recipient], [{ incident: m.incident.url, acknowledge: null, resolve: null }, null, null, null]);
  });
});
