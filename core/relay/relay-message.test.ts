import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidInputError } from '../errors.js';
import { MAX_RELAY_NAME_LENGTH, decodeRelayMessage, encodeRelayMessage, isRelayName, relayAddress } from './relay-message.js';
import type { RelayMessage } from './relay-message.js';

const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);
const relayMessage: fc.Arbitrary<RelayMessage> = fc.oneof(
  fc.record({ type: fc.constant('create' as const), name }),
  fc.record({ type: fc.constant('delete' as const), name }),
  fc.record({ type: fc.constant('unknown' as const), name }),
  fc.constantFrom<RelayMessage>({ type: 'created' }, { type: 'deleted' }, { type: 'refused' }),
);

describe('relay messages', () => {
  it('round-trip', () => {
    fc.assert(fc.property(relayMessage, (m) => {
      expect(decodeRelayMessage(encodeRelayMessage(m))).toEqual(m);
    }));
  });

  it('throw only InvalidInputError on arbitrary bytes, and decode canonically', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      try {
        expect(Array.from(encodeRelayMessage(decodeRelayMessage(bytes)))).toEqual(Array.from(bytes));
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidInputError);
      }
    }), { numRuns: 2000 });
  });

  it('validate names', () => {
    expect(isRelayName('postgres')).toBe(true);
    expect(isRelayName('db-1.eu_west')).toBe(true);
    for (const bad of ['', '-x', 'a/b', 'a b', 'é', 'x'.repeat(MAX_RELAY_NAME_LENGTH + 1), 42]) {
      expect(isRelayName(bad)).toBe(false);
    }
    expect(relayAddress('db')).toBe('forward_to_db');
    expect(() => relayAddress('../x')).toThrow(InvalidInputError);
    expect(() => encodeRelayMessage({ type: 'create', name: 'a b' })).toThrow(InvalidInputError);
    expect(() => decodeRelayMessage(Uint8Array.of(1, 3, 0x61, 0x20, 0x62))).toThrow(InvalidInputError);
    expect(() => decodeRelayMessage(Uint8Array.of(1, 2, 0xc3, 0x28))).toThrow(InvalidInputError);
  });
});
