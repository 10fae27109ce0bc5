import { SymbolonError } from '../errors.js';

/** Why a change history, an attestation or an identity operation was refused. */
export type IdentityFailureReason =
  | 'malformed' | 'bad-signature' | 'bad-previous-signature' | 'broken-chain'
  | 'expired' | 'not-yet-valid' | 'identifier-mismatch' | 'wrong-subject' | 'wrong-purpose' | 'key-mismatch';

/**
 * A change history or purpose-key attestation failed verification. `changeIndex` names
 * the failing change (0-based) when there is one; `reason` says why.
 */
export class IdentityVerificationError extends SymbolonError {
  override readonly name = 'IdentityVerificationError';
  constructor(
    readonly reason: IdentityFailureReason,
    message: string,
    readonly changeIndex?: number,
    options?: { cause?: unknown },
  ) {
    super('identity', reason === 'expired' || reason === 'not-yet-valid' ? 'expired' : 'invalid', message, options);
  }
}
