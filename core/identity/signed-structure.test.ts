import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { encodeDeterministic } from '../cbor.js';
import { decodeCanonical } from './signed-structure.js';

describe('decodeCanonical', () => {
  it('returns the same frozen value for the same bytes, and rejects non-canonical forms every time', () => {
    const bytes = encodeDeterministic({ a: 1, list: [1, 2, { b: 'x' }], raw: new Uint8Array([1, 2]) });
    const first = decodeCanonical(bytes, 'identity', 'test') as { a: number; list: unknown[] };
    const second = decodeCanonical(new Uint8Array(bytes), 'identity', 'test');
    expect(second).toEqual(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.list)).toBe(true);
    expect(() => { (first as { a: number }).a = 2; }).toThrow(TypeError);
    // Map keys out of order: not deterministic CBOR.
    const unsorted = new Uint8Array([0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02]);
    for (let i = 0; i < 2; i++) expect(decodeCanonical(unsorted, 'identity', 'test')).toMatch(/not in deterministic CBOR form/);
  });

  test.prop([fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 })))])(
    'decodes what encodeDeterministic wrote, cached or not', (value) => {
      const bytes = encodeDeterministic(value);
      expect(decodeCanonical(bytes, 'identity', 'test')).toEqual(value);
      expect(decodeCanonical(bytes, 'identity', 'test')).toEqual(value);
    });
});
