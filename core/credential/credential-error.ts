import { SymbolonError, type ErrorKind } from '../errors.js';

/** Why a credential was refused. */
export type CredentialFailureReason =
  | 'malformed' | 'untrusted-issuer' | 'bad-attestation' | 'bad-signature'
  | 'wrong-subject' | 'expired' | 'not-yet-valid' | 'withdrawn-signer';

const KINDS: Record<CredentialFailureReason, ErrorKind> = {
  'malformed': 'invalid',
  'untrusted-issuer': 'unauthorized',
  'bad-attestation': 'invalid',
  'bad-signature': 'invalid',
  'wrong-subject': 'unauthorized',
  'expired': 'expired',
  'not-yet-valid': 'expired',
  'withdrawn-signer': 'unauthorized',
};

/** A credential failed verification; `reason` says which check. */
export class CredentialVerificationError extends SymbolonError {
  override readonly name = 'CredentialVerificationError';
  constructor(readonly reason: CredentialFailureReason, message: string, options?: { cause?: unknown }) {
    super('credential', KINDS[reason], message, options);
  }
}
