import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { DEFAULT_SEVERITIES, SEVERITIES } from '../../src/config/defaults.ts';
import { EXAMPLE_CONFIG_PATH, formatIssues, formatPath, loadConfigFile, type ConfigIssue } from '../../src/config/load.ts';
import { resolveSettings } from '../../src/config/settings.ts';
import { ConfigStore } from '../../src/config/store.ts';
import { parseDuration } from '../../src/lib/duration.ts';
import { DomainError } from '../../src/lib/errors.ts';
import { loadConfigOrThrow } from '../../src/main.ts';
import { configOf, issuesOf, lineOf } from './config-kit.ts';

/** A file with one of every kind of mistake. Lines are found by their text, not hard-coded. */
const BROKEN = `version: 1
organisation:
  name: Broken Org
  public_url: \${MISSING_URL_VAR}
  time_zone: Mars/Olympus_Mons
  colour: blue
services:
  - id: web
    name: Web
    tier: p9
    depends_on: [api, ghost]
    user_share: lots
  - id: api
    name: API
    tier: p0
    depends_on: [db]
    owner: platform-team
  - id: db
    name: Database
    tier: p1
    depends_on: [api]
  - id: web
    name: Web again
    tier: p2
  - id: loner
    name: 42
    tier: p3
    depends_on: [loner]
    customer_facing: sometimes
  - id: Bad_Slug!
    name: Bad
    tier: p3
severities:
  P0:
    update_cadence: soon
  P2:
    notify:
      - group: leads
        within: 1 hour
  P5:
    name: Nope
`;


