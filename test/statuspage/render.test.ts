import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { XMLValidator } from 'fast-xml-parser';
import { renderBadge, renderHistoryPage, renderIncidentPage, renderNoticePage, renderStatusPage } from '../../src/modules/statuspage/index.ts';
import { TEXT_PAIRS, TONE_COLOURS } from '../../src/modules/statuspage/page-style.ts';
import { dayText, dayTone, formatPercent } from '../../src/modules/statuspage/render-components.ts';
import { ACTIVE, HOSTILE, LATENCY, NOW, OLD_OUTAGE, UPCOMING, between, component, contrast, headingLevels, incident, snapshot, update, uptimeDay } from './render-fixtures.ts';

/** Every real tag of a document (escaped text has no raw "<", so it never matches). */
const tags = (html: string) => [...html.matchAll(/<[a-zA-Z][^<>]*>/g)].map((m) => m[0]);
/** Every href, src and action in a document. */
const urls = (html: string) => [...html.matchAll(/\s(?:href|src|action)="([^"]*)"/g)].map((m) => m[1]);

/** The things no rendering may ever contain, whatever the snapshot says. */
function assertInert(html: string) {
  assert.ok(!/<script/i.test(html), 'a script element');
  assert.ok(!/<img src=x/i.test(html), 'an injected element');
  // Attribute names only: quoted values (whose own quotes are escaped) are blanked first.
  for (const tag of tags(html)) assert.ok(!/\son\w+\s*=/i.test(tag.replace(/"[^"]*"/g, '""')), `an event handler attribute: ${tag}`);
  // The one data: URL is the empty favicon that saves the browser a request.
  for (const u of urls(html)) assert.ok(u === 'data:,' || !/^\s*(javascript|data|vbscript):/i.test(u), `a dangerous URL: ${u}`);
}

describe('status page HTML', () => {
  test('a complete document: landmarks, one h1, headings in order, viewport, inline style, no script', () => {
    const html = renderStatusPage(snapshot());
    assert.match(html, /^<!doctype html>\n<html lang="en">/);
    for (const landmark of ['<header', '<nav', '<main', '<footer']) assert.ok(html.includes(landmark), landmark);
    assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
    const levels = headingLevels(html);
    assert.equal(levels.filter((l) => l === 1).length, 1, 'exactly one h1');
    assert.equal(levels[0], 1);
    levels.forEach((l, i) => assert.ok(i === 0 || l <= levels[i - 1] + 1, `heading level jumps from h${levels[i - 1]} to h${l}`));
    assert.match(html, /<h1 class="brand">.*Acme Cloud status<\/a><\/h1>/);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<link rel="stylesheet"/, 'styles are inline: one request');
    assert.equal(html.match(/<style>/g)?.length, 1);
  });

  test('the Content-Security-Policy allows exactly the inline style sheet and no script', () => {
    const html = renderStatusPage(snapshot());
    const css = between(html, '<style>', '</style>').slice('<style>'.length);
    const hash = createHash('sha256').update(css).digest('base64');
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.ok(csp.includes(`style-src 'sha256-${hash}'`), csp);
    assert.doesNotMatch(csp, /script-src|unsafe/);
  });

  test('organisation name, logo with alt text, configured links, feeds and history as absolute URLs', () => {
    const html = renderStatusPage(snapshot());
    assert.match(html, /<img src="https:\/\/acme\.example\/logo\.svg" alt="Acme Cloud logo"/);
    assert.match(html, /<a href="https:\/\/acme\.example\/help">Help centre<\/a>/);
    assert.match(html, /<link rel="alternate" type="application\/rss\+xml" title="[^"]+" href="https:\/\/status\.acme\.example\/history\.rss">/);
    assert.match(html, /<link rel="alternate" type="application\/atom\+xml" title="[^"]+" href="https:\/\/status\.acme\.example\/history\.atom">/);
    assert.match(html, /href="https:\/\/status\.acme\.example\/history">View incident history</);
    assert.match(html, /href="https:\/\/status\.acme\.example\/api\/v2\/summary\.json"/);
    const noLogo = renderStatusPage(snapshot({ page: { logo_url: null, links: [] } }));
    assert.doesNotMatch(noLogo, /<img/);
    assert.doesNotMatch(noLogo, /Help centre/);
  });

  test('the banner says the overall status in words, coloured by the indicator', () => {
    assert.match(renderStatusPage(snapshot()), /<p class="banner t-minor">Partially Degraded Service<\/p>/);
    const calm = renderStatusPage(snapshot({ status: { indicator: 'none', description: 'All Systems Operational' }, unresolved: [], active: [] }));
    assert.match(calm, /<p class="banner t-ok">All Systems Operational<\/p>/);
    assert.doesNotMatch(calm, /Active incidents|Maintenance in progress/);
    assert.match(renderStatusPage(snapshot({ status: { indicator: 'critical', description: 'Major System Outage' } })), /banner t-critical">Major System Outage</);
  });

  test('components: groups with members, every status in words, hidden ones only when degraded', () => {
    const html = renderStatusPage(snapshot());
    const section = between(html, '<h2 id="components-h">', '</section>');
    assert.match(section, /<h3>Core Platform<\/h3><span class="st t-minor">Degraded performance<\/span>/);
    assert.match(section, /<ul class="members"><li><div class="comp-head"><h4>Public API<\/h4><span class="st t-minor">Degraded performance<\/span>/);
    assert.match(section, /<h4>Primary Database<\/h4><span class="st t-ok">Operational<\/span>/);
    assert.match(section, /<h3>Dashboard<\/h3><span class="st t-ok">Operational<\/span>/);
    assert.match(section, /REST and webhook delivery/);
    assert.doesNotMatch(section, /Email delivery/, 'only_show_if_degraded while operational');

    const s = snapshot();
    s.components[4] = { ...s.components[4], status: 'major_outage' };
    assert.match(renderStatusPage(s), /<h3>Email delivery<\/h3><span class="st t-critical">Major outage<\/span>/);

    // A group whose members are all hidden disappears with them.
    const hiddenGroup = snapshot({
      components: [component({ id: 'grp', name: 'Hidden group', group: true, components: ['a'] }), component({ id: 'a', name: 'Only member', group_id: 'grp', only_show_if_degraded: true })],
    });
    const shown = between(renderStatusPage(hiddenGroup), '<main', 'id="subscribe"');
    assert.ok(!/Hidden group|Only member/.test(shown), 'the group and its hidden member are not listed');
    assert.match(renderStatusPage(hiddenGroup), /value="a"/, 'but one can still subscribe to the member');
    assert.doesNotMatch(renderStatusPage(snapshot({ components: [] })), /components-h/);
  });

  test('uptime bars: one list item per day with its words, the period uptime, colours by severity', () => {
    const html = renderStatusPage(snapshot());
    const api = between(html, '<h4>Public API</h4>', '<h4>Primary Database</h4>');
    const items = [...api.matchAll(/<li(?: class="o")?><span class="b t-(\w+)"><\/span><span class="vh tip">([^<]*)<\/span><\/li>/g)];
    assert.equal(items.length, 90);
    assert.deepEqual(items[0].slice(1), ['nodata', '2025-12-11: no data']);
    assert.deepEqual(items[50].slice(1), ['critical', '2026-01-30: 97.50% uptime, 36 min major outage, 1 incident']);
    assert.deepEqual(items[70].slice(1), ['minor', '2026-02-19: 100% uptime, 45 min degraded performance']);
    assert.deepEqual(items[89].slice(1), ['major', '2026-03-10: 99.95% uptime, 2 min partial outage, 1 incident']);
    assert.deepEqual(items[20].slice(1), ['ok', '2025-12-31: 100% uptime']);
    // The oldest 60 are marked to be hidden on phones; the last 30 always show.
    assert.equal([...api.matchAll(/<li class="o">/g)].length, 60);
    assert.match(api, /aria-label="Public API: uptime by day, oldest first"/);
    assert.match(api, /<p class="meta">99\.96% uptime over the past 90 days<\/p>/);
    // Dashboard is not showcased: no bars.
    assert.doesNotMatch(between(html, '<h3>Dashboard</h3>', '</li>'), /class="bars"/);
    assert.match(html, /<ul class="legend"/);
  });

  test('day colours and words follow the minutes and the uptime', () => {
    const day = (over: Parameters<typeof uptimeDay>[1]) => uptimeDay('2026-03-10', over);
    const minutes = (m: Partial<Record<'major_outage' | 'partial_outage' | 'degraded_performance' | 'under_maintenance', number>>) => ({ major_outage: 0, partial_outage: 0, degraded_performance: 0, under_maintenance: 0, ...m });
    assert.equal(dayTone(day({ uptime: null })), 'nodata');
    assert.equal(dayTone(day({})), 'ok');
    assert.equal(dayTone(day({ minutes: minutes({ under_maintenance: 60 }) })), 'maintenance');
    assert.equal(dayTone(day({ minutes: minutes({ degraded_performance: 5 }) })), 'minor');
    assert.equal(dayTone(day({ uptime: 99.95 })), 'minor');
    assert.equal(dayTone(day({ uptime: 99.95, minutes: minutes({ partial_outage: 2 }) })), 'major');
    assert.equal(dayTone(day({ uptime: 99.5 })), 'major');
    assert.equal(dayTone(day({ uptime: 98, minutes: minutes({ major_outage: 29 }) })), 'critical');
    assert.equal(formatPercent(99.999), '99.99%', 'never rounded up');
    assert.equal(formatPercent(99.95), '99.95%');
    assert.equal(formatPercent(100), '100%');
    assert.equal(
      dayText(day({ uptime: 90, minutes: minutes({ major_outage: 125, under_maintenance: 30 }), incidents: [{ id: 'a', name: 'A', impact: 'critical' }, { id: 'b', name: 'B', impact: 'minor' }, { id: 'm', name: 'M', impact: 'maintenance' }] })),
      '2026-03-10: 90.00% uptime, 2 h 5 min major outage, 30 min maintenance, 2 incidents, 1 maintenance',
    );
  });

  test('incidents and maintenances: cards link to their pages with the latest updates; upcoming shows its window', () => {
    const html = renderStatusPage(snapshot());
    const active = between(html, '<h2 id="incidents-h">', '</section>');
    assert.match(active, /<h3><a href="https:\/\/status\.acme\.example\/incidents\/inc5lat00042">Elevated API latency in EU region<\/a><\/h3>/);
    assert.match(active, /Minor impact.*Status: <span class="tag">Identified/);
    assert.ok(active.indexOf('A saturated connection pool') < active.indexOf('We are investigating slower'), 'newest update first');
    assert.match(active, /Affected: Public API/);
    const maint = between(html, '<h2 id="active-h">', '</section>');
    assert.match(maint, /CDN certificate rotation.*In progress/);
    const upcoming = between(html, '<h2 id="upcoming-h">', '</section>');
    assert.match(upcoming, /Scheduled: <time datetime="2026-03-14T01:00:00\.000Z">14 Mar 2026, 02:00 CET<\/time> to <time datetime="2026-03-14T02:00:00\.000Z">14 Mar 2026, 03:00 CET<\/time>/);

    // A long-running incident shows its three latest updates and links to the rest.
    const chatty = incident({ id: 'chatty1', name: 'Chatty', updates: Array.from({ length: 5 }, (_, i) => update({ id: `u${i}`, body: `Update number ${5 - i}` })) });
    const many = renderStatusPage(snapshot({ unresolved: [chatty] }));
    assert.match(many, /Update number 5/);
    assert.match(many, /Update number 3/);
    assert.doesNotMatch(many, /Update number 2/);
    assert.match(many, /All 5 updates<span class="vh"> for Chatty<\/span>/);
  });

  test('times are in the page zone, named, inside <time datetime>', () => {
    const html = renderStatusPage(snapshot());
    assert.match(html, /Last updated <time datetime="2026-03-10T08:32:00\.000Z">10 Mar 2026, 09:32 CET<\/time>/);
    assert.match(html, /Times are shown in Europe\/Berlin \(CET\)/);
    const ny = renderStatusPage(snapshot({ page: { time_zone: 'America/New_York' } }));
    assert.match(ny, /<time datetime="2026-03-10T08:32:00\.000Z">10 Mar 2026, 04:32 GMT-4<\/time>/);
    const summer = renderIncidentPage(snapshot(), { ...LATENCY, updates: [update({ id: 'u', display_at: Date.UTC(2026, 6, 1, 12, 0) })] });
    assert.match(summer, /1 Jul 2026, 14:00 CEST/);
  });

  test('subscribe forms follow the config: email, webhook, both or neither; components are leaves', () => {
    const both = renderStatusPage(snapshot());
    const forms = [...both.matchAll(/<form class="sub" method="post" action="\/status\/subscribe"[^>]*>(.*?)<\/form>/g)].map((m) => m[1]);
    assert.equal(forms.length, 2);
    assert.match(forms[0], /<input type="hidden" name="kind" value="email">/);
    assert.match(forms[0], /<label for="sub-email">Email address<\/label><input id="sub-email" name="email" type="email" required/);
    assert.match(forms[1], /<input type="hidden" name="kind" value="webhook">/);
    assert.match(forms[1], /<label for="sub-url">Webhook URL<\/label><input id="sub-url" name="url" type="url" required/);
    for (const f of forms) {
      const values = [...f.matchAll(/type="checkbox" id="([^"]+)" name="components" value="([^"]+)"/g)];
      assert.deepEqual(values.map((v) => v[2]), ['cmpapi000001', 'cmpdb0000002', 'cmpweb000003', 'cmpmail00004'], 'leaf components only');
      for (const [, id] of values) assert.ok(f.includes(`<label for="${id}">`), `label for ${id}`);
    }
    assert.match(forms[0], /<label for="sub-email-c-cmpapi000001">Core Platform: Public API<\/label>/);
    // Ids stay unique across the two forms.
    const ids = [...both.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length);

    const emailOnly = renderStatusPage(snapshot({ page: { subscribe: { email: true, webhook: false } } }));
    assert.match(emailOnly, /value="email"/);
    assert.doesNotMatch(emailOnly, /value="webhook"|name="url"/);
    const neither = renderStatusPage(snapshot({ page: { subscribe: { email: false, webhook: false } } }));
    assert.doesNotMatch(neither, /<form/);
    assert.match(between(neither, 'id="subscribe"', '</section>'), /history\.rss/, 'the feeds remain');
  });

  test('hostile names, bodies and links are escaped everywhere, and no javascript: URL becomes a link', () => {
    const hostile = incident({ id: 'evil1', name: HOSTILE, components: ['x'], updates: [update({ id: 'u', body: `${HOSTILE}\n\nsecond & "third"`, affected_components: [{ code: 'x', name: HOSTILE, old_status: 'operational', new_status: 'major_outage' }] })], postmortem_body: HOSTILE, postmortem_published_at: NOW });
    const s = snapshot({
      page: { name: HOSTILE, about: HOSTILE, logo_url: 'javascript:alert(1)', url: 'javascript:alert(1)//', links: [{ label: HOSTILE, url: 'javascript:alert(1)' }, { label: 'ok', url: 'https://acme.example/" onclick="x' }] },
      status: { indicator: 'major', description: HOSTILE },
      components: [component({ id: 'x', name: HOSTILE, description: HOSTILE, status: 'partial_outage' })],
      unresolved: [hostile],
      active: [{ ...ACTIVE, name: HOSTILE }],
      upcoming: [{ ...UPCOMING, name: HOSTILE }],
      uptime: { x: [uptimeDay('2026-03-10', { incidents: [{ id: 'evil1', name: HOSTILE, impact: 'major' }] })] },
    });
    const pages = [
      renderStatusPage(s),
      renderIncidentPage(s, hostile),
      renderHistoryPage(s, [hostile], { number: 2, hasNext: true }),
      renderNoticePage(s, { title: HOSTILE, message: HOSTILE, form: { action: '/status/unsubscribe', button: HOSTILE, fields: { [HOSTILE]: HOSTILE } } }),
    ];
    for (const html of pages) {
      assertInert(html);
      assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'), 'the text survives, escaped');
      // The unsafe page URL falls back to the page's own path rather than being emitted.
      assert.ok(html.includes('href="/status/history"'));
    }
    assert.doesNotMatch(pages[0], /<img/, 'no logo from a javascript: URL');
    assert.match(pages[0], /href="https:\/\/acme\.example\/%22%20onclick=%22x"/, 'quotes in a configured URL are percent-encoded');
    assert.match(pages[1], /second &amp; &quot;third&quot;/);
  });

  test('incident page: name, impact, status, components, every update newest first, the postmortem, a way back', () => {
    const html = renderIncidentPage(snapshot(), OLD_OUTAGE);
    assert.equal(headingLevels(html).filter((l) => l === 1).length, 1);
    assert.match(html, /<h1>Database failover<\/h1>/);
    assert.match(html, /<p class="brand">.*Acme Cloud status<\/a><\/p>/, 'the brand is not a heading here');
    assert.match(html, /<dt>Status<\/dt><dd>Postmortem<\/dd>/);
    assert.match(html, /<dt>Impact<\/dt><dd>Critical impact<\/dd>/);
    assert.match(html, /<dt>Affected components<\/dt><dd>Public API, Primary Database<\/dd>/, 'in page order');
    assert.match(html, /<dt>Resolved<\/dt><dd><time datetime="2026-01-29T09:18:00\.000Z">/);
    const updates = between(html, '<h2 id="updates-h">', '</section>');
    assert.ok(updates.indexOf('<strong>Resolved</strong>') < updates.indexOf('<strong>Investigating</strong>'));
    assert.match(html, /<h2 id="postmortem-h">Postmortem<\/h2><p class="meta">Published <time/);
    assert.match(html, /<p>Summary: a disk filled up\.<\/p><p>What we changed: alerts at 80%\.<br>And a second line\.<\/p>/);
    assert.match(html, /<a href="https:\/\/status\.acme\.example">Back to current status<\/a>/);
    assert.match(html, /<link rel="canonical" href="https:\/\/status\.acme\.example\/incidents\/inc0old">/);
    assert.doesNotMatch(renderIncidentPage(snapshot(), LATENCY), /Postmortem<\/h2>/);

    const maint = renderIncidentPage(snapshot(), UPCOMING);
    assert.match(maint, /<dt>Type<\/dt><dd>Maintenance<\/dd>/);
    assert.match(maint, /<dt>Scheduled<\/dt><dd><time datetime="2026-03-14T01:00:00\.000Z">14 Mar 2026, 02:00 CET<\/time> to /);
    assert.match(renderIncidentPage(snapshot(), incident({ id: 'quiet' })), /No updates have been posted/);
  });

  test('history: grouped by month, with pagination links only where there is a page', () => {
    const s = snapshot();
    const first = renderHistoryPage(s, [LATENCY, UPCOMING, OLD_OUTAGE], { number: 1, hasNext: true });
    assert.equal(headingLevels(first)[0], 1);
    assert.match(first, /<h1>Incident history<\/h1>/);
    assert.match(first, /<h2>March 2026<\/h2>.*Elevated API latency.*Primary database minor-version upgrade.*<h2>January 2026<\/h2>.*Database failover/s);
    assert.match(first, /<a rel="next" href="https:\/\/status\.acme\.example\/history\?page=2">Older entries<\/a>/);
    assert.doesNotMatch(first, /rel="prev"/);
    assert.match(first, /aria-current="page">History</);

    const middle = renderHistoryPage(s, [OLD_OUTAGE], { number: 3, hasNext: true });
    assert.match(middle, /<a rel="prev" href="https:\/\/status\.acme\.example\/history\?page=2">Newer entries<\/a><a rel="next" href="https:\/\/status\.acme\.example\/history\?page=4">/);
    const second = renderHistoryPage(s, [OLD_OUTAGE], { number: 2, hasNext: false });
    assert.match(second, /rel="prev" href="https:\/\/status\.acme\.example\/history">/, 'page 1 has the plain URL');
    assert.doesNotMatch(second, /rel="next"/);
    const empty = renderHistoryPage(s, [], { number: 1, hasNext: false });
    assert.match(empty, /No incidents or maintenance have been reported/);
    assert.doesNotMatch(empty, /class="pages"/);
  });

  test('notice page: the frame, the message, a form with its fields, never a javascript: action', () => {
    const html = renderNoticePage(snapshot(), { title: 'Unsubscribe', message: 'Stop all email from Acme Cloud?', status: 200, form: { action: '/status/unsubscribe/tok123', button: 'Unsubscribe', fields: { token: 'a"b' } } });
    assert.match(html, /<h1>Unsubscribe<\/h1><p>Stop all email from Acme Cloud\?<\/p>/);
    assert.match(html, /<form method="post" action="\/status\/unsubscribe\/tok123"><input type="hidden" name="token" value="a&quot;b"><button type="submit">Unsubscribe<\/button><\/form>/);
    assert.match(html, /<meta name="robots" content="noindex">/);
    for (const landmark of ['<header', '<nav', '<main', '<footer']) assert.ok(html.includes(landmark), landmark);
    for (const action of ['javascript:alert(1)', '//evil.example/x', ' javascript:x']) {
      assertInert(renderNoticePage(snapshot(), { title: 't', message: 'm', form: { action, button: 'Go' } }));
      assert.doesNotMatch(renderNoticePage(snapshot(), { title: 't', message: 'm', form: { action, button: 'Go' } }), /<form/);
    }
    assert.doesNotMatch(renderNoticePage(snapshot(), { title: 'Confirmed', message: 'You are subscribed.' }), /<form/);
  });

  test('every text colour meets WCAG AA; the no-data grey meets 3:1 for graphics', () => {
    for (const { name, fg, bg } of TEXT_PAIRS) assert.ok(contrast(fg, bg) >= 4.5, `${name}: ${contrast(fg, bg).toFixed(2)}:1`);
    assert.ok(contrast(TONE_COLOURS.nodata, '#ffffff') >= 3);
  });

  test('rendering a large page stays fast', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ ...OLD_OUTAGE, id: `inc${i}`, updates: Array.from({ length: 8 }, (_, j) => update({ id: `u${i}-${j}`, body: 'Body text '.repeat(30) })) }));
    const comps = Array.from({ length: 60 }, (_, i) => component({ id: `c${i}`, name: `Component ${i}` }));
    const s = snapshot({ components: comps, incidents: many, unresolved: many.slice(0, 5), uptime: Object.fromEntries(comps.map((c) => [c.id, snapshot().uptime.cmpapi000001])) });
    renderStatusPage(s);
    const started = performance.now();
    const html = renderStatusPage(s);
    const took = performance.now() - started;
    assert.ok(took < 250, `took ${took.toFixed(1)} ms`);
    assert.equal([...html.matchAll(/class="vh tip"/g)].length, 60 * 90);
  });
});

