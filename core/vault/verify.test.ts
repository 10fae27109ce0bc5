import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { p256 } from '@noble/curves/nist.js';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  p256SignatureDerToRaw,
  p256SignatureRawToDer,
  rawPublicKeyToSpki,
  spkiToRawPublicKey,
  verifyEd25519Message,
  verifySignature,
} from './verify.js';

interface WycheproofTest { tcId: number; msg: string; sig: string; result: 'valid' | 'invalid' | 'acceptable' }
interface WycheproofGroup { publicKey: { pk: string }; publicKeyDer: string; tests: WycheproofTest[] }

const vectorsPath = fileURLToPath(new URL('../../../shared/vectors/wycheproof/ed25519_test.json', import.meta.url));
const groups = (JSON.parse(readFileSync(vectorsPath, 'utf8')) as { testGroups: WycheproofGroup[] }).testGroups;
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const sha256 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(d).digest());

describe('Ed25519 Wycheproof vectors', () => {
  it('covers every group and test', () => {
    let count = 0;
    for (const group of groups) {
      const pk = hex(group.publicKey.pk);
      expect(spkiToRawPublicKey(hex(group.publicKeyDer), 'ed25519').bytes).toEqual(pk);
      for (const t of group.tests) {
        count++;
        const ok = verifyEd25519Message(pk, hex(t.msg), hex(t.sig));
        expect(ok, `tcId ${t.tcId}`).toBe(t.result === 'valid');
      }
    }
    expect(count).toBe(151);
  });
});

describe('verifySignature', () => {
  const ed = generateKeyPairSync('ed25519');
  const edPub = spkiToRawPublicKey(new Uint8Array(ed.publicKey.export({ format: 'der', type: 'spki' })));
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecPub = spkiToRawPublicKey(new Uint8Array(ec.publicKey.export({ format: 'der', type: 'spki' })));

  it('accepts Ed25519 signatures over the digest', () => {
    const digest = sha256(Buffer.from('hello'));
    const bytes = new Uint8Array(nodeSign(null, digest, ed.privateKey));
    expect(verifySignature(edPub, digest, { type: 'ed25519', bytes })).toBe(true);
    expect(verifySignature(edPub, sha256(digest), { type: 'ed25519', bytes })).toBe(false);
  });

  it('accepts P-256 signatures where the digest is the hashed message, high-S included', () => {
    const message = Buffer.from('hello p256');
    const digest = sha256(message);
    const bytes = new Uint8Array(nodeSign('sha256', message, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }));
    expect(verifySignature(ecPub, digest, { type: 'p256', bytes })).toBe(true);
    const sig = p256.Signature.fromBytes(bytes, 'compact');
    const flipped = new p256.Signature(sig.r, p256.Point.Fn.ORDER - sig.s).toBytes('compact');
    expect(verifySignature(ecPub, digest, { type: 'p256', bytes: flipped })).toBe(true);
    expect(verifySignature(ecPub, sha256(digest), { type: 'p256', bytes })).toBe(false);
  });

  it('a remembered success does not cover any other key, digest or signature', () => {
    const digest = sha256(Buffer.from('remembered'));
    const bytes = new Uint8Array(nodeSign(null, digest, ed.privateKey));
    for (let i = 0; i < 3; i++) expect(verifySignature(edPub, digest, { type: 'ed25519', bytes })).toBe(true);
    const flip = (b: Uint8Array, i: number): Uint8Array => { const c = Uint8Array.from(b); c[i] = (c[i] ?? 0) ^ 1; return c; };
    expect(verifySignature(edPub, flip(digest, 31), { type: 'ed25519', bytes })).toBe(false);
    expect(verifySignature(edPub, digest, { type: 'ed25519', bytes: flip(bytes, 0) })).toBe(false);
    expect(verifySignature({ type: 'ed25519', bytes: flip(edPub.bytes, 5) }, digest, { type: 'ed25519', bytes })).toBe(false);
    expect(verifySignature(edPub, digest, { type: 'ed25519', bytes })).toBe(true);
  });

  it('never throws on malformed input', () => {
    const digest = new Uint8Array(32);
    expect(verifySignature(edPub, digest, { type: 'p256', bytes: new Uint8Array(64) })).toBe(false);
    expect(verifySignature(ecPub, digest, { type: 'p256', bytes: new Uint8Array(64) })).toBe(false);
    expect(verifySignature(ecPub, new Uint8Array(31), { type: 'p256', bytes: new Uint8Array(64) })).toBe(false);
    expect(verifySignature({ type: 'p256', bytes: new Uint8Array(65) }, digest, { type: 'p256', bytes: new Uint8Array(64).fill(1) })).toBe(false);
    expect(verifySignature({ type: 'ed25519', bytes: new Uint8Array(31) }, digest, { type: 'ed25519', bytes: new Uint8Array(64) })).toBe(false);
    expect(verifySignature({ type: 'rsa' as 'p256', bytes: new Uint8Array(65) }, digest, { type: 'rsa' as 'p256', bytes: new Uint8Array(64) })).toBe(false);
    expect(verifySignature(edPub, digest, { type: 'ed25519', bytes: null as unknown as Uint8Array })).toBe(false);
  });

  test.prop([fc.uint8Array({ minLength: 0, maxLength: 80 }), fc.uint8Array({ minLength: 0, maxLength: 80 })])(
    'random bytes never throw',
    (key, sig) => {
      for (const type of ['ed25519', 'p256'] as const) {
        expect(verifySignature({ type, bytes: key }, new Uint8Array(32), { type, bytes: sig })).toBe(false);
      }
    },
  );
});

describe('key and signature encodings', () => {
  it('round-trips raw public keys through SPKI', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = new Uint8Array(ec.publicKey.export({ format: 'der', type: 'spki' }));
    const raw = spkiToRawPublicKey(spki, 'p256');
    expect(raw.bytes.length).toBe(65);
    expect(rawPublicKeyToSpki(raw)).toEqual(spki);
    expect(() => spkiToRawPublicKey(spki, 'ed25519')).toThrow(/expected a ed25519/);
    expect(() => spkiToRawPublicKey(new Uint8Array([1, 2, 3]))).toThrow(/malformed/);
    const off = Uint8Array.from(raw.bytes);
    off[64] = (off[64] ?? 0) ^ 1;
    expect(() => rawPublicKeyToSpki({ type: 'p256', bytes: off })).toThrow(/invalid p256/);
    const secp = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'der', type: 'spki' });
    expect(() => spkiToRawPublicKey(new Uint8Array(secp))).toThrow();
  });

  test.prop([fc.uint8Array({ minLength: 32, maxLength: 32 })], { numRuns: 20 })('round-trips P-256 signatures through DER', (seed) => {
    const digest = sha256(seed);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = new Uint8Array(nodeSign('sha256', digest, ec.privateKey));
    const raw = p256SignatureDerToRaw(der);
    expect(raw.length).toBe(64);
    expect(p256SignatureRawToDer(raw)).toEqual(der);
  });

  it('rejects malformed DER and raw signatures', () => {
    expect(() => p256SignatureDerToRaw(new Uint8Array([0x30, 0x02, 0x02, 0x00]))).toThrow(/malformed DER/);
    expect(() => p256SignatureRawToDer(new Uint8Array(63))).toThrow(/64 bytes/);
  });
});
