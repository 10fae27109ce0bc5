import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidInputError } from '../../errors.js';
import { NoiseDecryptError, NoiseReplayError, NoiseStateError } from './noise-errors.js';
import { TransportState } from './transport-state.js';
import type { TransportOptions } from './transport-options.js';
import { X25519KeyPair } from './x25519.js';
import { XxInitiator } from './xx-initiator.js';
import { XxResponder } from './xx-responder.js';

function pair(options?: TransportOptions): { a: TransportState; b: TransportState } {
  const w1 = XxInitiator.start({ staticKey: X25519KeyPair.generate() }).writeMessage1();
  const r1 = XxResponder.start({ staticKey: X25519KeyPair.generate() }).readMessage1(w1.send);
  const w2 = r1.next.writeMessage2();
  const w3 = w1.next.readMessage2(w2.send).next.writeMessage3();
  const r3 = w2.next.readMessage3(w3.send);
  return { a: new TransportState(w3.next, options), b: new TransportState(r3.next, options) };
}

const SMALL = { rekeyInterval: 64, replayWindow: 32 };

describe('TransportState', () => {
  it('round-trips random message sequences in both directions, across rekeys', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 200 })), { maxLength: 300 }),
      (steps) => {
        const { a, b } = pair(SMALL);
        for (const [fromA, msg] of steps) {
          const [tx, rx] = fromA ? [a, b] : [b, a];
          const frame = tx.encrypt(msg);
          expect(frame.length).toBe(8 + msg.length + 16);
          expect(Buffer.from(rx.decrypt(frame))).toEqual(Buffer.from(msg));
        }
      },
    ), { numRuns: 25 });
  });

  it('encrypts a head and a tail as one plaintext (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 300 }), (head, tail) => {
      const { a, b } = pair(SMALL);
      const frame = a.encrypt(head, tail);
      expect(Buffer.from(b.decrypt(frame)).equals(Buffer.concat([head, tail]))).toBe(true);
    }), { numRuns: 50 });
  });

  it('rejects any bit flip or truncation without changing state, then keeps carrying traffic', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.nat(40), fc.nat(200),
      (msg, bitSeed, cut, warmup) => {
        const { a, b } = pair(SMALL);
        for (let i = 0; i < warmup; i++) b.decrypt(a.encrypt(msg)); // move into a later key epoch
        const frame = a.encrypt(msg);
        const bit = bitSeed % (frame.length * 8);
        const flipped = Buffer.from(frame);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        expect(() => b.decrypt(flipped)).toThrow(/./);
        expect(() => b.decrypt(frame.subarray(0, Math.max(0, frame.length - 1 - cut)))).toThrow(NoiseDecryptError);
        expect(Buffer.from(b.decrypt(frame))).toEqual(Buffer.from(msg));
        expect(() => b.decrypt(frame)).toThrow(NoiseReplayError);
        expect(Buffer.from(b.decrypt(a.encrypt(msg)))).toEqual(Buffer.from(msg));
      },
    ), { numRuns: 200 });
  });

  it('rejects 10,000 randomly corrupted or truncated frames and keeps carrying good traffic', () => {
    const { a, b } = pair(SMALL);
    const mutations = fc.sample(fc.tuple(fc.uint8Array({ maxLength: 48 }), fc.nat(), fc.boolean(), fc.nat(64)), { numRuns: 10_000, seed: 42 });
    let rejected = 0;
    for (const [msg, seed, truncate, cut] of mutations) {
      const frame = a.encrypt(msg);
      let bad: Uint8Array;
      if (truncate) bad = frame.subarray(0, Math.min(cut, frame.length - 1));
      else {
        bad = Buffer.from(frame);
        const bit = seed % (frame.length * 8);
        bad[bit >> 3]! ^= 1 << (bit & 7);
      }
      try { b.decrypt(bad); } catch { rejected++; }
      expect(Buffer.from(b.decrypt(frame))).toEqual(Buffer.from(msg));
    }
    expect(rejected).toBe(10_000);
  });

  it('decrypts any reordering within the window, across rekey boundaries', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 200 }), fc.infiniteStream(fc.nat()),
      (skip, count, randoms) => {
        const { a, b } = pair(SMALL);
        for (let i = 0; i < skip; i++) b.decrypt(a.encrypt(Uint8Array.of(i & 255)));
        const frames = Array.from({ length: count }, (_, i) => ({ i, frame: a.encrypt(Uint8Array.of(i & 255)) }));
        // Shuffle locally: frames are shuffled within blocks of 16, so every delivery stays inside the 32-wide window.
        const it = randoms[Symbol.iterator]();
        for (let start = 0; start < frames.length; start += 16) {
          const block = frames.slice(start, start + 16);
          for (let k = block.length - 1; k > 0; k--) {
            const j = it.next().value! % (k + 1);
            [block[k], block[j]] = [block[j]!, block[k]!];
          }
          frames.splice(start, block.length, ...block);
        }
        for (const { i, frame } of frames) expect(b.decrypt(frame)[0]).toBe(i & 255);
        for (const { frame } of frames) expect(() => b.decrypt(frame)).toThrow(NoiseReplayError);
      },
    ), { numRuns: 100 });
  });

  it('refuses frames older than the window and frames two key epochs ahead', () => {
    const { a, b } = pair(SMALL);
    const old = a.encrypt(Uint8Array.of(1));
    for (let i = 0; i < 40; i++) b.decrypt(a.encrypt(Uint8Array.of(2)));
    expect(() => b.decrypt(old)).toThrow(NoiseReplayError);
    const ahead: Buffer[] = [];
    for (let i = 0; i < 150; i++) ahead.push(a.encrypt(Uint8Array.of(3)));
    expect(() => b.decrypt(ahead[149]!)).toThrow(/epoch/); // nonce 190, epoch 2, receiver in epoch 0
    expect(b.decrypt(ahead[60]!)[0]).toBe(3); // nonce 101, epoch 1
    expect(b.decrypt(ahead[149]!)[0]).toBe(3); // now only one epoch ahead
  });

  it('uses a different key per epoch: the same nonce under the next epoch does not open', () => {
    const { a, b } = pair(SMALL);
    const frames = Array.from({ length: 65 }, () => a.encrypt(new Uint8Array(16)));
    const renumbered = Buffer.from(frames[64]!); // nonce 64 (epoch 1) relabelled as nonce 0 (epoch 0)
    renumbered.fill(0, 0, 8);
    expect(() => b.decrypt(renumbered)).toThrow(NoiseDecryptError);
    expect(b.decrypt(frames[0]!).length).toBe(16);
  });

  it('throws after close and checks its options', () => {
    const { a, b } = pair();
    const frame = a.encrypt(Uint8Array.of(9));
    b.close();
    a.close();
    expect(a.isClosed).toBe(true);
    expect(() => b.decrypt(frame)).toThrow(NoiseStateError);
    expect(() => a.encrypt(Uint8Array.of(9))).toThrow(NoiseStateError);
    expect(() => pair({ rekeyInterval: 16, replayWindow: 32 })).toThrow(InvalidInputError);
  });
});
