import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { publicKeyFromEcPoint } from './ec-point.js';

describe('publicKeyFromEcPoint', () => {
  test.prop([fc.uint8Array({ minLength: 64, maxLength: 64 })])('unwraps a DER OCTET STRING P-256 point and accepts a bare one', (xy) => {
    const raw = Uint8Array.of(0x04, ...xy);
    expect(publicKeyFromEcPoint(Uint8Array.of(0x04, 65, ...raw), 'p256')).toEqual(raw);
    expect(publicKeyFromEcPoint(raw, 'p256')).toEqual(raw);
  });

  test.prop([fc.uint8Array({ minLength: 32, maxLength: 32 })])('unwraps an Ed25519 point', (pk) => {
    expect(publicKeyFromEcPoint(Uint8Array.of(0x04, 32, ...pk), 'ed25519')).toEqual(pk);
  });

  test.prop([fc.uint8Array({ maxLength: 80 })])('never returns a key of the wrong length', (junk) => {
    try {
      expect(publicKeyFromEcPoint(junk, 'p256').length).toBe(65);
    } catch (e) {
      expect((e as Error).message).toMatch(/malformed/);
    }
  });

  it('rejects a compressed P-256 point', () => {
    expect(() => publicKeyFromEcPoint(Uint8Array.of(0x04, 33, 0x02, ...new Uint8Array(32)), 'p256')).toThrow(/malformed/);
  });
});
