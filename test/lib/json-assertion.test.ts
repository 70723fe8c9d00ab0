import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkJsonAssertion, parseJsonAssertion } from '../../src/lib/json-assertion.ts';

const doc = { status: 'ok', count: 3, ready: true, items: [{ id: 'a' }, { id: 'b' }], db: { latency_ms: 12.5, error: null }, empty: '' };
const holds = (text: string) => checkJsonAssertion(parseJsonAssertion(text), doc);

describe('JSON assertions', () => {
  test('comparisons, len(), truthiness and nested paths', () => {
    for (const ok of ['$.status == "ok"', '$.count >= 3', '$.count < 4', 'len($.items) > 1', 'len($.items) == 2', '$.items[1].id == "b"', '$.ready', '$.ready == true', '$.db.error == null', '$.db.latency_ms <= 12.5', '$.status != "down"', 'len($.status) == 2', 'len($) == 6', '  $.count   ==   3  ']) {
      assert.equal(holds(ok), null, ok);
    }
    assert.match(holds('$.status == "down"')!, /got "ok"/);
    assert.match(holds('$.missing == 1')!, /got missing/);
    assert.match(holds('$.status > 1')!, /not a number/);
    assert.match(holds('len($.count) > 0')!, /no string, array or object/);
    assert.match(holds('$.empty')!, /got ""/);
  });

  test('malformed assertions say what is wrong; there is no eval and no prototype access', () => {
    for (const [text, message] of [
      ['$.status = "ok"', /cannot read/],
      ['status == "ok"', /cannot read/],
      ['$.status == ok', /JSON literal/],
      ['$.a == {"x":1}', /string, number, boolean or null/],
      ['$.count > "3"', /compares numbers/],
      ['len($.items > 1', /cannot read|unbalanced/],
      ['$.__proto__ == 1', /not allowed/],
      ['$.constructor.name == "Object"', /not allowed/],
      ['x'.repeat(600), /at most 512/],
    ] as const) {
      assert.throws(() => parseJsonAssertion(text), message, text);
    }
  });
});
