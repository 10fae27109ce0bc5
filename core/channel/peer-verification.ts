import { SymbolonError, type ErrorKind } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AttributeStore } from '../credential/attribute-store.js';
import { verifyCredential, type PresentedCredential } from '../credential/credential.js';
import { importIdentity, type Identity } from '../identity/identity.js';
import { verifyPurposeKeyAttestation } from '../identity/purpose-key-attestation.js';
import { bytesEqual } from '../identity/signed-structure.js';
import { decodeHandshakePayload } from './handshake-payload.js';

/** The handshake stage that failed, as the local log names it. */
export type HandshakeStage =
  | 'message-1' | 'message-2' | 'message-3' | 'payload' | 'identity' | 'attestation' | 'key-mismatch'
  | 'authorize' | 'refused-by-peer' | 'timeout' | 'aborted' | 'ready' | 'local-key';

const KINDS: Partial<Record<HandshakeStage, ErrorKind>> = {
  'authorize': 'unauthorized', 'refused-by-peer': 'unauthorized', 'key-mismatch': 'unauthorized',
  'timeout': 'timeout', 'aborted': 'aborted', 'identity': 'unauthorized', 'attestation': 'unauthorized',
};

/** A secure channel handshake failed; `stage` says where. The message is for the local log only. */
export class HandshakeError extends SymbolonError {
  override readonly name = 'HandshakeError';
  constructor(readonly stage: HandshakeStage, message: string, options?: { cause?: unknown }) {
    super('channel', KINDS[stage] ?? 'invalid', `secure channel handshake failed at ${stage}: ${message}`, options);
  }
}

/** What verification needs. */
export interface PeerVerificationContext {
  readonly now: number;
  readonly trustedAuthorities: ReadonlyMap<string, Identity>;
  readonly attributeStore: AttributeStore;
  readonly logger: Logger;
}

/**
 * Verifies a peer's handshake payload against its Noise static key `rs`: the change
 * history (fully verified), the X25519 attestation (signed by the current primary key,
 * purpose secure-channel, within validity, attested key == `rs`), then its credentials
 * (see {@link acceptCredentials}). Throws HandshakeError naming the stage.
 */
export function verifyPeer(payloadBytes: Uint8Array, rs: Uint8Array, context: PeerVerificationContext): Identity {
  const payload = attempt('payload', () => decodeHandshakePayload(payloadBytes));
  const identity = attempt('identity', () => importIdentity(payload.changeHistory, context.now));
  const attested = attempt('attestation', () => verifyPurposeKeyAttestation(payload.attestation, identity, 'secure-channel', context.now));
  if (attested.publicKey.type !== 'x25519' || !bytesEqual(attested.publicKey.bytes, rs)) {
    throw new HandshakeError('key-mismatch', `the attested secure-channel key of ${identity.identifier} is not its Noise static key`);
  }
  acceptCredentials(payload.credentials, identity.identifier, context);
  return identity;
}

/**
 * Verifies each credential with subject = `subject` against the trusted authorities and
 * puts the verified ones into the attribute store. A bad, expired or untrusted credential
 * is logged and yields no attributes; it never throws. Returns how many verified.
 */
export function acceptCredentials(credentials: readonly PresentedCredential[], subject: string, context: PeerVerificationContext): number {
  let accepted = 0;
  for (const presented of credentials) {
    try {
      const verified = verifyCredential(presented, { subject, trustedIssuers: context.trustedAuthorities, now: context.now });
      context.attributeStore.put(verified);
      accepted++;
    } catch (error) {
      context.logger.info({ peer: subject, reason: error instanceof Error ? error.message : String(error) }, 'peer credential refused; no attributes from it');
    }
  }
  return accepted;
}

function attempt<T>(stage: HandshakeStage, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    throw new HandshakeError(stage, cause instanceof Error ? cause.message : String(cause), { cause });
  }
}
