import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidInputError } from '../errors.js';
import {
  DISCONNECT, DisconnectReason, MAX_CREDIT_WINDOW, MAX_PAYLOAD_CHUNK, MAX_SESSION_ID_LENGTH, PORTAL_PROTOCOL_VERSION,
  decodePortalMessage, encodeCredit, encodePayload, encodePayloadParts, encodePortalMessage,
} from './portal-message.js';
import type { PortalMessage } from './portal-message.js';

const window = fc.integer({ min: 1, max: MAX_CREDIT_WINDOW });
const portalMessage: fc.Arbitrary<PortalMessage> = fc.oneof(
  fc.record({ type: fc.constant('ping' as const), version: fc.integer({ min: 0, max: 255 }), window }),
  fc.record({
    type: fc.constant('ping' as const), version: fc.integer({ min: 0, max: 255 }), window,
    sessionId: fc.uint8Array({ minLength: 1, maxLength: MAX_SESSION_ID_LENGTH }),
  }),
  fc.record({ type: fc.constant('pong' as const), version: fc.integer({ min: 0, max: 255 }), window }),
  fc.record({ type: fc.constant('payload' as const), sequence: fc.integer({ min: 0, max: 0xffffffff }), data: fc.uint8Array({ minLength: 1, maxLength: 2048 }) }),
  fc.record({ type: fc.constant('credit' as const), amount: fc.integer({ min: 1, max: 0xffffffff }) }),
  fc.constant({ type: 'end' as const }),
  fc.record({ type: fc.constant('disconnect' as const), reason: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ type: fc.constant('ack' as const), amount: fc.integer({ min: 1, max: 0xffffffff }) }),
  fc.record({ type: fc.constant('grant' as const), ack: fc.integer({ min: 1, max: 0xffffffff }), credit: fc.integer({ min: 0, max: 0xffffffff }) }),
  fc.record({ type: fc.constant('grant' as const), ack: fc.constant(0), credit: fc.integer({ min: 1, max: 0xffffffff }) }),
  fc.constant({ type: 'probe' as const }),
  fc.record({
    type: fc.constant('state' as const), received: fc.integer({ min: 0, max: 0xffffffff }),
    granted: fc.integer({ min: 0, max: 0xffffffff }), acked: fc.integer({ min: 0, max: 0xffffffff }), ended: fc.boolean(),
  }),
);

function normalize(m: PortalMessage): unknown {
  if (m.type === 'payload') return { type: 'payload', sequence: m.sequence, data: Array.from(m.data) };
  if (m.type === 'ping' && m.sessionId) return { ...m, sessionId: Array.from(m.sessionId) };
  return m;
}

