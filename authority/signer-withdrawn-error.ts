import { SymbolonError } from '../core/errors.js';

/**
 * A credential-signing key was withdrawn by an admin: the authority neither registers a
 * new attestation of it nor issues credentials signed by it. The replica holding it makes
 * a new key (see `ReplicaSigner`).
 */
export class SignerWithdrawnError extends SymbolonError {
  override readonly name = 'SignerWithdrawnError';
  constructor(readonly keyId: string, message = `signing key ${keyId} was withdrawn`) {
    super('authority', 'unauthorized', message);
  }
}
