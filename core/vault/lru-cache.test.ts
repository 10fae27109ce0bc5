import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { bytesKey, LruCache } from './lru-cache.js';

describe('LruCache', () => {
  it('drops the least recently used entry beyond its capacity', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('rejects a capacity below one', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 })])('never holds more than its capacity', (keys) => {
    const cache = new LruCache<number, number>(5);
    for (const k of keys) cache.set(k, k);
    expect(cache.size).toBeLessThanOrEqual(5);
    for (const k of keys.slice(-1)) expect(cache.get(k)).toBe(k);
  });
});

describe('bytesKey', () => {
  test.prop([fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 16 })])(
    'differs when the split between parts differs', (a, b, c) => {
      const joined = new Uint8Array([...a, ...b]);
      fc.pre(a.length > 0);
      expect(bytesKey(a, b, c)).not.toBe(bytesKey(joined, c));
      expect(bytesKey(a, b, c)).toBe(bytesKey(new Uint8Array(a), new Uint8Array(b), new Uint8Array(c)));
    });
});
