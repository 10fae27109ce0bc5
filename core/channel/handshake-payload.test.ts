import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { encodeDeterministic } from '../cbor.js';
import {
  decodeCredentialUpdate, decodeHandshakePayload, encodeCredentialUpdate, encodeHandshakePayload, MAX_PRESENTED_CREDENTIALS,
} from './handshake-payload.js';

const blob = fc.uint8Array({ maxLength: 64 });
const credential = fc.record({ credential: blob, attestation: blob });
const credentials = fc.array(credential, { maxLength: MAX_PRESENTED_CREDENTIALS });

describe('handshake payload codec', () => {
  test.prop([blob, blob, credentials])('round-trips', (changeHistory, attestation, presented) => {
    const decoded = decodeHandshakePayload(encodeHandshakePayload({ changeHistory, attestation, credentials: presented }));
    expect(decoded).toEqual({ version: 1, changeHistory, attestation, credentials: presented });
    expect(decodeCredentialUpdate(encodeCredentialUpdate(presented))).toEqual(presented);
  });

  test.prop([fc.uint8Array({ maxLength: 200 })])('rejects arbitrary bytes with InvalidInputError, never anything else', (bytes) => {
    for (const decode of [decodeHandshakePayload, decodeCredentialUpdate]) {
      try {
        decode(bytes);
      } catch (error) {
        expect(error).toMatchObject({ name: 'InvalidInputError', origin: 'channel' });
      }
    }
  });

  it('rejects other versions, extra fields, too many credentials and non-canonical encodings', () => {
    const base = { version: 1, changeHistory: new Uint8Array(1), attestation: new Uint8Array(1), credentials: [] };
    expect(() => decodeHandshakePayload(encodeDeterministic({ ...base, version: 2 }))).toThrow(/unsupported version 2/);
    expect(() => decodeHandshakePayload(encodeDeterministic({ ...base, extra: 1 }))).toThrow(/unexpected field extra/);
    const many = Array.from({ length: MAX_PRESENTED_CREDENTIALS + 1 }, () => ({ credential: new Uint8Array(1), attestation: new Uint8Array(1) }));
    expect(() => decodeHandshakePayload(encodeDeterministic({ ...base, credentials: many }))).toThrow(/more than/);
    expect(() => encodeHandshakePayload({ ...base, credentials: many })).toThrow(/at most/);
    const canonical = encodeHandshakePayload(base);
    const lengthy = Buffer.concat([Buffer.from([0xb9, 0x00, 0x04]), canonical.subarray(1)]);
    expect(() => decodeHandshakePayload(lengthy)).toThrow(/deterministic|malformed/);
  });
});
