import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EXAMPLE_CONFIG_PATH, formatIssues, loadConfigFile } from '../../src/config/load.ts';
import { NOTIFICATION_DEFAULTS } from '../../src/config/oncall-schema.ts';
import { bindPolicy } from '../../src/modules/oncall/escalation-state.ts';
import { onCallAt } from '../../src/modules/oncall/rotation.ts';
import { configOf, issuesOf, lineOf } from './config-kit.ts';

/**
 * The on-call part of firebreak.yaml: users, channels, stakeholder groups, schedules, escalation
 * policies and notification settings. Valid files get their defaults; a broken one lists every
 * problem at once with its YAML path and line, and never repeats a credential.
 */


const ORG = 'organisation:\n  name: On-call Org\n  time_zone: Europe/Berlin\n';
const MINUTE = 60_000;

describe('on-call config: valid files and their defaults', () => {
  const VALID = `${ORG}services:
  - { id: db, name: Database, tier: p0, escalation_policy: db-policy }
  - { id: web, name: Web, tier: p1 }
users:
  - handle: alice
    name: Alice
    email: alice@example.com
    contact_methods:
      - { id: phone, type: ntfy, topic: alice-pages }
      - { id: work-mail, type: email, address: alice@work.example.com }
      - { id: pd, type: pagerduty, routing_key: abcdefghijklmnopqrstuvwxyz012345 }
    notification_rules:
      high:
        - email
        - { method: phone }
        - { method: pd, after: 5m }
      low: [work-mail]
  - handle: bob.smith
    name: Bob
    email: bob@example.com
    time_zone: America/New_York
    role: admin
channels:
  - { id: ops-slack, type: slack, url: "https://hooks.slack.com/services/T0/B0/x" }
  - { id: ops-push, type: ntfy, topic: ops, rate_limit: {} }
  - { id: ops-mail, type: email, to: [ops@example.com], give_up_after: 6h, rate_limit: { per_minute: 10 } }
  - { id: hook, type: webhook, url: "http://hooks.internal:8080/fb", secret: 0123456789abcdef, headers: { X-Api-Key: k } }
stakeholder_groups:
  - { id: execs, name: Executives, members: [bob.smith], channels: [ops-mail] }
  - { id: nobody-yet, name: Empty group }
schedules:
  - id: primary
    name: Primary
    layers:
      - members: [alice, bob.smith]
        rotation: { type: weekly }
        start: "2026-01-05"
      - name: twelve-hour nights
        members: [bob.smith]
        rotation: { type: custom, length: 12h, handoff: "21:00" }
        start: "2026-01-05"
        restrictions:
          - { from: "22:00", to: "06:00" }
          - { days: [sat, sun], from: "00:00", to: "24:00" }
  - id: follow-the-sun
    name: Follow the sun
    time_zone: Asia/Tokyo
    layers:
      - members: [bob.smith]
        rotation: { type: daily, handoff: "08:30" }
        start: "2026-02-01"
escalation_policies:
  - id: db-policy
    name: Database
    levels:
      - notify: [{ schedule: primary }, { channel: ops-slack }]
      - notify: [{ user: alice }, { group: execs }]
        timeout: 10m
  - id: default
    name: Everything else
    repeat: 9
    levels:
      - notify: [{ user: bob.smith }]
severities:
  P1:
    notify: [{ group: execs, within: 0s }]
  P3:
    urgency: high
    escalate: true
`;
  const c = configOf(VALID);

  test("users: time_zone defaults to the organisation's, role to responder, rules to none", () => {
    const [alice, bob] = c.users;
    assert.equal(alice.time_zone, 'Europe/Berlin');
    assert.equal(alice.role, 'responder');
    assert.equal(bob.time_zone, 'America/New_York');
    assert.equal(bob.role, 'admin');
    assert.deepEqual(bob.contact_methods, []);
    assert.deepEqual(bob.notification_rules, {});
    assert.equal(configOf(`organisation:\n  name: X\nusers:\n  - { handle: zz, name: Z, email: z@example.com }\n`).users[0].time_zone, 'UTC', 'the organisation zone defaults to UTC');
  });

  test('contact methods keep their settings; ntfy and pagerduty get their default URLs', () => {
    assert.deepEqual(c.users[0].contact_methods, [
      { id: 'phone', type: 'ntfy', topic: 'alice-pages', url: 'https://ntfy.sh' },
      { id: 'work-mail', type: 'email', address: 'alice@work.example.com' },
      { id: 'pd', type: 'pagerduty', routing_key: 'abcdefghijklmnopqrstuvwxyz012345', url: 'https://events.pagerduty.com/v2/enqueue' },
    ]);
  });

  test('notification_rules accept a method id or { method, after }, after defaulting to 0; "email" needs no declaration', () => {
    assert.deepEqual(c.users[0].notification_rules, {
      high: [
        { method: 'email', after: 0 },
        { method: 'phone', after: 0 },
        { method: 'pd', after: 5 * MINUTE },
      ],
      low: [{ method: 'work-mail', after: 0 }],
    });
  });

  test('channels: rate_limit and give_up_after only when given; an empty rate_limit is 60 a minute', () => {
    const [slack, push, mail, hook] = c.channels;
    assert.equal(slack.rate_limit, undefined);
    assert.equal(slack.give_up_after, undefined);
    assert.deepEqual(push.rate_limit, { per_minute: 60 });
    assert.deepEqual(mail.rate_limit, { per_minute: 10 });
    assert.equal(mail.give_up_after, 6 * 60 * MINUTE);
    assert.equal(mail.type === 'email' && mail.to.join(), 'ops@example.com');
    assert.equal(hook.type === 'webhook' && hook.url, 'http://hooks.internal:8080/fb', 'plain http is allowed');
  });

  test('stakeholder groups: members and channels default to none', () => {
    assert.deepEqual(c.stakeholder_groups[1], { id: 'nobody-yet', name: 'Empty group', members: [], channels: [] });
  });

  test("schedules: time_zone defaults to the organisation's; handoff 09:00; restriction days all week", () => {
    const [primary, sun] = c.schedules;
    assert.equal(primary.time_zone, 'Europe/Berlin');
    assert.equal(sun.time_zone, 'Asia/Tokyo');
    assert.deepEqual(primary.layers[0], { members: ['alice', 'bob.smith'], rotation: { type: 'weekly', handoff: '09:00' }, start: '2026-01-05', restrictions: [] });
    assert.deepEqual(primary.layers[1].rotation, { type: 'custom', handoff: '21:00', length: 12 * 60 * MINUTE });
    assert.deepEqual(primary.layers[1].restrictions, [
      { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '22:00', to: '06:00' },
      { days: ['sat', 'sun'], from: '00:00', to: '24:00' },
    ]);
    assert.deepEqual(sun.layers[0].rotation, { type: 'daily', handoff: '08:30' });
  });

  test('escalation policies: targets of every kind, timeout absent unless given, repeat 0 by default', () => {
    const [db, def] = c.escalation_policies;
    assert.deepEqual(db, {
      id: 'db-policy',
      name: 'Database',
      repeat: 0,
      levels: [
        { notify: [{ schedule: 'primary' }, { channel: 'ops-slack' }] },
        { notify: [{ user: 'alice' }, { group: 'execs' }], timeout: 10 * MINUTE },
      ],
    });
    assert.equal(def.repeat, 9);
    assert.equal(def.levels[0].timeout, undefined, "absent: the severity's ack target applies");
  });

  test("a service binds to its escalation_policy, else to the policy with id `default`", () => {
    assert.equal(c.services[0].escalation_policy, 'db-policy');
    assert.equal(bindPolicy(c, ['db'])?.id, 'db-policy');
    assert.equal(bindPolicy(c, ['web'])?.id, 'default');
    assert.equal(bindPolicy(c, ['web', 'db'])?.id, 'db-policy', 'the first service that names a policy');
    assert.equal(bindPolicy(configOf(ORG), []), null, 'no policy named and no `default`: nobody is paged');
  });

  test('notifications: defaults when absent', () => {
    assert.deepEqual(c.notifications, NOTIFICATION_DEFAULTS);
    assert.deepEqual(c.notifications, {
      give_up_after: 60 * MINUTE,
      attempt_timeout: 10_000,
      retry: { initial: 2000, max: 5 * MINUTE },
      rate_limit: { per_minute: 60 },
      link_ttl: 24 * 60 * MINUTE,
    });
    const partial = configOf(`${ORG}notifications:\n  retry: { max: 1m }\n  smtp: { host: smtp.example.com, from: fb@example.com }\n`).notifications;
    assert.deepEqual(partial.retry, { initial: 2000, max: MINUTE });
    assert.deepEqual(partial.smtp, { host: 'smtp.example.com', port: 587, secure: false, from: 'fb@example.com', tls_verify: true });
    assert.equal(partial.give_up_after, 60 * MINUTE);
  });

  test('a file without on-call sections: empty lists and default notifications', () => {
    const m = configOf(ORG);
    for (const key of ['users', 'channels', 'stakeholder_groups', 'schedules', 'escalation_policies'] as const) assert.deepEqual(m[key], [], key);
    assert.deepEqual(m.notifications, NOTIFICATION_DEFAULTS);
  });

  test('severities: P0–P2 high urgency and escalating, P3 low and not escalating; both overridable', () => {
    const d = configOf(ORG).severities;
    assert.deepEqual(
      (['P0', 'P1', 'P2', 'P3'] as const).map((s) => [s, d[s].urgency, d[s].escalate]),
      [['P0', 'high', true], ['P1', 'high', true], ['P2', 'high', true], ['P3', 'low', false]],
    );
    assert.equal(c.severities.P3.urgency, 'high');
    assert.equal(c.severities.P3.escalate, true);
  });

  test("the plan's default stakeholder groups may go undeclared; explicit ones are checked", () => {
    // The defaults name executives, engineering-directors and team-leads: none is declared here.
    const d = configOf(ORG).severities;
    assert.deepEqual(d.P1.notify, [{ group: 'executives', within: 0 }, { group: 'engineering-directors', within: 30 * MINUTE }]);
    assert.deepEqual(d.P2.notify, [{ group: 'team-leads', within: 60 * MINUTE }]);
    assert.deepEqual(c.severities.P1.notify, [{ group: 'execs', within: 0 }]);
    const text = `${ORG}severities:\n  P0:\n    notify: [{ group: executives, within: 0s }]\n`;
    assert.deepEqual(issuesOf(text).map((i) => [i.path, i.message, i.line]), [['severities.P0.notify[0].group', 'unknown stakeholder group "executives"', lineOf(text, 'group: executives')]]);
  });

  test('${ENV} substitution fills channel URLs, keys and secrets', () => {
    const text = `${ORG}channels:
  - { id: s, type: slack, url: "\${SLACK_URL}" }
  - { id: t, type: teams, url: "https://\${TEAMS_HOST}/workflows/\${TEAMS_ID}" }
  - { id: p, type: pagerduty, routing_key: "\${PD_KEY}" }
  - { id: w, type: webhook, url: "\${HOOK_URL:-https://hooks.example.com/default}", secret: "\${HOOK_SECRET}" }
`;
    const env = { SLACK_URL: 'https://hooks.slack.com/services/T1/B2/c3', TEAMS_HOST: 'prod.example.com', TEAMS_ID: 'abc', PD_KEY: 'Z'.repeat(32), HOOK_SECRET: 's'.repeat(20) };
    const [s, t, p, w] = configOf(text, env).channels;
    assert.equal(s.type === 'slack' && s.url, 'https://hooks.slack.com/services/T1/B2/c3');
    assert.equal(t.type === 'teams' && t.url, 'https://prod.example.com/workflows/abc');
    assert.equal(p.type === 'pagerduty' && p.routing_key, 'Z'.repeat(32));
    assert.equal(w.type === 'webhook' && w.url, 'https://hooks.example.com/default');
    assert.equal(w.type === 'webhook' && w.secret, 's'.repeat(20));
    // A missing variable is one issue, without a knock-on "Invalid URL" for the emptied value.
    const missing = issuesOf(text, { ...env, SLACK_URL: undefined });
    assert.deepEqual(missing.map((i) => [i.path, i.message, i.line]), [['channels[0].url', 'environment variable SLACK_URL is not set', lineOf(text, 'SLACK_URL')]]);
  });
});

