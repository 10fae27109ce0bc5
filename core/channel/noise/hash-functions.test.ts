import { hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hash, hkdf } from './hash-functions.js';

describe('Noise HKDF', () => {
  it('equals RFC 5869 HKDF-SHA256 with salt = chaining key and empty info', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 64 }), (ck, ikm) => {
      const [o1, o2, o3] = hkdf(ck, ikm, 3);
      const rfc = Buffer.from(hkdfSync('sha256', ikm, ck, new Uint8Array(0), 96));
      expect(Buffer.concat([o1!, o2!, o3!]).toString('hex')).toBe(rfc.toString('hex'));
      expect(hkdf(ck, ikm, 2).length).toBe(2);
    }), { numRuns: 50 });
  });

  it('HASH is SHA-256 of the concatenation', () => {
    expect(hash(Buffer.from('ab'), Buffer.from('c')).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
