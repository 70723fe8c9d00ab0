import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { EXAMPLE_CONFIG_PATH, formatIssues, loadConfigFile, parseConfigText } from '../../src/config/load.ts';
import { runbookSchema, runbookVersion } from '../../src/config/runbook-schema.ts';
import { startRun } from '../../src/modules/runbooks/index.ts';
import { createTestEnv } from '../helpers/env.ts';

const EXAMPLES = dirname(EXAMPLE_CONFIG_PATH);
const EXAMPLE_TEXT = readFileSync(EXAMPLE_CONFIG_PATH, 'utf8');
const withRunbooks = (section: string) => `${EXAMPLE_TEXT}\nrunbooks:\n${section}\n`;

describe('runbook configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-runbook-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the example regional failover validates, with its file, version and every step', () => {
    const result = parseConfigText(withRunbooks('  files: [runbooks/*.yaml]\n  connections:\n    - { id: dr-database, url: "${DR_DATABASE_URL}" }'), { DR_DATABASE_URL: 'postgres://dr.internal/app' }, { baseDir: EXAMPLES });
    assert.ok(result.ok, result.ok ? '' : formatIssues('firebreak.yaml', result.issues));
    const [rb] = result.config.runbooks.runbooks;
    assert.equal(rb.definition.id, 'regional-failover');
    assert.equal(rb.source, join('runbooks', 'regional-failover.yaml'));
    assert.match(rb.version, /^[0-9a-f]{12}$/);
    const ids = rb.definition.steps.map((s) => s.id);
    assert.ok(ids.indexOf('confirm') < ids.indexOf('promote'), 'the approval comes before promoting');
  });

  test('the example regional failover dry-runs: the plan, resolved, with nothing run', async () => {
    const result = parseConfigText(withRunbooks('  files: [runbooks/regional-failover.yaml]\n  connections:\n    - { id: dr-database, url: "postgres://dr.internal/app" }'), {}, { baseDir: EXAMPLES });
    assert.ok(result.ok);
    const env = await createTestEnv('sqlite', import.meta.url);
    try {
      env.config.current = result.config;
      const ctx = env.ctx(env.users.responder.actor);
      const { run, plan } = await startRun(ctx, 'regional-failover', { variables: { reason: 'region-outage', dr_region: 'eu-central-1' }, dry_run: true });
      assert.equal(run.status, 'succeeded');
      const promote = plan!.steps.find((s) => s.path === 'promote')!;
      assert.deepEqual((promote.inputs as { command: string[] }).command, ['aws', 'rds', 'promote-read-replica', '--db-instance-identifier', 'maintainpro-production-replica', '--region', 'eu-central-1']);
      const confirm = plan!.steps.find((s) => s.path === 'confirm')!;
      assert.match(String((confirm.inputs as { message: string }).message), /from us-west-2 to eu-central-1 \(reason: region-outage\)/);
      assert.ok(plan!.steps.some((s) => s.path === 'scale/scale-web'));
      assert.deepEqual(plan!.rollback.map((s) => s.path), ['rollback/restore-dns', 'rollback/note-rollback', 'rollback/notify-rollback']);
      assert.equal((await env.db.kysely.selectFrom('runbook_step_runs').selectAll().execute()).length, 0);
    } finally {
      await env.close();
    }
  });

  test('errors in a runbook file name the file, line, step and field', () => {
    mkdirSync(join(dir, 'runbooks'), { recursive: true });
    writeFileSync(
      join(dir, 'runbooks', 'broken.yaml'),
      [
        'id: broken',
        'name: Broken',
        'steps:',
        '  - id: check',
        '    type: http',
        '    url: http://10.0.0.1/',
        '  - id: promote',
        '    type: command',
        '    command: pg_ctl promote',
        '    timeout: soon',
        '  - id: query',
        '    type: sql',
        '    connection: nowhere',
        '    query: select 1',
        '  - id: later',
        '    type: teleport',
      ].join('\n'),
    );
    const result = parseConfigText(withRunbooks('  files: [runbooks/*.yaml]'), {}, { baseDir: dir });
    assert.equal(result.ok, false);
    const text = formatIssues('firebreak.yaml', result.ok ? [] : result.issues);
    assert.match(text, /runbooks\/broken\.yaml:10:\d+ steps\[1\]\.timeout: runbook "broken", step "promote", field timeout: invalid duration "soon"/);
    assert.match(text, /runbooks\/broken\.yaml:16:\d+ steps\[3\]\.type: runbook "broken", step "later", field type: /);
    // Rules within a step are checked once its fields have the right shapes.
    writeFileSync(join(dir, 'runbooks', 'broken.yaml'), ['id: broken', 'name: Broken', 'steps:', '  - id: check', '    type: http', '    url: http://10.0.0.1/', '  - id: promote', '    type: command', '    command: pg_ctl promote'].join('\n'));
    const shell = parseConfigText(withRunbooks('  files: [runbooks/*.yaml]'), {}, { baseDir: dir });
    assert.match(formatIssues('firebreak.yaml', shell.ok ? [] : shell.issues), /runbooks\/broken\.yaml:9:\d+ steps\[1\]\.command: runbook "broken", step "promote", field command: a command string runs through a shell/);
    // Cross-references are checked once the file itself is valid.
    writeFileSync(join(dir, 'runbooks', 'broken.yaml'), ['id: broken', 'name: Broken', 'steps:', '  - id: query', '    type: sql', '    connection: nowhere', '    query: select 1', '  - id: use', '    type: http', '    url: "${{ steps.later.output.x }}/${{ vars.missing }}"', '  - id: later', '    type: http', '    url: http://10.0.0.1/'].join('\n'));
    const second = parseConfigText(withRunbooks('  files: [runbooks/broken.yaml]'), {}, { baseDir: dir });
    const text2 = formatIssues('firebreak.yaml', second.ok ? [] : second.issues);
    assert.match(text2, /runbooks\/broken\.yaml:6:\d+ steps\[0\]\.connection: runbook "broken", step "query", field connection: unknown connection "nowhere"/);
    assert.match(text2, /step "use": refers to step "later", which is not an earlier step/);
    assert.match(text2, /step "use": refers to variable "missing", which the runbook does not declare/);
  });

  test('inline runbooks are validated in place; duplicates and missing files are reported', () => {
    const inline = (retries: number) => withRunbooks(['  definitions:', '    - id: one', '      name: One', '      steps:', `        - { id: a, type: command, command: [echo], retries: ${retries} }`, '        - { id: a, type: approval, message: ok? }'].join('\n'));
    const result = parseConfigText(inline(-1), {}, { baseDir: dir });
    assert.match(formatIssues('firebreak.yaml', result.ok ? [] : result.issues), /firebreak\.yaml:\d+:\d+ runbooks\.definitions\[0\]\.steps\[0\]\.retries: runbook "one", step "a", field retries: /);
    const dup = parseConfigText(inline(0), {}, { baseDir: dir });
    assert.match(formatIssues('firebreak.yaml', dup.ok ? [] : dup.issues), /runbooks\.definitions\[0\]\.steps\[1\]\.id: runbook "one", step "a", field id: duplicate step id "a"/);
    const missing = parseConfigText(withRunbooks('  files: [nothing/*.yaml]'), {}, { baseDir: dir });
    assert.match(formatIssues('firebreak.yaml', missing.ok ? [] : missing.issues), /runbooks\.files\[0\]: no runbook file matches "nothing\/\*\.yaml"/);
  });

  test('wait_for takes exactly one condition; an incident condition names a known service', () => {
    const waitFor = (step: string) => withRunbooks(['  definitions:', '    - id: one', '      name: One', '      steps:', `        - ${step}`].join('\n'));
    const ok = parseConfigText(waitFor('{ id: detect, type: wait_for, incident: { service: database, min_severity: P0 }, timeout: 5m }'), {}, { baseDir: dir });
    assert.ok(ok.ok, ok.ok ? '' : formatIssues('firebreak.yaml', ok.issues));
    const step = ok.config.runbooks.runbooks[0].definition.steps[0] as { incident?: { service: string; min_severity: string } };
    assert.deepEqual(step.incident, { service: 'database', min_severity: 'P0' });
    const both = parseConfigText(waitFor('{ id: detect, type: wait_for, monitor: db, incident: { service: database } }'), {}, { baseDir: dir });
    assert.match(formatIssues('firebreak.yaml', both.ok ? [] : both.issues), /step "detect", field monitor: give exactly one of monitor, http or incident/);
    const unknown = parseConfigText(waitFor('{ id: detect, type: wait_for, incident: { service: nowhere } }'), {}, { baseDir: dir });
    assert.match(formatIssues('firebreak.yaml', unknown.ok ? [] : unknown.issues), /steps\[0\]\.incident\.service: runbook "one", step "detect", field incident\.service: unknown service "nowhere"/);
  });

  test('a when condition is an assertion on earlier steps and declared variables', () => {
    const runbook = (when: string) => withRunbooks(['  definitions:', '    - id: one', '      name: One', '      steps:', '        - { id: a, type: command, command: [echo] }', `        - { id: b, type: command, command: [echo], when: '${when}' }`].join('\n'));
    const ok = parseConfigText(runbook('$.steps.a.output.exit_code == 0'), {}, { baseDir: dir });
    assert.ok(ok.ok, ok.ok ? '' : formatIssues('firebreak.yaml', ok.issues));
    const bad = (when: string) => {
      const r = parseConfigText(runbook(when), {}, { baseDir: dir });
      return formatIssues('firebreak.yaml', r.ok ? [] : r.issues);
    };
    assert.match(bad('$.steps.b.status == "skipped"'), /step "b", field when: the condition reads step "b", which is not an earlier step/);
    assert.match(bad('$.vars.nope == 1'), /field when: the condition reads variable "nope", which the runbook does not declare/);
    assert.match(bad('$.steps.a ~ 3'), /field when: bad assertion/);
  });

  test('config check reads runbook files relative to the config file', () => {
    const cfg = join(dir, 'firebreak.yaml');
    writeFileSync(join(dir, 'runbooks', 'ok.yaml'), 'id: ok\nname: OK\nsteps:\n  - { id: hello, type: command, command: [echo, hi] }\n');
    writeFileSync(cfg, withRunbooks('  files: [runbooks/ok.yaml]'));
    const result = loadConfigFile(cfg, {});
    assert.ok(result.ok, result.ok ? '' : formatIssues(cfg, result.issues));
    assert.equal(result.config.runbooks.runbooks[0].source, join('runbooks', 'ok.yaml'));
  });

  test('a version is a hash of the normalized definition: layout and spelled-out defaults do not change it', () => {
    const a = runbookSchema.parse({ id: 'x', name: 'X', steps: [{ id: 's', type: 'command', command: ['true'] }] });
    const b = runbookSchema.parse({ steps: [{ command: ['true'], type: 'command', id: 's', retries: 0, on_failure: 'stop' }], name: 'X', id: 'x' });
    const c = runbookSchema.parse({ id: 'x', name: 'X', steps: [{ id: 's', type: 'command', command: ['false'] }] });
    assert.equal(runbookVersion(a), runbookVersion(b));
    assert.notEqual(runbookVersion(a), runbookVersion(c));
  });
});