/** One of every on-call mistake. Lines are found by their text, not hard-coded. */
const BROKEN = `${ORG}services:
  - id: db
    name: Database
    tier: p0
    escalation_policy: nowhere
severities:
  P1:
    notify:
      - group: board
        within: 5m
users:
  - handle: alice
    name: Alice
    email: alice@example.com
    time_zone: Mars/Base
    contact_methods:
      - { id: phone, type: ntfy, topic: alice-pages }
      - { id: phone, type: slack, url: "https://hooks.slack.com/services/T0/B0/c" }
      - { id: pd, type: pagerduty, routing_key: short-key }
    notification_rules:
      high: [phone, email, pager]
      low:
        - { method: sms, after: 5m }
  - handle: alice
    name: Alice again
    email: alice2@example.com
channels:
  - { id: ops, type: slack, url: "https://hooks.slack.com/x" }
  - { id: ops, type: teams, url: "https://teams.example.com/x" }
  - { id: hook, type: webhook, url: "https://hooks.example.com/x", secret: tooshort }
  - { id: files, type: discord, url: "ftp://files.example.com/x" }
stakeholder_groups:
  - { id: execs, name: Execs, members: [alice, zed], channels: [ops, nochannel] }
schedules:
  - id: primary
    name: Primary
    time_zone: Nowhere/City
    layers:
      - members: [alice, ghost]
        rotation: { type: daily, handoff: "25:00" }
        start: "2026-01-05"
        restrictions:
          - { from: "09:00", to: "24:30" }
      - members: []
        rotation: { type: custom, length: 90s }
        start: "2026-01-05"
  - id: primary
    name: Primary again
    layers: []
escalation_policies:
  - id: main
    name: Main
    repeat: 10
    levels:
      - notify: [{ user: nobody }, { schedule: nosched }, { channel: nochan }, { group: nogroup }]
      - notify: [{ user: alice, schedule: primary }]
      - notify: []
  - id: main
    name: Main again
    levels: []
integrations:
  - id: firebreak
    name: Self
    type: events_v2
    key: abcdefghijklmnopqrstuvwxyz012345
    service: db
`;

