import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../errors.js';
import type { HandshakeResult } from './handshake-state.js';
import { NoiseDecryptError, NoiseStateError } from './noise-errors.js';
import { NOISE_XX_CHACHAPOLY } from './protocol-name.js';
import { X25519KeyPair, type LocalStaticKey } from './x25519.js';
import { XxInitiator } from './xx-initiator.js';
import { XxResponder } from './xx-responder.js';
import type { XxOptions } from './xx-options.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A static key shaped like a vault-backed one: only the public key and `dh` are visible. */
function vaultLikeKey(): LocalStaticKey & { calls: number } {
  const pair = X25519KeyPair.generate();
  const key = { publicKey: pair.publicKey, calls: 0, dh: (peer: Uint8Array) => { key.calls++; return pair.dh(peer); } };
  return key;
}

function handshake(init: XxOptions, resp: XxOptions): { i: HandshakeResult; r: HandshakeResult; payloads: string[] } {
  const w1 = XxInitiator.start(init).writeMessage1();
  const r1 = XxResponder.start(resp).readMessage1(w1.send);
  const w2 = r1.next.writeMessage2(bytes('responder identity'));
  const r2 = w1.next.readMessage2(w2.send);
  const w3 = r2.next.writeMessage3(bytes('initiator identity'));
  const r3 = w2.next.readMessage3(w3.send);
  const dec = new TextDecoder();
  return { i: w3.next, r: r3.next, payloads: [dec.decode(r1.payload), dec.decode(r2.payload), dec.decode(r3.payload)] };
}

describe('Noise XX state machines', () => {
  it('complete a handshake, deliver payloads and agree on keys and the handshake hash', () => {
    const is = vaultLikeKey();
    const rs = vaultLikeKey();
    const { i, r, payloads } = handshake({ staticKey: is }, { staticKey: rs });
    expect(payloads).toEqual(['', 'responder identity', 'initiator identity']);
    expect(i.remoteStaticKey).toEqual(rs.publicKey);
    expect(r.remoteStaticKey).toEqual(is.publicKey);
    expect(i.handshakeHash).toEqual(r.handshakeHash);
    expect(i.initiator && !r.initiator).toBe(true);
    expect(is.calls).toBe(1); // se
    expect(rs.calls).toBe(1); // es
    const empty = new Uint8Array(0);
    expect(Buffer.from(r.receive.decryptWithAd(empty, i.send.encryptWithAd(empty, bytes('a'))))).toEqual(Buffer.from('a'));
    expect(Buffer.from(i.receive.decryptWithAd(empty, r.send.encryptWithAd(empty, bytes('b'))))).toEqual(Buffer.from('b'));
  });

  it('also runs ChaChaPoly and gives different hashes to different runs', () => {
    const a = handshake({ staticKey: vaultLikeKey(), protocolName: NOISE_XX_CHACHAPOLY }, { staticKey: vaultLikeKey(), protocolName: NOISE_XX_CHACHAPOLY });
    const b = handshake({ staticKey: vaultLikeKey() }, { staticKey: vaultLikeKey() });
    expect(a.i.handshakeHash).toEqual(a.r.handshakeHash);
    expect(a.i.handshakeHash).not.toEqual(b.i.handshakeHash);
  });

  it('fails at message 2 when the prologues differ', () => {
    const w1 = XxInitiator.start({ staticKey: vaultLikeKey(), prologue: bytes('symbolon/secure-channel/2') }).writeMessage1();
    const w2 = XxResponder.start({ staticKey: vaultLikeKey() }).readMessage1(w1.send).next.writeMessage2();
    expect(() => w1.next.readMessage2(w2.send)).toThrow(NoiseDecryptError);
  });

  it('refuses any single-bit change of message 2 or 3 and destroys the injected ephemeral key', () => {
    for (const target of [2, 3] as const) {
      for (const bit of [0, 100, 500, 700]) {
        const ie = X25519KeyPair.generate();
        const re = X25519KeyPair.generate();
        const w1 = XxInitiator.start({ staticKey: vaultLikeKey(), ephemeralKey: ie }).writeMessage1();
        const r1 = XxResponder.start({ staticKey: vaultLikeKey(), ephemeralKey: re }).readMessage1(w1.send);
        const w2 = r1.next.writeMessage2(bytes('payload two'));
        const flip = (m: Uint8Array): Uint8Array => { const c = new Uint8Array(m); const b = bit % (c.length * 8); c[b >> 3]! ^= 1 << (b & 7); return c; };
        if (target === 2) {
          expect(() => w1.next.readMessage2(flip(w2.send))).toThrow();
          expect(() => ie.dh(re.publicKey)).toThrow(/destroyed/);
        } else {
          const w3 = w1.next.readMessage2(w2.send).next.writeMessage3(bytes('payload three'));
          expect(() => w2.next.readMessage3(flip(w3.send))).toThrow();
          expect(() => re.dh(ie.publicKey)).toThrow(/destroyed/);
          expect(() => ie.dh(re.publicKey)).toThrow(/destroyed/); // initiator finished: e dropped
        }
      }
    }
  });

  it('refuses truncated messages, a low-order ephemeral key and stepping a state twice', () => {
    const start = XxResponder.start({ staticKey: vaultLikeKey() });
    expect(() => start.readMessage1(new Uint8Array(31))).toThrow(NoiseDecryptError);
    expect(() => start.readMessage1(new Uint8Array(32))).toThrow(NoiseStateError); // consumed by the failed step
    const w1 = XxInitiator.start({ staticKey: vaultLikeKey() }).writeMessage1();
    const zeroE = XxResponder.start({ staticKey: vaultLikeKey() }).readMessage1(new Uint8Array(32)).next;
    expect(() => zeroE.writeMessage2()).toThrow(InvalidInputError); // ee = all-zero DH
    const r1 = XxResponder.start({ staticKey: vaultLikeKey() }).readMessage1(w1.send);
    const w2 = r1.next.writeMessage2();
    expect(() => r1.next.writeMessage2()).toThrow(NoiseStateError);
    expect(() => w1.next.readMessage2(w2.send.subarray(0, 70))).toThrow(NoiseDecryptError);
  });

  it('abort() drops the ephemeral key of a pending handshake', () => {
    const e = X25519KeyPair.generate();
    const w1 = XxInitiator.start({ staticKey: vaultLikeKey(), ephemeralKey: e }).writeMessage1();
    w1.next.abort();
    expect(() => e.dh(X25519KeyPair.generate().publicKey)).toThrow(/destroyed/);
    expect(() => w1.next.readMessage2(new Uint8Array(96))).toThrow(NoiseStateError);
  });

  it('refuses an oversized payload and an unknown protocol', () => {
    expect(() => XxInitiator.start({ staticKey: vaultLikeKey() }).writeMessage1(new Uint8Array(65535))).toThrow(InvalidInputError);
    expect(() => XxInitiator.start({ staticKey: vaultLikeKey(), protocolName: 'Noise_XX_448_AESGCM_SHA512' })).toThrow(InvalidInputError);
  });
});
