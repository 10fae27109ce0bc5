import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../errors.js';
import { isAllZero, x25519, X25519KeyPair } from './x25519.js';

interface XdhTest { tcId: number; public: string; private: string; shared: string; result: 'valid' | 'invalid' | 'acceptable'; flags: string[] }
const wycheproof = JSON.parse(readFileSync(new URL('../../../../shared/vectors/wycheproof/x25519_test.json', import.meta.url), 'utf8')) as {
  testGroups: { curve: string; tests: XdhTest[] }[];
};
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

describe('X25519 against Wycheproof (x25519_test.json)', () => {
  const tests = wycheproof.testGroups.filter((g) => g.curve === 'curve25519').flatMap((g) => g.tests);

  it('has the whole file to check', () => {
    expect(tests.length).toBe(518);
  });

  it('matches every valid and acceptable non-zero result, and refuses every all-zero shared secret', () => {
    let matched = 0;
    let refused = 0;
    for (const t of tests) {
      const expected = hex(t.shared);
      if (t.result === 'invalid') {
        // None in this file today; an invalid case must not produce its listed output.
        let out: Uint8Array | undefined;
        try { out = x25519(hex(t.private), hex(t.public)); } catch { /* refused: fine */ }
        expect(out === undefined || !Buffer.from(out).equals(expected), `tcId ${t.tcId}`).toBe(true);
      } else if (isAllZero(expected)) {
        // Project policy: an all-zero DH output (low-order point) is always refused.
        expect(() => x25519(hex(t.private), hex(t.public)), `tcId ${t.tcId}`).toThrow(InvalidInputError);
        refused++;
      } else {
        expect(Buffer.from(x25519(hex(t.private), hex(t.public))).toString('hex'), `tcId ${t.tcId}`).toBe(t.shared);
        matched++;
      }
    }
    expect(matched + refused).toBe(tests.length);
    expect(refused).toBeGreaterThan(0);
  });
});

describe('X25519KeyPair', () => {
  it('derives the same secret on both sides and the RFC 7748 public key', () => {
    // RFC 7748 section 6.1.
    const alice = X25519KeyPair.fromPrivateKey(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    expect(Buffer.from(alice.publicKey).toString('hex')).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    const bob = X25519KeyPair.generate();
    expect(Buffer.from(alice.dh(bob.publicKey))).toEqual(Buffer.from(bob.dh(alice.publicKey)));
  });

  it('refuses a destroyed key, wrong lengths and the zero point', () => {
    const pair = X25519KeyPair.generate();
    expect(() => pair.dh(new Uint8Array(32))).toThrow(InvalidInputError);
    expect(() => pair.dh(new Uint8Array(31))).toThrow(InvalidInputError);
    expect(() => X25519KeyPair.fromPrivateKey(new Uint8Array(33))).toThrow(InvalidInputError);
    pair.destroy();
    expect(() => pair.dh(X25519KeyPair.generate().publicKey)).toThrow(/destroyed/);
  });
});
