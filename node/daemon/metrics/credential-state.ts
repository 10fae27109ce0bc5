import type { PresentedCredential, VerifiedCredential } from '../../../core/credential/credential.js';
import type { CredentialState } from './metric-sources.js';

/** Where the node's credential comes from. */
export interface CredentialReader {
  /** The credential the node holds, verified or not. */
  held(): PresentedCredential | undefined;
  /** The held credential when it verifies now. */
  verified(): VerifiedCredential | undefined;
  /** True when the node is a member of a project (so it needs a credential). */
  member(): boolean;
}

/**
 * The node's credential state for metrics and readiness. The expiry of a credential is
 * remembered from the last time it verified, so an expired credential still reports when
 * it expired (a negative `expires in`) until a new one replaces it.
 */
export function credentialStateReader(reader: CredentialReader): () => CredentialState {
  let known: { held: PresentedCredential; expiresAt: number } | undefined;
  return () => {
    const held = reader.held();
    const verified = held === undefined ? undefined : reader.verified();
    if (held !== undefined && verified !== undefined) known = { held, expiresAt: verified.expiresAt };
    else if (known !== undefined && known.held !== held) known = undefined;
    return { expected: reader.member(), valid: verified !== undefined, ...(known !== undefined ? { expiresAt: known.expiresAt } : {}) };
  };
}
