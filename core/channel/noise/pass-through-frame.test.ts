import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidInputError } from '../../errors.js';
import { NoiseDecryptError, NoiseReplayError, NoiseStateError } from './noise-errors.js';
import { isPassThroughFrame, PASS_THROUGH_PREFIX } from './pass-through-frame.js';
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
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** An outer hop (a -> b) carrying frames of an inner end-to-end channel (x -> y). */
function setup(options?: TransportOptions) {
  const outer = pair(options);
  const inner = pair(options);
  return { hop: outer.a, relay: outer.b, from: inner.a, to: inner.b };
}

describe('pass-through frames', () => {
  it('carry the inner frame unencrypted after a sealed header; both layers open (property, across rekeys)', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 300 }), fc.boolean()), { minLength: 1, maxLength: 150 }),
      (steps) => {
        const { hop, relay, from, to } = setup(SMALL);
        for (const [header, body, ordinary] of steps) {
          if (ordinary) {
            // Ordinary and pass-through frames share the nonce sequence of a direction.
            expect(hex(relay.decrypt(hop.encrypt(header)))).toBe(hex(header));
            continue;
          }
          const innerFrame = from.encrypt(body);
          const frame = hop.encryptPassThrough(header, innerFrame);
          expect(isPassThroughFrame(frame)).toBe(true);
          expect(frame.length).toBe(PASS_THROUGH_PREFIX + header.length + 16 + innerFrame.length);
          expect(hex(frame.subarray(frame.length - innerFrame.length))).toBe(hex(innerFrame));
          const opened = relay.decryptPassThrough(frame);
          expect(hex(opened.header)).toBe(hex(header));
          expect(hex(opened.inner)).toBe(hex(innerFrame));
          expect(hex(to.decrypt(opened.inner))).toBe(hex(body));
        }
      },
    ), { numRuns: 20 });
  });

  it('refuse a tampered header, header length, or inner length, nonce or tag (the associated data), and change nothing', () => {
    const { hop, relay, from } = setup();
    const innerFrame = from.encrypt(Buffer.alloc(1000, 7));
    const header = Buffer.from('routing header');
    const frame = hop.encryptPassThrough(header, innerFrame);
    const sealedEnd = PASS_THROUGH_PREFIX + header.length + 16;
    const tamper = (f: (copy: Buffer) => Buffer): Buffer => f(Buffer.from(frame));
    const attempts: Array<[string, Buffer]> = [
      ['header ciphertext', tamper((c) => { c[PASS_THROUGH_PREFIX + 2]! ^= 1; return c; })],
      ['header tag', tamper((c) => { c[sealedEnd - 1]! ^= 0x80; return c; })],
      ['outer nonce', tamper((c) => { c[7]! ^= 1; return c; })],
      ['header length', tamper((c) => { c[9]! += 1; return c; })],
      ['inner nonce', tamper((c) => { c[sealedEnd + 7]! ^= 1; return c; })],
      ['inner tag', tamper((c) => { c[c.length - 1]! ^= 1; return c; })],
      ['inner length (one byte cut)', tamper((c) => c.subarray(0, c.length - 1))],
      ['inner length (one byte added)', tamper((c) => Buffer.concat([c, Buffer.of(0)]))],
      ['too short', tamper((c) => c.subarray(0, sealedEnd + 23))],
    ];
    for (const [what, forged] of attempts) {
      expect(() => relay.decryptPassThrough(forged), what).toThrow(NoiseDecryptError);
    }
    // Nothing moved: the untouched frame still opens, once.
    expect(hex(relay.decryptPassThrough(frame).header)).toBe(hex(header));
    expect(() => relay.decryptPassThrough(frame)).toThrow(NoiseReplayError);
  });

  it('an inner body swapped between two frames passes the hop but fails end to end, like a dropped frame', () => {
    const { hop, relay, from, to } = setup();
    const f1 = hop.encryptPassThrough(Buffer.from('h1'), from.encrypt(Buffer.alloc(500, 1)));
    const f2 = hop.encryptPassThrough(Buffer.from('h2'), from.encrypt(Buffer.alloc(500, 2)));
    const body = (f: Buffer): Buffer => f.subarray(PASS_THROUGH_PREFIX + 2 + 16 + 8, f.length - 16);
    const b1 = Buffer.from(body(f1));
    body(f2).copy(body(f1));
    b1.copy(body(f2));
    const o1 = relay.decryptPassThrough(f1);
    const o2 = relay.decryptPassThrough(f2);
    expect(() => to.decrypt(o1.inner)).toThrow(NoiseDecryptError);
    expect(() => to.decrypt(o2.inner)).toThrow(NoiseDecryptError);
  });

  it('a whole inner frame moved under another header fails at the hop', () => {
    const { hop, relay, from } = setup();
    const i1 = from.encrypt(Buffer.alloc(300, 1));
    const i2 = from.encrypt(Buffer.alloc(300, 2));
    const f1 = hop.encryptPassThrough(Buffer.from('h1'), i1);
    const moved = Buffer.concat([f1.subarray(0, f1.length - i1.length), i2]);
    expect(() => relay.decryptPassThrough(moved)).toThrow(NoiseDecryptError);
  });

  it('a peer of before pass-through refuses them as out-of-range nonces; an ordinary frame is no pass-through frame', () => {
    const { hop, relay, from } = setup();
    const frame = hop.encryptPassThrough(Buffer.from('h'), from.encrypt(Buffer.from('x')));
    expect(() => relay.decrypt(frame)).toThrow(/nonce out of range/);
    const ordinary = hop.encrypt(Buffer.from('y'));
    expect(isPassThroughFrame(ordinary)).toBe(false);
    expect(() => relay.decryptPassThrough(ordinary)).toThrow(NoiseDecryptError);
    // The refused frames left the window alone: the ordinary one still decrypts.
    expect(Buffer.from(relay.decrypt(ordinary)).toString()).toBe('y');
  });

  it('are written around an inner frame in place when it has enough headroom, and copy it otherwise', () => {
    const { hop, relay, from, to } = setup();
    const header = Buffer.from('routing header');
    const sealed = PASS_THROUGH_PREFIX + header.length + 16;
    // Frames above 4 KiB: Buffer.allocUnsafe gives each its own ArrayBuffer (no shared pool).
    const size = 10_000;
    const roomy = from.encrypt(Buffer.alloc(size, 5), undefined, 64);
    const before = Buffer.from(roomy);
    const inPlace = hop.encryptPassThrough(header, roomy, 64);
    expect(inPlace.buffer).toBe(roomy.buffer);
    expect(inPlace.byteOffset).toBe(roomy.byteOffset - sealed);
    expect(Buffer.from(roomy)).toEqual(before);
    const tight = from.encrypt(Buffer.alloc(size, 6), undefined, sealed - 1);
    const copied = hop.encryptPassThrough(header, tight, sealed - 1);
    expect(copied.buffer).not.toBe(tight.buffer);
    for (const [frame, fill] of [[inPlace, 5], [copied, 6]] as const) {
      const opened = relay.decryptPassThrough(frame);
      expect(hex(opened.header)).toBe(hex(header));
      expect(Buffer.from(to.decrypt(opened.inner))).toEqual(Buffer.alloc(size, fill));
    }
  });

  it('refuse an inner frame shorter than a nonce and a tag, a header over 65535 bytes, and a closed transport', () => {
    const { hop } = setup();
    expect(() => hop.encryptPassThrough(Buffer.from('h'), new Uint8Array(23))).toThrow(InvalidInputError);
    expect(() => hop.encryptPassThrough(new Uint8Array(65536), new Uint8Array(24))).toThrow(InvalidInputError);
    // The refusals used no nonce.
    expect(hop.encryptPassThrough(Buffer.from('h'), new Uint8Array(24)).readUInt32BE(4)).toBe(0);
    hop.close();
    expect(() => hop.encryptPassThrough(Buffer.from('h'), new Uint8Array(24))).toThrow(NoiseStateError);
  });
});
