import { createCipheriv, createSecretKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AESGCM, aeadDecrypt, aeadEncrypt, CHACHAPOLY, rekeyKey } from './cipher-functions.js';
import { NoiseDecryptError } from './noise-errors.js';

interface AeadTest { tcId: number; key: string; iv: string; aad: string; msg: string; ct: string; tag: string; result: 'valid' | 'invalid' | 'acceptable' }
const wycheproof = JSON.parse(readFileSync(new URL('../../../../shared/vectors/wycheproof/aes_gcm_256_iv96_test.json', import.meta.url), 'utf8')) as {
  testGroups: { keySize: number; ivSize: number; tagSize: number; tests: AeadTest[] }[];
};
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

describe('AES-256-GCM against Wycheproof (aes_gcm_256_iv96_test.json)', () => {
  const groups = wycheproof.testGroups.filter((g) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128);
  const tests = groups.flatMap((g) => g.tests);

  it('covers every test in the file', () => {
    expect(tests.length).toBe(wycheproof.testGroups.flatMap((g) => g.tests).length);
    expect(tests.length).toBeGreaterThan(60);
  });

  it('encrypts valid cases exactly and refuses every invalid one', () => {
    for (const t of tests) {
      const key = createSecretKey(hex(t.key));
      const sealed = Buffer.concat([hex(t.ct), hex(t.tag)]);
      if (t.result === 'invalid') {
        expect(() => aeadDecrypt(AESGCM, key, hex(t.iv), hex(t.aad), sealed), `tcId ${t.tcId}`).toThrow(NoiseDecryptError);
      } else {
        expect(aeadEncrypt(AESGCM, key, hex(t.iv), hex(t.aad), hex(t.msg)).toString('hex'), `tcId ${t.tcId}`).toBe(sealed.toString('hex'));
        expect(aeadDecrypt(AESGCM, key, hex(t.iv), hex(t.aad), sealed).toString('hex'), `tcId ${t.tcId}`).toBe(t.msg);
      }
    }
  });
});

describe('Noise cipher functions', () => {
  it('lays out nonces as 4 zero bytes and an 8-byte counter (BE for AESGCM, LE for ChaChaPoly)', () => {
    const iv = Buffer.alloc(12, 0xaa);
    AESGCM.writeNonce(iv, 0x0102_0304_0506);
    expect(iv.toString('hex')).toBe('000000000000010203040506');
    CHACHAPOLY.writeNonce(iv, 0x0102_0304_0506);
    expect(iv.toString('hex')).toBe('000000000605040302010000');
  });

  it('REKEY is the first 32 bytes of encrypting 32 zero bytes under nonce 2^64-1', () => {
    const raw = Buffer.alloc(32, 7);
    const c = createCipheriv('aes-256-gcm', raw, Buffer.from('00000000ffffffffffffffff', 'hex'));
    const expected = Buffer.concat([c.update(Buffer.alloc(32)), c.final()]);
    const next = rekeyKey(AESGCM, createSecretKey(raw)).export();
    expect(next.toString('hex')).toBe(expected.toString('hex'));
  });

  it('refuses a ciphertext shorter than the tag', () => {
    expect(() => aeadDecrypt(AESGCM, createSecretKey(Buffer.alloc(32)), Buffer.alloc(12), new Uint8Array(0), Buffer.alloc(15))).toThrow(NoiseDecryptError);
  });
});
