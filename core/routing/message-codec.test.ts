import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidInputError } from '../errors.js';
import { local, tcp, udp, ws } from './address.js';
import { MAX_HOPS, decodeMessage, encodeMessage, encodeMessageHeader } from './message-codec.js';
import type { Address } from './address.js';

const port = fc.integer({ min: 0, max: 65535 });
const addressArb: fc.Arbitrary<Address> = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((s) => Buffer.byteLength(s) <= 255).map(local),
  fc.tuple(fc.ipV4(), port).map(([h, p]) => tcp(`${h}:${p}`)),
  fc.tuple(fc.ipV6(), port).map(([h, p]) => tcp(`[${h}]:${p}`)),
  fc.tuple(fc.domain(), port).map(([h, p]) => tcp(`${h}:${p}`)),
  fc.tuple(fc.ipV4(), port).map(([h, p]) => udp(`${h}:${p}`)),
  fc.tuple(fc.constantFrom('ws', 'wss'), fc.domain(), port).map(([s, h, p]) => `${s}://${h}:${p}/x`).filter((u) => u.length <= 255).map(ws),
);

const messageArb = fc.record({
  onwardRoute: fc.array(addressArb, { maxLength: MAX_HOPS }),
  returnRoute: fc.array(addressArb, { maxLength: MAX_HOPS }),
  payload: fc.uint8Array({ maxLength: 300 }),
});

function decodeError(bytes: Uint8Array): unknown {
  try {
    decodeMessage(bytes);
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('message codec', () => {
  it('round-trips every message (property)', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const decoded = decodeMessage(encodeMessage(m));
        expect(decoded.onwardRoute).toEqual(m.onwardRoute);
        expect(decoded.returnRoute).toEqual(m.returnRoute);
        expect(Buffer.from(decoded.payload).equals(Buffer.from(m.payload))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('header then payload is exactly the whole encoding, with headroom and a dropped hop (property)', () => {
    fc.assert(
      fc.property(messageArb, fc.integer({ min: 0, max: 8 }), fc.boolean(), (m, headroom, dropFirstHop) => {
        const whole = encodeMessage(m, { headroom, dropFirstHop });
        const header = encodeMessageHeader(m, { headroom, dropFirstHop });
        expect(Buffer.concat([header, m.payload]).equals(Buffer.from(whole))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('decodes the payload as a view, not a copy', () => {
    const bytes = encodeMessage({ onwardRoute: [local('echo')], returnRoute: [], payload: new Uint8Array([7, 8, 9]) });
    const m = decodeMessage(bytes);
    expect(m.payload.buffer).toBe(bytes.buffer);
    expect(Array.from(m.payload)).toEqual([7, 8, 9]);
  });

  it('leaves zeroed headroom when asked', () => {
    const m = { onwardRoute: [tcp('127.0.0.1:1')], returnRoute: [], payload: new Uint8Array([1]) };
    const framed = encodeMessage(m, { headroom: 4 });
    expect(Array.from(framed.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(decodeMessage(framed.subarray(4))).toEqual(decodeMessage(encodeMessage(m)));
  });

  it('rejects every truncation and any trailing byte (property)', () => {
    fc.assert(
      fc.property(messageArb, fc.nat(), (m, cut) => {
        const bytes = encodeMessage(m);
        expect(decodeError(bytes.subarray(0, cut % bytes.length))).toBeInstanceOf(InvalidInputError);
        const longer = new Uint8Array(bytes.length + 1);
        longer.set(bytes);
        expect(decodeError(longer)).toBeInstanceOf(InvalidInputError);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects bad types, empty addresses, bad UTF-8, bad tcp values and too many hops', () => {
    const bad = [
      [2, 0, 0, 0, 0, 0, 0],
      [1, 1, 9, 1, 0x61, 0, 0, 0, 0, 0],
      [1, 1, 0, 0, 0, 0, 0, 0, 0],
      [1, 1, 0, 2, 0xc3, 0x28, 0, 0, 0, 0, 0],
      [1, 1, 1, 3, 0x61, 0x62, 0x63, 0, 0, 0, 0, 0],
      [1, 1, 2, 5, 0x61, 0x3a, 0x31, 0x2f, 0x2f, 0, 0, 0, 0, 0],
      [1, MAX_HOPS + 1],
    ];
    for (const b of bad) {
      const e = decodeError(new Uint8Array(b));
      expect(e, JSON.stringify(b)).toBeInstanceOf(InvalidInputError);
      expect((e as InvalidInputError).origin).toBe('routing');
    }
  });

  it('refuses to encode what it could not decode', () => {
    const tooMany = Array.from({ length: MAX_HOPS + 1 }, () => local('x'));
    expect(() => encodeMessage({ onwardRoute: tooMany, returnRoute: [], payload: new Uint8Array() })).toThrow(InvalidInputError);
    expect(() => encodeMessage({ onwardRoute: [{ type: 1, value: 'nope' }], returnRoute: [], payload: new Uint8Array() })).toThrow(InvalidInputError);
    expect(() => encodeMessage({ onwardRoute: [{ type: 0, value: '\ud800' }], returnRoute: [], payload: new Uint8Array() })).toThrow(InvalidInputError);
  });

  it('random bytes never throw anything but InvalidInputError (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (random, versioned) => {
        const bytes = versioned && random.length > 0 ? Uint8Array.from([1, ...random.subarray(1)]) : random;
        const e = decodeError(bytes);
        if (e !== undefined) expect(e).toBeInstanceOf(InvalidInputError);
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid messages decode or fail cleanly (fuzz)', () => {
    fc.assert(
      fc.property(messageArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (m, edits) => {
        const bytes = Uint8Array.from(encodeMessage(m));
        for (const [i, v] of edits) bytes[i % bytes.length] = v;
        const e = decodeError(bytes);
        if (e !== undefined) expect(e).toBeInstanceOf(InvalidInputError);
      }),
      { numRuns: 1000 },
    );
  });
});
