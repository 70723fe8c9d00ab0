import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { renderAtom, renderRss } from '../../src/modules/statuspage/index.ts';
import { ACTIVE, LATENCY, MIN, NOW, OLD_OUTAGE, UPCOMING, incident, snapshot, update } from './render-fixtures.ts';

/**
 * The history feeds read by a real XML parser: structure, links, dates, and hostile text that
 * must come out as the same text (never markup), however it tries to break out of the XML.
 */

// Numeric character references (&#39;) are plain XML; this parser decodes them only with htmlEntities.
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', htmlEntities: true, parseTagValue: false, isArray: (name) => ['item', 'entry', 'link', 'category'].includes(name) });

function parse(xml: string) {
  assert.equal(XMLValidator.validate(xml), true, 'well-formed XML');
  return parser.parse(xml) as Record<string, any>;
}

/** The HTML a feed item carries, as text: the escapes `esc` emits, decoded. */
const htmlText = (html: string) =>
  html
    .replace(/<br>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e as 'lt']);

const ORDER = [LATENCY.id, UPCOMING.id, ACTIVE.id, OLD_OUTAGE.id];

describe('RSS 2.0 history feed', () => {
  test('channel and items: newest first, links to incident pages, RFC 822 dates, updates as content', () => {
    const rss = parse(renderRss(snapshot())).rss;
    assert.equal(rss['@_version'], '2.0');
    const ch = rss.channel;
    assert.equal(ch.title, 'Acme Cloud status - incident history');
    assert.equal(ch.link[0], 'https://status.acme.example');
    assert.ok(ch.description.length > 0);
    assert.equal(ch['atom:link']['@_href'], 'https://status.acme.example/history.rss');
    assert.equal(ch['atom:link']['@_rel'], 'self');
    assert.equal(Date.parse(ch.lastBuildDate), NOW - 5 * MIN, 'the newest change among the items');
    assert.equal(ch.image.url, 'https://acme.example/logo.svg');

    assert.deepEqual(ch.item.map((i: any) => i.link[0].split('/').pop()), ORDER);
    const first = ch.item[0];
    assert.equal(first.title, 'Elevated API latency in EU region');
    assert.equal(first.link[0], 'https://status.acme.example/incidents/inc5lat00042');
    assert.equal(first.guid['#text'], first.link[0]);
    assert.equal(first.guid['@_isPermaLink'], 'true');
    assert.match(first.pubDate, /^Tue, 10 Mar 2026 08:12:00 GMT$/);
    assert.equal(Date.parse(first.pubDate), LATENCY.created_at);
    assert.deepEqual(first.category, ['Incident']);
    const html: string = first.description;
    assert.ok(html.indexOf('<strong>Identified</strong> - A saturated') < html.indexOf('<strong>Investigating</strong> - We are investigating'), 'updates newest first');
    assert.match(html, /<small>10 Mar 2026, 09:32 CET<\/small>/);
    assert.match(html, /Affected components: Public API/);

    const maint = ch.item[1];
    assert.deepEqual(maint.category, ['Maintenance']);
    assert.match(maint.description, /<strong>Scheduled<\/strong>: 14 Mar 2026, 02:00 CET to 14 Mar 2026, 03:00 CET/);
    assert.match(ch.item[3].description, /<strong>Postmortem<\/strong><\/p><p>Summary: a disk filled up\.<\/p>/);
  });

  test('an empty page still gives a valid feed', () => {
    const xml = renderRss(snapshot({ incidents: [], maintenances: [], page: { logo_url: null } }));
    const ch = parse(xml).rss.channel;
    assert.equal(ch.item, undefined);
    assert.equal(ch.image, undefined);
    assert.equal(Date.parse(ch.lastBuildDate), NOW - 10 * MIN, 'the page’s last change');
  });
});