function bufferIo(env: Record<string, string | undefined> = {}) {
  const io = { stdout: '', stderr: '', env, out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

const MINIMAL = 'organisation:\n  name: Minimal\n';

describe('config validation lists every problem at once', () => {
  const issues = issuesOf(BROKEN);
  const find = (path: string, message: RegExp) => {
    const hits = issues.filter((i) => i.path === path && message.test(i.message));
    assert.equal(hits.length, 1, `one issue at ${path} matching ${message}; all issues:\n${formatIssues('broken.yaml', issues)}`);
    return hits[0];
  };
  const EXPECTED: [path: string, message: RegExp, line: number][] = [
    ['organisation.public_url', /environment variable MISSING_URL_VAR is not set/, lineOf(BROKEN, 'public_url:')],
    ['organisation.time_zone', /unknown IANA time zone "Mars\/Olympus_Mons"/, lineOf(BROKEN, 'time_zone:')],
    ['organisation.colour', /unknown key "colour"/, lineOf(BROKEN, 'colour:')],
    ['services[0].tier', /expected one of "p0"\|"p1"\|"p2"\|"p3"/, lineOf(BROKEN, 'tier: p9')],
    ['services[0].user_share', /expected number, received string/, lineOf(BROKEN, 'user_share: lots')],
    ['services[0].depends_on[1]', /unknown service "ghost"/, lineOf(BROKEN, 'depends_on: [api, ghost]')],
    ['services[1].owner', /unknown key "owner"/, lineOf(BROKEN, 'owner: platform-team')],
    ['services[1].depends_on', /dependency cycle: api → db → api/, lineOf(BROKEN, 'depends_on: [db]')],
    ['services[3].id', /duplicate service id "web" \(first at services\[0\]\)/, lineOf(BROKEN, '- id: web', 2)],
    ['services[4].name', /expected string, received number/, lineOf(BROKEN, 'name: 42')],
    ['services[4].depends_on[0]', /service "loner" cannot depend on itself/, lineOf(BROKEN, 'depends_on: [loner]')],
    ['services[4].customer_facing', /expected boolean/, lineOf(BROKEN, 'customer_facing: sometimes')],
    ['services[5].id', /lower-case letters/, lineOf(BROKEN, 'id: Bad_Slug!')],
    ['severities.P0.update_cadence', /invalid duration "soon" \(write e\.g\. 90s, 2m, 1h, 1d\)/, lineOf(BROKEN, 'update_cadence: soon')],
    ['severities.P2.notify[0].within', /invalid duration "1 hour"/, lineOf(BROKEN, 'within: 1 hour')],
    ['severities.P2.notify[0].group', /unknown stakeholder group "leads"/, lineOf(BROKEN, 'group: leads')],
    ['severities.P5', /unknown key "P5"/, lineOf(BROKEN, 'P5:')],
  ];

  for (const [path, message, line] of EXPECTED) {
    test(`${path}: ${message.source} (line ${line})`, () => {
      const issue = find(path, message);
      assert.equal(issue.line, line, `line of ${path}`);
      assert.equal(typeof issue.column, 'number');
      assert.ok(issue.column! >= 1);
    });
  }

  test('and nothing else: no duplicates, no knock-on errors', () => {
    assert.equal(issues.length, EXPECTED.length, formatIssues('broken.yaml', issues));
  });

  test('formatIssues prints one "file:line:col path: message" line per issue', () => {
    const text = formatIssues('broken.yaml', issues);
    const lines = text.split('\n');
    assert.equal(lines.length, issues.length);
    assert.ok(lines.includes(`broken.yaml:${lineOf(BROKEN, 'update_cadence: soon')}:21 severities.P0.update_cadence: invalid duration "soon" (write e.g. 90s, 2m, 1h, 1d)`), text);
    for (const l of lines) assert.match(l, /^broken\.yaml:\d+:\d+ \S+: .+$/);
  });
});

describe('config parsing', () => {
  test('YAML syntax errors and duplicate keys are reported with their line', () => {
    const bad = issuesOf('organisation:\n  name: X\n  name: Y\nservices: [\n');
    assert.ok(bad.length >= 1);
    for (const i of bad) assert.equal(typeof i.line, 'number');
    assert.ok(bad.some((i) => /unique|duplicate/i.test(i.message) && i.line === 3), JSON.stringify(bad));
    const tabs = issuesOf('organisation:\n\tname: X\n');
    assert.equal(tabs[0].line, 2);
  });

  test('a missing required key points at its parent', () => {
    const text = 'version: 1\norganisation:\n  time_zone: UTC\n';
    const [issue, ...rest] = issuesOf(text);
    assert.deepEqual(rest, []);
    assert.equal(issue.path, 'organisation.name');
    assert.equal(issue.line, 2);
    const empty = issuesOf('');
    assert.deepEqual(empty.map((i) => i.path), ['organisation']);
  });

  test('a document that is not a mapping is refused', () => {
    assert.equal(issuesOf('- a\n- b\n')[0].path, '');
    assert.equal(issuesOf('just text\n')[0].path, '');
  });

  test('only version 1 is understood', () => {
    assert.deepEqual(issuesOf(`version: 2\n${MINIMAL}`).map((i) => i.path), ['version']);
  });

  test('an unreadable file is one issue naming the file', () => {
    const r = loadConfigFile('/nonexistent/firebreak.yaml', {});
    assert.equal(r.ok, false);
    assert.match((r as { issues: ConfigIssue[] }).issues[0].message, /cannot read \/nonexistent\/firebreak\.yaml: ENOENT/);
  });

  test('defaults fill a minimal file', () => {
    const c = configOf(`${MINIMAL}services:\n  - id: solo\n    name: Solo\n    tier: p2\n`);
    assert.equal(c.version, 1);
    assert.deepEqual(c.organisation, { name: 'Minimal', public_url: 'http://localhost:8080', time_zone: 'UTC' });
    assert.deepEqual(c.services, [{ id: 'solo', name: 'Solo', tier: 'p2', owners: [], depends_on: [], customer_facing: false, user_share: 0, availability_target: 99.9 }]);
    assert.deepEqual(Object.keys(c.severities), [...SEVERITIES]);
  });

  test('the example config is valid and models the plan', () => {
    const r = loadConfigFile(EXAMPLE_CONFIG_PATH, {});
    assert.ok(r.ok);
    assert.equal(r.config.services.length, 11);
    assert.equal(r.config.organisation.time_zone, 'Europe/Berlin');
    assert.equal(r.config.organisation.public_url, 'http://localhost:8080');
    assert.deepEqual(r.config.services.find((s) => s.id === 'api')?.depends_on, ['database', 'cache', 'auth', 'storage']);
    assert.equal(r.config.severities.P0.update_cadence, 15 * 60_000);
  });

  test('formatPath', () => {
    assert.equal(formatPath(['services', 2, 'depends_on', 0]), 'services[2].depends_on[0]');
    assert.equal(formatPath([]), '');
    assert.equal(formatPath([0, 'a']), '[0].a');
  });
});

describe('${VAR} substitution', () => {
  const withUrl = (url: string) => `organisation:\n  name: Env Org\n  public_url: ${url}\n`;

  test('${VAR} is replaced from the environment, also inside a longer string', () => {
    assert.equal(configOf(withUrl('${URL}'), { URL: 'https://status.example.com' }).organisation.public_url, 'https://status.example.com');
    assert.equal(configOf(withUrl('https://${HOST}:${PORT}/fb'), { HOST: 'fb.example.com', PORT: '8443' }).organisation.public_url, 'https://fb.example.com:8443/fb');
  });

  test('${VAR:-default} uses the default when the variable is unset or empty, the value otherwise', () => {
    assert.equal(configOf(withUrl('${URL:-https://fallback.example.com}'), {}).organisation.public_url, 'https://fallback.example.com');
    assert.equal(configOf(withUrl('${URL:-https://fallback.example.com}'), { URL: '' }).organisation.public_url, 'https://fallback.example.com');
    assert.equal(configOf(withUrl('${URL:-https://fallback.example.com}'), { URL: 'https://set.example.com' }).organisation.public_url, 'https://set.example.com');
    const c = configOf(`${MINIMAL}services:\n  - id: s\n    name: S\n    tier: p1\n    description: "\${DESC:-}"\n`, {});
    assert.equal(c.services[0].description, '', 'an empty default is allowed');
  });

  test('substitution reaches lists and nested values, and values are not substituted twice', () => {
    const text = `${MINIMAL}services:\n  - id: s\n    name: \${NAME}\n    tier: p1\n    owners: ["\${TEAM}", static-team]\n`;
    const c = configOf(text, { NAME: 'From ${OTHER}', TEAM: 'sre', OTHER: 'nope' });
    assert.equal(c.services[0].name, 'From ${OTHER}');
    assert.deepEqual(c.services[0].owners, ['sre', 'static-team']);
  });

  test('text that only looks like a variable is left alone', () => {
    const c = configOf(`organisation:\n  name: "Costs $5 and $HOME and \${not valid}"\n`, { HOME: '/root' });
    assert.equal(c.organisation.name, 'Costs $5 and $HOME and ${not valid}');
  });

  test('every missing variable is reported with its path and line, once', () => {
    const text = `organisation:\n  name: \${ORG_NAME}\n  public_url: \${URL}\nservices:\n  - id: s\n    name: S\n    tier: p1\n    owners:\n      - \${TEAM}\n`;
    const issues = issuesOf(text, { TEAM: '' });
    assert.deepEqual(
      issues.map((i) => [i.path, i.message, i.line]),
      [
        ['organisation.name', 'environment variable ORG_NAME is not set', 2],
        ['organisation.public_url', 'environment variable URL is not set', 3],
        ['services[0].owners[0]', 'environment variable TEAM is not set', 9],
      ],
    );
  });
});

describe('severity overrides merge with the plan defaults', () => {
  const text = `${MINIMAL}stakeholder_groups:
  - { id: sre, name: SRE }
severities:
  P0:
    update_cadence: 10m
    notify:
      - group: sre
        within: 1m
  P1:
    escalation: VP Engineering within 15 minutes
    resolve_target: 1h30m
  P3:
    public: true
    examples: []
`;
  const c = configOf(text);
  const defaults = (sev: (typeof SEVERITIES)[number]) => {
    const d = DEFAULT_SEVERITIES[sev];
    return {
      name: d.name,
      definition: d.definition,
      examples: [...d.examples],
      response_target: parseDuration(d.response_target),
      ack_target: parseDuration(d.ack_target),
      resolve_target: parseDuration(d.resolve_target),
      update_cadence: parseDuration(d.update_cadence),
      escalation: d.escalation,
      notify: d.notify.map((n) => ({ group: n.group, within: parseDuration(n.within) })),
      public: d.public,
      urgency: d.urgency,
      escalate: d.escalate,
    };
  };

  test('overridden fields take the file value, parsed', () => {
    assert.equal(c.severities.P0.update_cadence, 10 * 60_000);
    assert.deepEqual(c.severities.P0.notify, [{ group: 'sre', within: 60_000 }]);
    assert.equal(c.severities.P1.escalation, 'VP Engineering within 15 minutes');
    assert.equal(c.severities.P1.resolve_target, 90 * 60_000);
    assert.equal(c.severities.P3.public, true);
    assert.deepEqual(c.severities.P3.examples, []);
  });

  test('every other field keeps the default', () => {
    assert.deepEqual(c.severities.P0, { ...defaults('P0'), update_cadence: 10 * 60_000, notify: [{ group: 'sre', within: 60_000 }] });
    assert.deepEqual(c.severities.P1, { ...defaults('P1'), escalation: 'VP Engineering within 15 minutes', resolve_target: 90 * 60_000 });
    assert.deepEqual(c.severities.P2, defaults('P2'));
    assert.deepEqual(c.severities.P3, { ...defaults('P3'), public: true, examples: [] });
  });

  test('the plan defaults themselves: P0 2m/15m, P1 5m/30m, P2 15m/2h, P3 2h/24h', () => {
    const d = configOf(MINIMAL).severities;
    const m = 60_000;
    assert.deepEqual(
      SEVERITIES.map((s) => [s, d[s].response_target, d[s].update_cadence]),
      [['P0', 2 * m, 15 * m], ['P1', 5 * m, 30 * m], ['P2', 15 * m, 120 * m], ['P3', 120 * m, 1440 * m]],
    );
  });

  test('one config does not leak into another', () => {
    const again = configOf(MINIMAL);
    assert.deepEqual(again.severities.P3.examples, [...DEFAULT_SEVERITIES.P3.examples]);
    again.severities.P2.examples.push('mutated');
    assert.deepEqual(configOf(MINIMAL).severities.P2.examples, [...DEFAULT_SEVERITIES.P2.examples]);
  });
});

describe('ConfigStore and loadConfigOrThrow', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reload swaps in a valid file and tells listeners; an invalid one keeps the last good config', () => {
    const path = join(dir, 'store.yaml');
    writeFileSync(path, `${MINIMAL}services:\n  - id: one\n    name: One\n    tier: p1\n`);
    const store = loadConfigOrThrow({ configPath: path, env: {} });
    const seen: string[][] = [];
    store.onChange((c) => seen.push(c.services.map((s) => s.id)));
    const first = store.current;

    writeFileSync(path, `${MINIMAL}services:\n  - id: one\n    name: One\n    tier: p9\n`);
    const bad = store.reload();
    assert.equal(bad.ok, false);
    assert.deepEqual((bad as { issues: ConfigIssue[] }).issues.map((i) => i.path), ['services[0].tier']);
    assert.equal(store.current, first, 'the last good config stays');
    assert.deepEqual(seen, []);

    writeFileSync(path, `${MINIMAL}services:\n  - id: one\n    name: One\n    tier: p1\n  - id: two\n    name: Two\n    tier: p2\n    depends_on: [one]\n`);
    assert.deepEqual(store.reload(), { ok: true });
    assert.deepEqual(store.current.services.map((s) => s.id), ['one', 'two']);
    assert.deepEqual(seen, [['one', 'two']]);

    rmSync(path);
    assert.equal(store.reload().ok, false, 'a vanished file is an error, not an empty config');
    assert.deepEqual(store.current.services.map((s) => s.id), ['one', 'two']);
  });

  test('reload reuses the environment captured at start', () => {
    const path = join(dir, 'env.yaml');
    writeFileSync(path, 'organisation:\n  name: ${ORG}\n');
    const store = loadConfigOrThrow({ configPath: path, env: { ORG: 'Captured' } });
    assert.equal(store.current.organisation.name, 'Captured');
    writeFileSync(path, 'organisation:\n  name: ${ORG} again\n');
    assert.deepEqual(store.reload(), { ok: true });
    assert.equal(store.current.organisation.name, 'Captured again');
  });

  test('a store without a file has nothing to reload', () => {
    const store = new ConfigStore(configOf(MINIMAL), null, {});
    assert.deepEqual(store.reload(), { ok: true });
  });

  test('loadConfigOrThrow raises CONFIG_INVALID listing every issue', () => {
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, BROKEN);
    assert.throws(
      () => loadConfigOrThrow({ configPath: path, env: {} }),
      (e: unknown) => {
        assert.ok(e instanceof DomainError);
        assert.equal(e.code, 'CONFIG_INVALID');
        assert.equal((e.details.issues as unknown[]).length, issuesOf(BROKEN).length);
        assert.match(e.message, new RegExp(`${path}:${lineOf(BROKEN, 'tier: p9')}:\\d+ services\\[0\\]\\.tier`));
        return true;
      },
    );
    assert.equal(loadConfigOrThrow({ configPath: null, env: {} }).path, EXAMPLE_CONFIG_PATH);
  });

  test('settings: flags win over the environment; a bad port is refused', () => {
    const s = resolveSettings({ port: '0', config: '/x.yaml' }, { PORT: '9999', FIREBREAK_CONFIG: '/y.yaml', DATABASE_URL: 'postgres://db/x', FIREBREAK_ADMIN_PASSWORD: '' });
    assert.equal(s.port, 0);
    assert.equal(s.configPath, '/x.yaml');
    assert.equal(s.databaseUrl, 'postgres://db/x');
    assert.equal(s.adminPassword, null);
    assert.equal(resolveSettings({}, { PORT: '9999' }).port, 9999);
    assert.throws(() => resolveSettings({ port: '70000' }, {}), /invalid port/);
    assert.throws(() => resolveSettings({ port: 'http' }, {}), /invalid port/);
  });
});

