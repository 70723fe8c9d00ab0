import assert from 'node:assert/strict';
import { parseConfigText, type ConfigIssue } from '../../src/config/load.ts';

export const KEY_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
export const KEY_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

/** A minimal config with two services and the given `integrations:` block. */
export const file = (integrations: string) => `version: 1
organisation:
  name: Test
services:
  - id: database
    name: Database
    tier: p0
  - id: api
    name: API
    tier: p0
integrations:
${integrations}`;

/** A generic integration for CloudWatch alarms through an SNS HTTPS subscription: the alarm is JSON inside the `Message` string. */
export const CLOUDWATCH_KEY = 'c10d7a1e5b9f4e2a8d3c6b0f7e1a2d94';
export const CLOUDWATCH_SNS_INTEGRATION = `  - id: cloudwatch
    name: CloudWatch via SNS
    type: generic
    key: ${CLOUDWATCH_KEY}
    service: database
    parse_json: [Message]
    mapping:
      summary: Message.AlarmName
      dedup_key: Message.AlarmArn
      status: Message.NewStateValue
      timestamp: Message.StateChangeTime
      source: Message.Trigger.Namespace
      severity: Message.Trigger.Dimensions[0].value
`;

/** The issues of a config that must be invalid. */
export function issuesOf(text: string, env: Record<string, string> = {}): ConfigIssue[] {
  const r = parseConfigText(text, env);
  assert.equal(r.ok, false, 'expected the config to be invalid');
  return (r as { issues: ConfigIssue[] }).issues;
}
