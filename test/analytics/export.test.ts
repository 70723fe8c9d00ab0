import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DIALECTS } from '../helpers/dialects.ts';
import type { TestApp, TestEnv } from '../helpers/env.ts';
import { assertError } from '../http/support.ts';
import { PERIOD, useAnalyticsFixture } from './fixture.ts';

const REPORTS = ['response', 'quality', 'availability', 'postmortems', 'patterns'];

/** Splits RFC 4180 text into rows of cells (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  assert.equal(cell + row.join(''), '', 'the document ends with CRLF');
  return rows;
}

for (const { name, skip } of DIALECTS) {
  describe(`analytics export and input [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useAnalyticsFixture(name, import.meta.url, (e, a) => ((env = e), (t = a)));
    const qs = (extra: Record<string, string> = {}) => new URLSearchParams({ ...PERIOD, ...extra }).toString();

    test('every report as CSV: a header row, RFC 4180, a file name; the same figures as the JSON', async () => {
      for (const report of REPORTS) {
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/analytics/${report}?${qs({ format: 'csv' })}`, headers: t.auth.viewer });
        assert.equal(res.statusCode, 200, res.body);
        assert.match(String(res.headers['content-type']), /^text\/csv; charset=utf-8/);
        assert.equal(res.headers['content-disposition'], `attachment; filename="firebreak-${report}-20260501T0000-20260601T0000.csv"`);
        const rows = parseCsv(res.body);
        assert.ok(rows.length >= 2, `${report}: ${res.body}`);
        for (const r of rows) assert.equal(r.length, rows[0].length, `${report}: ragged row ${r.join('|')}`);
      }
      const csv = parseCsv((await t.app.inject({ method: 'GET', url: `/api/v1/analytics/response?${qs({ format: 'csv' })}`, headers: t.auth.viewer })).body);
      assert.deepEqual(csv[0], ['from', 'to', 'service', 'severity', 'kpi', 'incidents', 'count', 'mean_ms', 'p90_ms', 'target_ms', 'within_target', 'share_within_target']);
      assert.equal(csv.length, 1 + 4 * 4);
      assert.deepEqual(csv.find((r) => r[3] === 'P0' && r[4] === 'acknowledge'), ['2026-05-01T00:00:00.000Z', '2026-06-01T00:00:00.000Z', '', 'P0', 'acknowledge', '3', '3', '120000', '180000', '120000', '2', '0.6667']);
      // Empty cells for figures that do not exist (no P2 was resolved).
      assert.deepEqual(csv.find((r) => r[3] === 'P2' && r[4] === 'resolve')!.slice(6), ['0', '', '', '14400000', '0', '']);
      const quality = parseCsv((await t.app.inject({ method: 'GET', url: `/api/v1/analytics/quality?${qs({ format: 'csv' })}`, headers: t.auth.viewer })).body);
      assert.deepEqual(quality.find((r) => r[4] === 'status_page_post')!.slice(5), ['2', '4', '0.5', '300000', '3', '310000', '420000']);
      const availability = parseCsv((await t.app.inject({ method: 'GET', url: `/api/v1/analytics/availability?${qs({ format: 'csv', service: 'api' })}`, headers: t.auth.viewer })).body);
      assert.deepEqual(availability[1].slice(2), ['api', '99.99', 'api-tcp', '89280', '30', '99.9664', 'false', '-2.3602', '3.3602', '83.3333', '0']);
    });

    test('Accept: text/csv asks for CSV; ?format wins over the header', async () => {
      const byHeader = await t.app.inject({ method: 'GET', url: `/api/v1/analytics/postmortems?${qs()}`, headers: { ...t.auth.viewer, accept: 'text/csv' } });
      assert.match(String(byHeader.headers['content-type']), /^text\/csv/);
      assert.equal(byHeader.body.split('\r\n')[0], 'from,to,severity,service,kpi,count,of,share,target');
      const json = await t.app.inject({ method: 'GET', url: `/api/v1/analytics/postmortems?${qs({ format: 'json' })}`, headers: { ...t.auth.viewer, accept: 'text/csv' } });
      assert.match(String(json.headers['content-type']), /^application\/json/);
      assert.equal(json.json().postmortems.total, 4);
      const browser = await t.app.inject({ method: 'GET', url: `/api/v1/analytics/postmortems?${qs()}`, headers: { ...t.auth.viewer, accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      assert.match(String(browser.headers['content-type']), /^application\/json/);
    });

    test('cells a spreadsheet would run as formulas are defused; quotes and commas are quoted', async () => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/analytics/patterns?${qs({ format: 'csv' })}`, headers: t.auth.viewer });
      assert.ok(res.body.includes(`"'grafana/=cmd|' /C calc'!A0"`) === false, 'the key is not where a formula starts');
      const rows = parseCsv(res.body);
      const firing = rows.filter((r) => r[0] === 'alerts_firing_most').map((r) => r[2]);
      assert.deepEqual(firing, ['datadog/noise', 'prometheus/api-down', 'grafana/docs-404', 'database-monitoring/db/replica-lag', "grafana/=cmd|' /C calc'!A0"]);
      assert.equal(rows.filter((r) => r[0] === 'heat_map').length, 7 * 24);
      // Unit: every leading = + - @ (and tab, CR) gets a quote; a negative number stays a number.
      const { toCsv } = await import('../../src/modules/analytics/index.ts');
      assert.equal(
        toCsv(['a', 'b'], [['=1+2', '+SUM(A1)'], ['-2+3', '@cmd'], ['\tx', 'a,"b"'], [-5, null], ['line\nbreak', true]]),
        `a,b\r\n'=1+2,'+SUM(A1)\r\n'-2+3,'@cmd\r\n'\tx,"a,""b"""\r\n-5,\r\n"line\nbreak",true\r\n`,
      );
    });

    test('bad query parameters → 400 VALIDATION_FAILED on every report', async () => {
      const bad = [
        'from=yesterday',
        'to=2026-13-45T00:00:00Z',
        'from=2026-05-01',
        'from=2026-06-01T00:00:00Z&to=2026-05-01T00:00:00Z',
        'from=2022-01-01T00:00:00Z&to=2026-01-02T00:00:00Z',
        'severity=P9',
        'severity=P0,,P1',
        'severity=p0',
        'service=nope',
        'service=' + 'x'.repeat(64),
        'format=xml',
        'limit=0',
        'limit=101',
        'limit=ten',
        'unknown=1',
        'from=2026-05-01T00:00:00Z&from=2026-05-02T00:00:00Z',
      ];
      for (const report of REPORTS) {
        for (const q of bad) {
          const res = await t.app.inject({ method: 'GET', url: `/api/v1/analytics/${report}?${q}`, headers: t.auth.viewer });
          assertError(res, 400, 'VALIDATION_FAILED');
        }
      }
      // At the edges: from = to is an empty period, exactly three years is allowed.
      for (const q of ['from=2026-05-01T00:00:00Z&to=2026-05-01T00:00:00Z', 'from=2023-06-01T00:00:00Z&to=2026-06-01T00:00:00Z', 'severity=P3,P0&limit=100', 'from=2026-05-01T02:00:00%2B02:00']) {
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/analytics/response?${q}`, headers: t.auth.viewer });
        assert.equal(res.statusCode, 200, `${q}: ${res.body}`);
      }
    });

    test('signed in only: anonymous callers are refused, viewers and read tokens may read', async () => {
      for (const report of REPORTS) {
        assertError(await t.app.inject({ method: 'GET', url: `/api/v1/analytics/${report}` }), 401, 'UNAUTHENTICATED');
        assertError(await t.app.inject({ method: 'GET', url: `/api/v1/analytics/${report}?format=csv` }), 401, 'UNAUTHENTICATED');
        for (const headers of [t.auth.viewer, t.auth.token]) assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/analytics/${report}`, headers })).statusCode, 200);
      }
    });
  });
}
