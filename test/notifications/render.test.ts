import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeHtml, messageLinks, oneLine, renderSummary, renderTitle } from '../../src/modules/notifications/providers/render.ts';
import { message } from './helpers.ts';

describe('notification rendering', () => {
  test('titles by kind and escalation level', () => {
    const cases: [Parameters<typeof message>[0], string][] = [
      [{}, '[P0] INC-42 Database down'],
      [{ escalation: { level: 2, round: 1, reason: 'level 1 did not acknowledge' } }, 'Escalated (level 2): [P0] INC-42 Database down'],
      [{ escalation: { level: 1, round: 2, reason: 'repeat' } }, 'Escalated (level 1, round 2): [P0] INC-42 Database down'],
      [{ kind: 'acknowledged' }, 'Acknowledged: [P0] INC-42 Database down'],
      [{ kind: 'resolved' }, 'Resolved: [P0] INC-42 Database down'],
      [{ kind: 'update' }, 'Update: [P0] INC-42 Database down'],
      [{ kind: 'reminder' }, 'Reminder: [P0] INC-42 Database down'],
      [{ kind: 'test' }, 'Test: [P0] INC-42 Database down'],
      [{ kind: 'stakeholder' }, 'Stakeholder notice: [P0] INC-42 Database down'],
      [{ incident: { title: 'two\nlines\u0007 here', severity: 'P2' } }, '[P2] INC-42 two lines here'],
    ];
    for (const [over, title] of cases) assert.equal(renderTitle(message(over)), title);
    assert.equal(renderTitle(message({ incident: { title: 'x'.repeat(500) } })).length, 250);
  });

  test('the plain-text summary has the facts, the body, the escalation reason and the links', () => {
    const text = renderSummary(message({ kind: 'update', body: 'Failover done.\r\nWatching.', recipient: 'Alice', escalation: { level: 2, round: 1, reason: 'level 1 timed out' } }));
    assert.equal(
      text,
      [
        'Severity: P0 Critical: Complete loss of service or security incident',
        'State: triggered',
        'Services: database, api',
        'Impact: customer-facing: yes, 35% of users, impacted services: api, database, web',
        'Detected: 2024-05-01 12:00:00 UTC',
        'Escalation: level 2, round 1: level 1 timed out',
        'For: Alice',
        '',
        'Failover done.\nWatching.',
        '',
        'Acknowledge: https://firebreak.example.com/l/ack-tok-111',
        'Resolve: https://firebreak.example.com/l/res-tok-222',
        'Incident: https://firebreak.example.com/incidents/INC-42',
      ].join('\n'),
    );
    assert.match(renderSummary(message({ incident: { impact: { customer_facing: false, user_share: 0.125, impacted_services: [] } } })), /customer-facing: no, 12\.5% of users, impacted services: none recorded/);
  });

  test('links: only those present, incident last; helpers escape and flatten', () => {
    assert.deepEqual(messageLinks(message({ links: undefined })).map((l) => l.label), ['Open incident']);
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.equal(oneLine('a\n\tb\u0000c  d', 5), 'a b …');
  });
});