describe('Atom 1.0 history feed', () => {
  test('feed and entries: ids, links, updated and published times, HTML content', () => {
    const feed = parse(renderAtom(snapshot())).feed;
    assert.equal(feed['@_xmlns'], 'http://www.w3.org/2005/Atom');
    assert.equal(feed.id, 'https://status.acme.example/history.atom');
    assert.equal(feed.title['#text'], 'Acme Cloud status - incident history');
    assert.equal(feed.updated, new Date(NOW - 5 * MIN).toISOString());
    const links = Object.fromEntries(feed.link.map((l: any) => [l['@_rel'], l['@_href']]));
    assert.deepEqual(links, { alternate: 'https://status.acme.example', self: 'https://status.acme.example/history.atom' });
    assert.equal(feed.author.name, 'Acme Cloud');
    assert.equal(feed.logo, 'https://acme.example/logo.svg');

    assert.deepEqual(feed.entry.map((e: any) => e.id.split('/').pop()), ORDER);
    const e = feed.entry[0];
    assert.equal(e.id, 'https://status.acme.example/incidents/inc5lat00042');
    assert.equal(e.link[0]['@_href'], e.id);
    assert.equal(e.link[0]['@_rel'], 'alternate');
    assert.equal(e.title['#text'], 'Elevated API latency in EU region');
    assert.equal(e.published, new Date(LATENCY.created_at).toISOString());
    assert.equal(e.updated, new Date(LATENCY.updated_at).toISOString());
    assert.equal(e.content['@_type'], 'html');
    assert.match(e.content['#text'], /<strong>Identified<\/strong> - A saturated connection pool/);
    assert.equal(feed.entry[1].category[0]['@_term'], 'maintenance');
    // Every entry has what Atom requires: id, title, updated.
    for (const entry of feed.entry) for (const field of ['id', 'title', 'updated']) assert.ok(entry[field], `${entry.id}: ${field}`);
  });
});

describe('hostile text in the feeds', () => {
  const BODY = `Fixed ]]> now <script>alert("x")</script> & 'quoted' <![CDATA[ boom ]]> \u0007bell 😀`;
  const NAME = `</title><script>alert(1)</script> ]]> & "name"`;
  const evil = incident({ id: 'evil1', name: NAME, created_at: NOW, updated_at: NOW, updates: [update({ id: 'u1', status: 'resolved', body: BODY })] });
  const s = snapshot({ incidents: [evil], maintenances: [], page: { name: `Acme <b>&</b> "Co"` } });

  test('RSS: still well-formed, and the text round-trips as text', () => {
    const xml = renderRss(s);
    assert.ok(!xml.includes(']]>'), 'no raw CDATA terminator');
    assert.ok(!/<script/i.test(xml));
    const item = parse(xml).rss.channel.item[0];
    assert.equal(item.title, NAME, 'titles are plain text');
    const html: string = item.description;
    assert.ok(!/<script/i.test(html), 'the HTML content carries the markup escaped');
    assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
    const text = htmlText(/<strong>Resolved<\/strong> - (.*?)<\/p>/.exec(html)![1]);
    assert.equal(text, BODY.replace('\u0007', ''), 'the body comes back as it was (less the control character XML cannot carry)');
    assert.equal(parse(xml).rss.channel.title, 'Acme <b>&</b> "Co" status - incident history');
  });

  test('Atom: still well-formed, and the text round-trips as text', () => {
    const xml = renderAtom(s);
    assert.ok(!xml.includes(']]>'));
    const feed = parse(xml).feed;
    assert.equal(feed.entry[0].title['#text'], NAME);
    assert.equal(feed.author.name, 'Acme <b>&</b> "Co"');
    const html: string = feed.entry[0].content['#text'];
    assert.ok(!/<script/i.test(html));
    assert.equal(htmlText(/<strong>Resolved<\/strong> - (.*?)<\/p>/.exec(html)![1]), BODY.replace('\u0007', ''));
  });

  test('an unsafe page URL never becomes a link in a feed', () => {
    for (const xml of [renderRss(snapshot({ page: { url: 'javascript:alert(1)', logo_url: 'javascript:alert(2)' } })), renderAtom(snapshot({ page: { url: 'javascript:alert(1)', logo_url: 'javascript:alert(2)' } }))]) {
      parse(xml);
      assert.ok(!xml.includes('javascript:'), 'no javascript: URL anywhere');
    }
  });
});
