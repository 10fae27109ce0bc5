import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeDeterministic } from '../../core/cbor.js';
import { SymbolonError } from '../../core/errors.js';
import {
  AUTHORITY_PROTOCOL_VERSION, MAX_REQUEST_BYTES, decodeRequest, decodeResponse, encodeError, encodeRequest, encodeResult, salvageRequestId,
} from './protocol.js';

const id = fc.integer({ min: 0, max: 0xffff_ffff });
const value = fc.oneof(fc.string({ maxLength: 40 }), fc.nat(), fc.boolean(), fc.uint8Array({ maxLength: 40 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }), fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 5 }));
const params = fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), value, { maxKeys: 8 });
const method = fc.string({ minLength: 1, maxLength: 64 });

describe('authority request/response codec', () => {
  it('round-trips requests and responses', () => {
    fc.assert(fc.property(id, method, params, (i, m, p) => {
      expect(decodeRequest(encodeRequest({ id: i, method: m, params: p }))).toEqual({ version: AUTHORITY_PROTOCOL_VERSION, id: i, method: m, params: p });
      expect(decodeResponse(encodeResult(i, p))).toEqual({ version: AUTHORITY_PROTOCOL_VERSION, id: i, ok: true, result: p });
    }));
    fc.assert(fc.property(id, fc.string({ maxLength: 100 }), fc.constantFrom('invalid', 'unauthorized', 'expired', 'internal'), (i, message, kind) => {
      const decoded = decodeResponse(encodeError(i, { kind, message, reason: 'used-up' }));
      expect(decoded).toMatchObject({ ok: false, id: i, error: { kind, reason: 'used-up' } });
    }));
  });

  it('keeps a "__proto__" key as a key (never as a prototype)', () => {
    const params = JSON.parse('{" ":{"__proto__":[]},"__proto__":"x"}') as Record<string, unknown>;
    const decoded = decodeRequest(encodeRequest({ id: 0, method: 'm', params })).params;
    expect(Object.keys(decoded)).toEqual([' ', '__proto__']);
    expect(Object.keys(decoded[' '] as object)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(decoded[' '])).toBe(Object.prototype);
  });

  it('drops undefined fields so optional parameters encode deterministically', () => {
    const bytes = encodeRequest({ id: 7, method: 'list', params: { after: undefined, nested: { a: undefined, b: 'x' } } });
    expect(decodeRequest(bytes).params).toEqual({ nested: { b: 'x' } });
  });

  it('rejects any malformed input with an InvalidInputError, never another exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      for (const decode of [decodeRequest, decodeResponse]) {
        try {
          decode(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(SymbolonError);
          expect((error as SymbolonError).kind).toBe('invalid');
        }
      }
      expect(salvageRequestId(bytes)).toBeGreaterThanOrEqual(0);
    }));
  });

  it('names what is wrong', () => {
    const enc = (v: unknown): Uint8Array => encodeDeterministic(v);
    expect(() => decodeRequest(enc({ version: 2, id: 1, method: 'x', params: {} }))).toThrow(/version 2 is not supported/);
    expect(() => decodeRequest(enc({ version: 1, id: -1, method: 'x', params: {} }))).toThrow(/id must be/);
    expect(() => decodeRequest(enc({ version: 1, id: 1, method: '', params: {} }))).toThrow(/method/);
    expect(() => decodeRequest(enc({ version: 1, id: 1, method: 'x', params: [] }))).toThrow(/params must be a map/);
    expect(() => decodeRequest(enc({ version: 1, id: 1, method: 'x', params: {}, extra: 1 }))).toThrow(/unexpected fields \(extra\)/);
    expect(() => decodeRequest(enc([1, 2]))).toThrow(/not a map/);
    expect(() => decodeRequest(new Uint8Array(MAX_REQUEST_BYTES + 1))).toThrow(/larger than/);
    expect(() => encodeRequest({ id: 1, method: 'x', params: { big: new Uint8Array(MAX_REQUEST_BYTES) } })).toThrow(/too large/);
    expect(() => decodeResponse(enc({ version: 1, id: 1, ok: false, error: { kind: 'weird', message: 'm' } }))).toThrow(/known kind/);
    expect(salvageRequestId(enc({ version: 9, id: 42 }))).toBe(42);
  });

  it('keeps error messages to one line', () => {
    const decoded = decodeResponse(encodeError(1, { kind: 'invalid', message: 'a\nb\r\nc' }));
    expect(decoded.ok === false && decoded.error.message).toBe('a b c');
  });
});