describe('status badge', () => {
  test('the page badge: name and overall status, in a title, valid SVG', () => {
    const svg = renderBadge(snapshot())!;
    assert.equal(XMLValidator.validate(svg), true);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="20" role="img" aria-label="Acme Cloud: Partially Degraded Service"><title>Acme Cloud: Partially Degraded Service<\/title>/);
    assert.ok(svg.includes(`fill="${TONE_COLOURS.minor}"`));
    assert.match(svg, />Partially Degraded Service<\/text>/);
  });

  test('a component badge: its name and status; unknown component: null; hostile names stay text', () => {
    const svg = renderBadge(snapshot(), 'cmpdb0000002')!;
    assert.match(svg, /<title>Primary Database: Operational<\/title>/);
    assert.ok(svg.includes(`fill="${TONE_COLOURS.ok}"`));
    assert.equal(renderBadge(snapshot(), 'nope'), null);
    const evil = renderBadge(snapshot({ components: [component({ id: 'x', name: HOSTILE, status: 'major_outage' })] }), 'x')!;
    assert.equal(XMLValidator.validate(evil), true);
    assertInert(evil);
    assert.ok(evil.includes(`fill="${TONE_COLOURS.critical}"`));
    // Longer text makes a wider badge.
    const width = (s: string) => Number(/width="(\d+)"/.exec(s)![1]);
    assert.ok(width(renderBadge(snapshot(), 'cmpapi000001')!) > width(svg));
    const long = renderBadge(snapshot({ page: { name: 'x'.repeat(200) } }))!;
    assert.ok(width(long) < 600, 'long names are cut in the picture');
    assert.ok(long.includes(`<title>${'x'.repeat(200)}: `), 'and whole in the title');
  });

  test('maintenance and calm pages have their own colours', () => {
    assert.ok(renderBadge(snapshot({ status: { indicator: 'maintenance', description: 'Service Under Maintenance' } }))!.includes(`fill="${TONE_COLOURS.maintenance}"`));
    assert.ok(renderBadge(snapshot({ status: { indicator: 'none', description: 'All Systems Operational' } }))!.includes(`fill="${TONE_COLOURS.ok}"`));
  });
});