describe('on-call config: every problem at once, with its path and line', () => {
  const issues = issuesOf(BROKEN);
  const EXPECTED: [path: string, message: RegExp, line: number][] = [
    // References that do not resolve.
    ['services[0].escalation_policy', /^unknown escalation policy "nowhere"$/, lineOf(BROKEN, 'escalation_policy: nowhere')],
    ['severities.P1.notify[0].group', /^unknown stakeholder group "board"$/, lineOf(BROKEN, 'group: board')],
    ['stakeholder_groups[0].members[1]', /^unknown user "zed" \(declare it under users\)$/, lineOf(BROKEN, 'members: [alice, zed]')],
    ['stakeholder_groups[0].channels[1]', /^unknown channel "nochannel"$/, lineOf(BROKEN, 'nochannel')],
    ['schedules[0].layers[0].members[1]', /^unknown user "ghost"/, lineOf(BROKEN, 'members: [alice, ghost]')],
    ['escalation_policies[0].levels[0].notify[0].user', /^unknown user "nobody"/, lineOf(BROKEN, '{ user: nobody }')],
    ['escalation_policies[0].levels[0].notify[1].schedule', /^unknown schedule "nosched"$/, lineOf(BROKEN, 'nosched')],
    ['escalation_policies[0].levels[0].notify[2].channel', /^unknown channel "nochan"$/, lineOf(BROKEN, 'nochan }')],
    ['escalation_policies[0].levels[0].notify[3].group', /^unknown stakeholder group "nogroup"$/, lineOf(BROKEN, 'nogroup')],
    ['users[0].notification_rules.high[2]', /^unknown contact method "pager"$/, lineOf(BROKEN, 'high: [phone, email, pager]')],
    ['users[0].notification_rules.low[0].method', /^unknown contact method "sms"$/, lineOf(BROKEN, 'method: sms')],
    // Duplicates.
    ['users[1].handle', /^duplicate user "alice" \(first at users\[0\]\)$/, lineOf(BROKEN, 'handle: alice', 2)],
    ['users[0].contact_methods[1].id', /^duplicate contact method "phone"$/, lineOf(BROKEN, '{ id: phone, type: slack')],
    ['channels[1].id', /^duplicate channel "ops" \(first at channels\[0\]\)$/, lineOf(BROKEN, '{ id: ops, type: teams')],
    ['schedules[1].id', /^duplicate schedule "primary" \(first at schedules\[0\]\)$/, lineOf(BROKEN, 'id: primary', 2)],
    ['escalation_policies[1].id', /^duplicate escalation policy "main" \(first at escalation_policies\[0\]\)$/, lineOf(BROKEN, 'id: main', 2)],
    // Values.
    ['users[0].time_zone', /^unknown IANA time zone "Mars\/Base"$/, lineOf(BROKEN, 'Mars/Base')],
    ['schedules[0].time_zone', /^unknown IANA time zone "Nowhere\/City"$/, lineOf(BROKEN, 'Nowhere/City')],
    ['schedules[0].layers[0].rotation.handoff', /time of day "HH:MM" \(00:00-23:59\)/, lineOf(BROKEN, 'handoff: "25:00"')],
    ['schedules[0].layers[0].restrictions[0].to', /time of day "HH:MM" \(00:00-24:00\)/, lineOf(BROKEN, 'to: "24:30"')],
    ['schedules[0].layers[1].rotation.length', /whole minutes, at least 1m/, lineOf(BROKEN, 'length: 90s')],
    ['escalation_policies[0].levels[1].notify[0]', /./, lineOf(BROKEN, '{ user: alice, schedule: primary }')],
    ['users[0].contact_methods[2].routing_key', /32-character Events API v2 routing key/, lineOf(BROKEN, 'routing_key: short-key')],
    ['channels[2].secret', />=16 characters/, lineOf(BROKEN, 'secret: tooshort')],
    ['channels[3].url', /Invalid URL/, lineOf(BROKEN, 'ftp://')],
    ['escalation_policies[0].repeat', /<=9/, lineOf(BROKEN, 'repeat: 10')],
    ['integrations[0].id', /"firebreak" is reserved/, lineOf(BROKEN, 'id: firebreak')],
    // Empty lists that must have something.
    ['schedules[0].layers[1].members', />=1 items/, lineOf(BROKEN, 'members: []')],
    ['schedules[1].layers', />=1 items/, lineOf(BROKEN, 'layers: []')],
    ['escalation_policies[0].levels[2].notify', />=1 items/, lineOf(BROKEN, 'notify: []')],
    ['escalation_policies[1].levels', />=1 items/, lineOf(BROKEN, 'levels: []')],
  ];

  for (const [path, message, line] of EXPECTED) {
    test(`${path}: ${message.source} (line ${line})`, () => {
      const hits = issues.filter((i) => i.path === path && message.test(i.message));
      assert.equal(hits.length, 1, `one issue at ${path} matching ${message}; all issues:\n${formatIssues('broken.yaml', issues)}`);
      assert.equal(hits[0].line, line, `line of ${path}`);
      assert.ok(typeof hits[0].column === 'number' && hits[0].column >= 1);
    });
  }

  test('and nothing else: no duplicates, no knock-on errors', () => {
    assert.equal(issues.length, EXPECTED.length, formatIssues('broken.yaml', issues));
  });

  test('"email" in notification_rules is always allowed, declared or not', () => {
    assert.ok(!issues.some((i) => /"email"/.test(i.message)), formatIssues('broken.yaml', issues));
  });

  test('a target names exactly one of user, schedule, channel, group', () => {
    const text = `${ORG}users: [{ handle: al, name: Al, email: al@example.com }]
escalation_policies:
  - id: p
    name: P
    levels:
      - notify: [{ user: al }, { team: x }, {}]
`;
    assert.deepEqual(issuesOf(text).map((i) => i.path), ['escalation_policies[0].levels[0].notify[1]', 'escalation_policies[0].levels[0].notify[2]']);
  });

  test('the integration id "monitors" is reserved too', () => {
    const text = `${ORG}services: [{ id: db, name: DB, tier: p0 }]\nintegrations:\n  - { id: monitors, name: M, type: events_v2, key: abcdefghijklmnopqrstuvwxyz012345, service: db }\n`;
    assert.deepEqual(issuesOf(text).map((i) => [i.path, /reserved/.test(i.message)]), [['integrations[0].id', true]]);
  });

  test('other bounds: level timeout ≥ 1s, attempt_timeout 100ms–2m, link_ttl ≥ 1m, restriction days not empty', () => {
    const text = `${ORG}users: [{ handle: al, name: Al, email: al@example.com }]
schedules:
  - id: s
    name: S
    layers:
      - members: [al]
        rotation: { type: weekly, length: 1d }
        start: "2026-02-30"
        restrictions: [{ days: [], from: "9:00", to: "17:00" }]
escalation_policies:
  - { id: p, name: P, levels: [{ notify: [{ user: al }], timeout: 500ms }] }
notifications:
  attempt_timeout: 5m
  link_ttl: 30s
`;
    assert.deepEqual(
      issuesOf(text).map((i) => i.path),
      [
        'schedules[0].layers[0].rotation.length',
        'schedules[0].layers[0].start',
        'schedules[0].layers[0].restrictions[0].days',
        'schedules[0].layers[0].restrictions[0].from',
        'escalation_policies[0].levels[0].timeout',
        'notifications.attempt_timeout',
        'notifications.link_ttl',
      ],
    );
  });
});