describe('portal messages', () => {
  it('round-trips every message type', () => {
    fc.assert(fc.property(portalMessage, (m) => {
      expect(normalize(decodePortalMessage(encodePortalMessage(m)))).toEqual(normalize(m));
    }));
  });

  it('never throws anything but InvalidInputError on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      try {
        const m = decodePortalMessage(bytes);
        // Whatever decodes must re-encode to the same bytes (one encoding per message).
        expect(Array.from(encodePortalMessage(m))).toEqual(Array.from(bytes));
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidInputError);
      }
    }), { numRuns: 2000 });
  });

  it('rejects truncated and overlong encodings', () => {
    fc.assert(fc.property(portalMessage, fc.integer({ min: 1, max: 8 }), (m, cut) => {
      const bytes = encodePortalMessage(m);
      if (m.type !== 'payload' && m.type !== 'disconnect' && cut <= bytes.length - 1) {
        expect(() => decodePortalMessage(bytes.subarray(0, bytes.length - cut))).toThrow(InvalidInputError);
      }
      if (m.type !== 'payload') {
        const longer = new Uint8Array(bytes.length + cut);
        longer.set(bytes);
        expect(() => decodePortalMessage(longer)).toThrow(InvalidInputError);
      }
    }));
  });

  it('has a compact, fixed layout', () => {
    expect(Array.from(encodePortalMessage({ type: 'ping', version: PORTAL_PROTOCOL_VERSION, window: 0x40000 })))
      .toEqual([1, 3, 0, 4, 0, 0, 0]);
    expect(Array.from(encodePortalMessage({ type: 'pong', version: 1, window: 0x40000 }))).toEqual([2, 1, 0, 4, 0, 0]);
    expect(Array.from(encodePayload(0x0a0b0c0d, Uint8Array.of(9, 8)))).toEqual([3, 10, 11, 12, 13, 9, 8]);
    expect(Array.from(encodeCredit(0x01020304))).toEqual([4, 1, 2, 3, 4]);
    expect(Array.from(encodePortalMessage({ type: 'end' }))).toEqual([5]);
    expect(Array.from(encodePortalMessage({ type: 'disconnect', reason: DisconnectReason.refused }))).toEqual([6, 3]);
    expect(Array.from(encodePortalMessage({ type: 'ack', amount: 0x01020304 }))).toEqual([7, 1, 2, 3, 4]);
    expect(Array.from(encodePortalMessage({ type: 'probe' }))).toEqual([8]);
    expect(Array.from(encodePortalMessage({ type: 'state', received: 5, granted: 0x01020304, acked: 7, ended: true })))
      .toEqual([9, 0, 0, 0, 5, 1, 2, 3, 4, 0, 0, 0, 7, 1]);
    expect(Array.from(encodePortalMessage({ type: 'grant', ack: 0x01020304, credit: 0x05060708 }))).toEqual([10, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(decodePortalMessage(Uint8Array.of(10, 0, 0, 0, 0, 0, 0, 1, 0))).toEqual({ type: 'grant', ack: 0, credit: 256 });
    expect(decodePortalMessage(Uint8Array.of(DISCONNECT))).toEqual({ type: 'disconnect', reason: 0 });
  });

  it('refuses a grant that carries nothing or has the wrong length', () => {
    expect(() => decodePortalMessage(Uint8Array.of(10, 0, 0, 0, 0, 0, 0, 0, 0))).toThrow(InvalidInputError);
    expect(() => decodePortalMessage(Uint8Array.of(10, 0, 0, 0, 1, 0, 0, 0))).toThrow(InvalidInputError);
    expect(() => encodePortalMessage({ type: 'grant', ack: 0, credit: 0 })).toThrow(InvalidInputError);
    expect(() => encodePortalMessage({ type: 'grant', ack: -1, credit: 5 })).toThrow(InvalidInputError);
  });

  it('joins payload parts into one chunk of the asked length (property)', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 1, maxLength: 8 }), fc.nat(), (parts, cut) => {
      const joined = Buffer.concat(parts);
      const length = 1 + (cut % joined.length);
      expect(Buffer.from(encodePayloadParts(7, parts, length)).equals(Buffer.from(encodePayload(7, joined.subarray(0, length))))).toBe(true);
    }));
    expect(() => encodePayloadParts(0, [Uint8Array.of(1)], 2)).toThrow(InvalidInputError);
    expect(() => encodePayloadParts(0, [new Uint8Array(MAX_PAYLOAD_CHUNK + 1)], MAX_PAYLOAD_CHUNK + 1)).toThrow(InvalidInputError);
  });

  it('bounds chunks, windows and credit', () => {
    expect(() => encodePayload(0, new Uint8Array(0))).toThrow(InvalidInputError);
    expect(() => encodePayload(0, new Uint8Array(MAX_PAYLOAD_CHUNK + 1))).toThrow(InvalidInputError);
    expect(() => encodePayload(-1, new Uint8Array(1))).toThrow(InvalidInputError);
    expect(decodePortalMessage(encodePayload(1, new Uint8Array(MAX_PAYLOAD_CHUNK))).type).toBe('payload');
    expect(() => decodePortalMessage(Uint8Array.of(3, 0, 0, 0, 1))).toThrow(InvalidInputError);
    const big = new Uint8Array(MAX_PAYLOAD_CHUNK + 6);
    big[0] = 3;
    expect(() => decodePortalMessage(big)).toThrow(InvalidInputError);
    expect(() => decodePortalMessage(Uint8Array.of(4, 0, 0, 0, 0))).toThrow(InvalidInputError);
    expect(() => decodePortalMessage(Uint8Array.of(2, 1, 0, 0, 0, 0))).toThrow(InvalidInputError);
    expect(() => decodePortalMessage(Uint8Array.of(2, 1, 0xff, 0, 0, 0))).toThrow(InvalidInputError);
    expect(() => encodePortalMessage({ type: 'ping', version: 1, window: 1, sessionId: new Uint8Array(65) })).toThrow(InvalidInputError);
    expect(() => decodePortalMessage(Uint8Array.of(1, 1, 0, 0, 1, 0, 65))).toThrow(InvalidInputError);
    expect(() => decodePortalMessage(Uint8Array.of(0))).toThrow(InvalidInputError);
    expect(() => decodePortalMessage(new Uint8Array(0))).toThrow(InvalidInputError);
  });
});