describe('`firebreak config check`', () => {
  let dir: string;
  let broken: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-config-check-'));
    broken = join(dir, 'firebreak.yaml');
    writeFileSync(broken, BROKEN);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a broken file: exit 1 and every problem printed, one per line', async () => {
    const io = bufferIo();
    assert.equal(await main(['config', 'check', '--config', broken], io), 1);
    const expected = issuesOf(BROKEN);
    assert.equal(io.stdout, '');
    const lines = io.stderr.trimEnd().split('\n');
    assert.equal(lines[0], `${broken}: ${expected.length} problem(s)`);
    assert.deepEqual(lines.slice(1), formatIssues(broken, expected).split('\n'));
    assert.ok(io.stderr.includes(`${broken}:${lineOf(BROKEN, 'depends_on: [api, ghost]')}:`));
    assert.match(io.stderr, /unknown service "ghost"/);
    assert.match(io.stderr, /dependency cycle/);
  });

  test('--json prints the issues as data', async () => {
    const io = bufferIo();
    assert.equal(await main(['config', 'check', '--config', broken, '--json'], io), 1);
    const out = JSON.parse(io.stdout);
    assert.equal(out.ok, false);
    assert.equal(out.path, broken);
    assert.deepEqual(out.issues, issuesOf(BROKEN));
  });

  test('the config can come from FIREBREAK_CONFIG, and env vars are substituted from the Io env', async () => {
    const withEnv = join(dir, 'env.yaml');
    writeFileSync(withEnv, 'organisation:\n  name: ${ORG_NAME}\n');
    const missing = bufferIo({ FIREBREAK_CONFIG: withEnv });
    assert.equal(await main(['config', 'check'], missing), 1);
    assert.match(missing.stderr, /organisation\.name: environment variable ORG_NAME is not set/);
    const set = bufferIo({ FIREBREAK_CONFIG: withEnv, ORG_NAME: 'From Env' });
    assert.equal(await main(['config', 'check'], set), 0, set.stderr);
    assert.match(set.stdout, /organisation: From Env \(UTC\)/);
  });

  test('the example config: exit 0 and a summary', async () => {
    const io = bufferIo();
    assert.equal(await main(['config', 'check', '--config', EXAMPLE_CONFIG_PATH], io), 0, io.stderr);
    assert.equal(io.stderr, '');
    assert.match(io.stdout, new RegExp(`^${EXAMPLE_CONFIG_PATH.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: OK`));
    assert.match(io.stdout, /organisation: MaintAInPro \(Europe\/Berlin\)/);
    assert.match(io.stdout, /services: +11 \(web, api, database/);
    assert.match(io.stdout, /P0 Critical +respond <2m, update every 15m/);
    assert.match(io.stdout, /P3 Low +respond <2h, update every 1d/);
    const json = bufferIo();
    assert.equal(await main(['config', 'check', '--json'], json), 0);
    assert.deepEqual(JSON.parse(json.stdout), { ok: true, path: EXAMPLE_CONFIG_PATH, organisation: 'MaintAInPro', services: 11 });
  });

  test('a missing file: exit 1 with the reason', async () => {
    const io = bufferIo();
    assert.equal(await main(['config', 'check', '--config', join(dir, 'nope.yaml')], io), 1);
    assert.match(io.stderr, /cannot read .*nope\.yaml: ENOENT/);
  });
});

describe('settings', () => {
  test('trust-proxy parses off, true, hop counts and address lists', () => {
    assert.equal(resolveSettings({}, {}).trustProxy, false);
    assert.equal(resolveSettings({}, { FIREBREAK_TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(resolveSettings({ 'trust-proxy': '2' }, {}).trustProxy, 2);
    assert.equal(resolveSettings({}, { FIREBREAK_TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy, '10.0.0.0/8,127.0.0.1');
    assert.throws(() => resolveSettings({ port: 'eighty' }, {}), /invalid port/);
  });
});
