import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { x25519 } from '@noble/curves/ed25519.js';
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { runNoiseVectors } from './noise-vectors.js';

// An independent, straight-line Noise XX written on @noble primitives (none of the code
// under test is used), producing vectors in the shared file's format.

const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function nonceOf(chacha: boolean, n: number): Uint8Array {
  const iv = new Uint8Array(12);
  const v = new DataView(iv.buffer);
  if (chacha) v.setBigUint64(4, BigInt(n), true);
  else v.setBigUint64(4, BigInt(n), false);
  return iv;
}

class Sym {
  h: Uint8Array;
  ck: Uint8Array;
  k: Uint8Array | null = null;
  n = 0;
  constructor(private readonly chacha: boolean, prologue: Uint8Array) {
    const name = new TextEncoder().encode(`Noise_XX_25519_${chacha ? 'ChaChaPoly' : 'AESGCM'}_SHA256`);
    this.h = cat(name, new Uint8Array(32 - name.length));
    this.ck = this.h;
    this.mixHash(prologue);
  }
  mixHash(d: Uint8Array): void { this.h = sha256(cat(this.h, d)); }
  hkdf2(ikm: Uint8Array): [Uint8Array, Uint8Array] {
    const t = hmac(sha256, this.ck, ikm);
    const o1 = hmac(sha256, t, Uint8Array.of(1));
    return [o1, hmac(sha256, t, cat(o1, Uint8Array.of(2)))];
  }
  mixKey(ikm: Uint8Array): void { [this.ck, this.k] = this.hkdf2(ikm); this.n = 0; }
  aead(k: Uint8Array, n: number) {
    return this.chacha ? chacha20poly1305(k, nonceOf(true, n)) : gcm(k, nonceOf(false, n));
  }
  encryptAndHash(p: Uint8Array): Uint8Array {
    const c = this.k === null ? p : (this.chacha ? chacha20poly1305(this.k, nonceOf(true, this.n), this.h) : gcm(this.k, nonceOf(false, this.n), this.h)).encrypt(p);
    if (this.k !== null) this.n++;
    this.mixHash(c);
    return c;
  }
}

interface Params { chacha: boolean; keys: Uint8Array[]; prologue: Uint8Array; payloads: Uint8Array[] }

function generate({ chacha, keys, prologue, payloads }: Params): Record<string, unknown> {
  const [is, ie, rs, re] = keys as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const pub = (k: Uint8Array): Uint8Array => x25519.getPublicKey(k);
  const dh = (a: Uint8Array, b: Uint8Array): Uint8Array => x25519.getSharedSecret(a, b);
  const st = new Sym(chacha, prologue); // both sides share one transcript when honest
  const ct: Uint8Array[] = [];
  // -> e
  st.mixHash(pub(ie));
  ct.push(cat(pub(ie), st.encryptAndHash(payloads[0]!)));
  // <- e, ee, s, es
  st.mixHash(pub(re));
  st.mixKey(dh(ie, pub(re)));
  const encRs = st.encryptAndHash(pub(rs));
  st.mixKey(dh(ie, pub(rs)));
  ct.push(cat(pub(re), encRs, st.encryptAndHash(payloads[1]!)));
  // -> s, se
  const encIs = st.encryptAndHash(pub(is));
  st.mixKey(dh(is, pub(re)));
  ct.push(cat(encIs, st.encryptAndHash(payloads[2]!)));
  const [k1, k2] = st.hkdf2(new Uint8Array(0));
  const counters = [0, 0];
  for (let i = 3; i < payloads.length; i++) {
    const dir = i % 2; // 0: initiator sends with k1
    ct.push(st.aead(dir === 0 ? k1 : k2, counters[dir]!++).encrypt(payloads[i]!));
  }
  return {
    protocol_name: `Noise_XX_25519_${chacha ? 'ChaChaPoly' : 'AESGCM'}_SHA256`,
    init_prologue: hex(prologue), resp_prologue: hex(prologue),
    init_static: hex(is), init_ephemeral: hex(ie), resp_static: hex(rs), resp_ephemeral: hex(re),
    handshake_hash: hex(st.h), init_psks: [], resp_psks: [],
    messages: payloads.map((p, i) => ({ payload: hex(p), ciphertext: hex(ct[i]!) })),
  };
}

const params = fc.record({
  chacha: fc.boolean(),
  keys: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 4, maxLength: 4 }),
  prologue: fc.uint8Array({ maxLength: 40 }),
  payloads: fc.array(fc.uint8Array({ maxLength: 80 }), { minLength: 3, maxLength: 9 }),
});

describe('independently generated XX vectors', () => {
  it('all pass through the runner, and fail once any byte is changed', () => {
    fc.assert(fc.property(params, fc.nat(), (p, at) => {
      const vector = generate(p);
      expect(runNoiseVectors({ vectors: [vector] })).toMatchObject({ passed: 1, failed: 0 });
      const messages = vector.messages as { payload: string; ciphertext: string }[];
      const m = messages[at % messages.length]!;
      const pos = (at >> 4) % m.ciphertext.length;
      m.ciphertext = m.ciphertext.slice(0, pos) + (m.ciphertext[pos] === 'a' ? 'b' : 'a') + m.ciphertext.slice(pos + 1);
      expect(runNoiseVectors({ vectors: [vector] })).toMatchObject({ passed: 0, failed: 1 });
    }), { numRuns: 30 });
  });
});