describe('on-call config: secrets never appear in error messages', () => {
  const SLACK_URL = 'https://hooks.slack.com/services/T0000/B0000/SLACKT0KEN9f8e7d';
  const HOOK_URL = 'ftp://hooks.example.com/firebreak?token=H00KT0KEN3c2b1a';
  const ROUTING_KEY = 'R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY1'; // 31 characters: one short
  const HOOK_SECRET = 'SHORTSECRET9';
  const SMTP_PASSWORD = 'sm7p-PA55w0rd-4b3a';
  const HEADER_VALUE = 'Bearer HEADERT0KEN5e4d';
  const NTFY_TOKEN = 'tk_NTFYT0KEN7a6b';
  const SECRETS = [SLACK_URL, 'SLACKT0KEN9f8e7d', HOOK_URL, 'H00KT0KEN3c2b1a', ROUTING_KEY, HOOK_SECRET, SMTP_PASSWORD, HEADER_VALUE, 'HEADERT0KEN5e4d', NTFY_TOKEN];

  const text = `${ORG}users:
  - handle: alice
    name: Alice
    email: alice@example.com
    contact_methods:
      - { id: slack, type: slack, url: "${SLACK_URL}", colour: red }
      - { id: pd, type: pagerduty, routing_key: "\${PD_KEY}" }
      - { id: slack, type: webhook, url: "${HOOK_URL}" }
channels:
  - { id: hook, type: webhook, url: "\${HOOK_URL}", secret: "${HOOK_SECRET}", headers: { "Bad Header": "${HEADER_VALUE}" } }
  - { id: pd, type: pagerduty, routing_key: "${ROUTING_KEY}" }
  - { id: push, type: ntfy, topic: "bad topic!", token: "${NTFY_TOKEN}" }
  - { id: chat, type: slack, url: "${SLACK_URL}", rate_limit: { per_minute: 0 } }
  - { id: chat, type: discord, url: "${SLACK_URL}", give_up_after: never }
notifications:
  smtp: { host: "", port: 70000, user: firebreak, password: "\${SMTP_PASSWORD}", from: x, pass: "${SMTP_PASSWORD}" }
`;
  const issues = issuesOf(text, { PD_KEY: ROUTING_KEY, HOOK_URL, SMTP_PASSWORD });

  test('the file has problems next to every kind of credential', () => {
    const paths = issues.map((i) => i.path);
    for (const p of [
      'users[0].contact_methods[0].colour',
      'users[0].contact_methods[1].routing_key',
      'users[0].contact_methods[2].url',
      'users[0].contact_methods[2].id',
      'channels[0].url',
      'channels[0].secret',
      'channels[1].routing_key',
      'channels[2].topic',
      'channels[3].rate_limit.per_minute',
      'channels[4].id',
      'channels[4].give_up_after',
      'notifications.smtp.host',
      'notifications.smtp.port',
      'notifications.smtp.from',
      'notifications.smtp.pass',
    ]) {
      assert.ok(paths.includes(p), `${p} reported; got:\n${formatIssues('secrets.yaml', issues)}`);
    }
    assert.ok(paths.some((p) => p.startsWith('channels[0].headers')), 'the bad header name');
  });

  test('no message, path or printed line contains a URL, key, secret, token or password', () => {
    const printed = `${JSON.stringify(issues)}\n${formatIssues('secrets.yaml', issues)}`;
    for (const secret of SECRETS) assert.ok(!printed.includes(secret), `"${secret}" leaked:\n${formatIssues('secrets.yaml', issues)}`);
  });
});

