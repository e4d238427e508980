import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareText } from './compare-text.js';

describe('compareText', () => {
  it('orders as localeCompare does, on 200,000 random strings over printable ASCII and a few others', () => {
    const alphabet = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('') + 'é\tß';
    // A small alphabet makes equal prefixes and case-only differences common.
    const small = ' _-.:/@0123456789aAbBzZ';
    let seed = 14;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const text = (chars: string): string => Array.from({ length: Math.floor(random() * 7) }, () => chars[Math.floor(random() * chars.length)]).join('');
    for (let i = 0; i < 200_000; i++) {
      const chars = i % 2 === 0 ? alphabet : small;
      const a = text(chars);
      const b = text(chars);
      assert.equal(Math.sign(compareText(a, b)), Math.sign(a.localeCompare(b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  });

  it('sorts image names as a person reads them: case and punctuation after the letters they follow', () => {
    const names = ['web:2', 'Web:1', 'web-api:1', 'web_api:1', 'web:10', 'api:1', 'web1:1', 'registry.lan:5000/web:1'];
    assert.deepEqual([...names].sort(compareText), [...names].sort((a, b) => a.localeCompare(b)));
    assert.deepEqual([...names].sort(compareText), ['api:1', 'registry.lan:5000/web:1', 'web_api:1', 'web-api:1', 'Web:1', 'web:10', 'web:2', 'web1:1']);
  });
});
