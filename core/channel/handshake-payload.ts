import { encodeDeterministic } from '../cbor.js';
import { InvalidInputError } from '../errors.js';
import type { PresentedCredential } from '../credential/credential.js';
import { checkShape, decodeCanonical } from '../identity/signed-structure.js';

/** Version of the handshake payload and credential update formats. */
export const HANDSHAKE_PAYLOAD_VERSION = 1;
/** Most credentials one payload or update may carry. */
export const MAX_PRESENTED_CREDENTIALS = 8;

/**
 * What handshake messages 2 and 3 carry (encrypted by Noise): the sender's encoded change
 * history, its attestation of the X25519 secure-channel key, and its credentials.
 */
export interface HandshakePayload {
  readonly version: number;
  readonly changeHistory: Uint8Array;
  readonly attestation: Uint8Array;
  readonly credentials: readonly PresentedCredential[];
}

/** Encodes a handshake payload: deterministic CBOR map. */
export function encodeHandshakePayload(payload: Omit<HandshakePayload, 'version'>): Uint8Array {
  return encodeDeterministic({
    version: HANDSHAKE_PAYLOAD_VERSION,
    changeHistory: payload.changeHistory,
    attestation: payload.attestation,
    credentials: credentialList(payload.credentials),
  });
}

/** Decodes a handshake payload; InvalidInputError (origin channel) naming the problem otherwise. */
export function decodeHandshakePayload(bytes: Uint8Array): HandshakePayload {
  const value = decodeCanonical(bytes, 'channel', 'handshake payload');
  const fields = ['version', 'changeHistory', 'attestation', 'credentials'];
  const problem = typeof value === 'string' ? value : checkShape(value, fields, fields);
  if (problem) throw new InvalidInputError('channel', `handshake payload: ${problem}`);
  const v = value as Record<string, unknown>;
  if (v.version !== HANDSHAKE_PAYLOAD_VERSION) throw new InvalidInputError('channel', `handshake payload: unsupported version ${String(v.version)}`);
  if (!(v.changeHistory instanceof Uint8Array) || !(v.attestation instanceof Uint8Array)) {
    throw new InvalidInputError('channel', 'handshake payload: changeHistory and attestation must be bytes');
  }
  return { version: v.version, changeHistory: v.changeHistory, attestation: v.attestation, credentials: credentialsFrom(v.credentials) };
}

/** Encodes a credential update (plaintext of a CHANNEL_CREDENTIAL message, after its type byte). */
export function encodeCredentialUpdate(credentials: readonly PresentedCredential[]): Uint8Array {
  return encodeDeterministic({ version: HANDSHAKE_PAYLOAD_VERSION, credentials: credentialList(credentials) });
}

/** Decodes a credential update; InvalidInputError otherwise. */
export function decodeCredentialUpdate(bytes: Uint8Array): PresentedCredential[] {
  const value = decodeCanonical(bytes, 'channel', 'credential update');
  const problem = typeof value === 'string' ? value : checkShape(value, ['version', 'credentials'], ['version', 'credentials']);
  if (problem) throw new InvalidInputError('channel', `credential update: ${problem}`);
  const v = value as Record<string, unknown>;
  if (v.version !== HANDSHAKE_PAYLOAD_VERSION) throw new InvalidInputError('channel', `credential update: unsupported version ${String(v.version)}`);
  return credentialsFrom(v.credentials);
}

function credentialList(credentials: readonly PresentedCredential[]): Array<{ credential: Uint8Array; attestation: Uint8Array }> {
  if (credentials.length > MAX_PRESENTED_CREDENTIALS) throw new InvalidInputError('channel', `at most ${MAX_PRESENTED_CREDENTIALS} credentials per payload`);
  return credentials.map((c) => ({ credential: c.credential, attestation: c.attestation }));
}

function credentialsFrom(value: unknown): PresentedCredential[] {
  if (!Array.isArray(value)) throw new InvalidInputError('channel', 'credentials must be a list');
  if (value.length > MAX_PRESENTED_CREDENTIALS) throw new InvalidInputError('channel', `more than ${MAX_PRESENTED_CREDENTIALS} credentials`);
  return value.map((item: unknown) => {
    const problem = checkShape(item, ['credential', 'attestation'], ['credential', 'attestation']);
    const c = item as Record<string, unknown>;
    if (problem || !(c.credential instanceof Uint8Array) || !(c.attestation instanceof Uint8Array)) {
      throw new InvalidInputError('channel', `credential entry: ${problem ?? 'fields must be bytes'}`);
    }
    return { credential: c.credential, attestation: c.attestation };
  });
}