describe('the example config: its on-call section is what its comments say', () => {
  const r = loadConfigFile(EXAMPLE_CONFIG_PATH, {});
  if (!r.ok) throw new Error(formatIssues(EXAMPLE_CONFIG_PATH, r.issues));
  const c = r.config;
  const at = (iso: string) => Date.parse(iso);

  test('ten people, created as responders; zones as written, else Berlin', () => {
    assert.deepEqual(
      c.users.map((u) => [u.handle, u.time_zone]),
      [
        ['alice', 'Europe/Berlin'],
        ['bob', 'Europe/Berlin'],
        ['carol', 'Europe/Paris'],
        ['dan', 'Europe/Berlin'],
        ['dana', 'America/New_York'],
        ['eve', 'America/New_York'],
        ['mgr-platform', 'Europe/Berlin'],
        ['dir-eng', 'Europe/Berlin'],
        ['ceo', 'Europe/Berlin'],
        ['cto', 'Europe/Berlin'],
      ],
    );
    assert.ok(c.users.every((u) => u.role === 'responder'));
    const alice = c.users[0];
    assert.deepEqual(alice.contact_methods, [{ id: 'email', type: 'email' }]);
    assert.deepEqual(alice.notification_rules, { high: [{ method: 'email', after: 0 }], low: [{ method: 'email', after: 0 }] });
  });

  test("stakeholder groups cover the plan's defaults: executives, engineering directors, team leads", () => {
    assert.deepEqual(
      c.stakeholder_groups.map((g) => [g.id, g.members]),
      [['executives', ['ceo', 'cto']], ['engineering-directors', ['dir-eng']], ['team-leads', ['mgr-platform']]],
    );
    const declared = new Set(c.stakeholder_groups.map((g) => g.id));
    for (const sev of ['P0', 'P1', 'P2'] as const) for (const n of c.severities[sev].notify) assert.ok(declared.has(n.group), `${sev} → ${n.group}`);
    assert.deepEqual(c.severities.P1.notify, [{ group: 'executives', within: 0 }, { group: 'engineering-directors', within: 30 * MINUTE }]);
    assert.deepEqual(c.severities.P2.notify, [{ group: 'team-leads', within: 60 * MINUTE }]);
    assert.deepEqual(c.severities.P3.notify, []);
  });

  test('channels are only a comment; notifications are the defaults', () => {
    assert.deepEqual(c.channels, []);
    assert.deepEqual(c.notifications, NOTIFICATION_DEFAULTS);
  });

  test('database-primary: a weekly Berlin rotation from Monday 2026-01-05 09:00, alice first', () => {
    const primary = c.schedules.find((s) => s.id === 'database-primary')!;
    assert.equal(primary.time_zone, 'Europe/Berlin');
    assert.equal(new Date(Date.UTC(2026, 0, 5)).getUTCDay(), 1, '2026-01-05 is a Monday');
    assert.equal(onCallAt(primary, [], at('2026-01-05T07:59:00Z')), null, 'nobody before the first handoff');
    const first = onCallAt(primary, [], at('2026-01-05T12:00:00Z'))!;
    assert.equal(first.user, 'alice');
    assert.equal(first.start, at('2026-01-05T08:00:00Z'), '09:00 in Berlin (CET)');
    assert.equal(onCallAt(primary, [], at('2026-01-12T12:00:00Z'))!.user, 'bob');
    assert.equal(onCallAt(primary, [], at('2026-01-19T12:00:00Z'))!.user, 'carol');
    assert.equal(onCallAt(primary, [], at('2026-01-26T12:00:00Z'))!.user, 'alice');
  });

  test('database-primary: the later New York layer wins Berlin nights 00:00–06:00, daily', () => {
    const primary = c.schedules.find((s) => s.id === 'database-primary')!;
    const night1 = onCallAt(primary, [], at('2026-01-06T01:00:00Z'))!; // 02:00 Berlin
    assert.equal(night1.user, 'dana');
    assert.deepEqual(night1.source, { type: 'layer', layer: 1, name: 'nights from New York' });
    assert.equal(night1.start, at('2026-01-05T23:00:00Z'));
    assert.equal(night1.end, at('2026-01-06T05:00:00Z'));
    assert.equal(onCallAt(primary, [], at('2026-01-07T01:00:00Z'))!.user, 'eve');
    assert.equal(onCallAt(primary, [], at('2026-01-06T06:00:00Z'))!.user, 'alice', '07:00 Berlin: the weekly layer again');
  });

  test('handoffs are wall-clock: 09:00 Berlin before and after the spring-forward change', () => {
    const primary = c.schedules.find((s) => s.id === 'database-primary')!;
    // Weekly from 2026-01-05: the 2026-03-30 handoff (the day after clocks go forward) is alice's.
    const after = onCallAt(primary, [], at('2026-03-30T10:00:00Z'))!;
    assert.equal(after.user, 'alice');
    assert.equal(after.start, at('2026-03-30T07:00:00Z'), '09:00 CEST');
    const before = onCallAt(primary, [], at('2026-03-23T10:00:00Z'))!;
    assert.equal(before.user, 'carol');
    assert.equal(before.start, at('2026-03-23T08:00:00Z'), '09:00 CET');
  });

  test('database-secondary: bob, carol, dan weekly', () => {
    const secondary = c.schedules.find((s) => s.id === 'database-secondary')!;
    assert.deepEqual(secondary.layers.map((l) => [l.members, l.rotation]), [[['bob', 'carol', 'dan'], { type: 'weekly', handoff: '09:00' }]]);
    assert.equal(onCallAt(secondary, [], at('2026-01-05T12:00:00Z'))!.user, 'bob');
  });

  test('the `default` policy: primary, then secondary and the manager after 10m, then the director after 15m; run twice', () => {
    assert.deepEqual(c.escalation_policies, [
      {
        id: 'default',
        name: 'Database and platform on-call',
        repeat: 1,
        levels: [
          { notify: [{ schedule: 'database-primary' }] },
          { notify: [{ schedule: 'database-secondary' }, { user: 'mgr-platform' }], timeout: 10 * MINUTE },
          { notify: [{ user: 'dir-eng' }], timeout: 15 * MINUTE },
        ],
      },
    ]);
  });

  test('no service names a policy, so every service binds to `default`', () => {
    assert.ok(c.services.every((s) => s.escalation_policy === undefined));
    for (const s of c.services) assert.equal(bindPolicy(c, [s.id])?.id, 'default', s.id);
  });

  test('P0–P2 are high urgency, P3 low and does not escalate; levels without timeout wait the ack target', () => {
    assert.deepEqual(
      (['P0', 'P1', 'P2', 'P3'] as const).map((s) => [c.severities[s].urgency, c.severities[s].escalate, c.severities[s].ack_target / MINUTE]),
      [['high', true, 2], ['high', true, 5], ['high', true, 15], ['low', false, 120]],
    );
  });
});
