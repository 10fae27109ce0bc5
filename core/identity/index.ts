/** Identities, purpose-key attestations and the purpose-key helper. */
export { Identity, importIdentity, type IdentityJSON } from './identity.js';
export { createIdentity, rotateIdentity, DEFAULT_IDENTITY_TTL_SECONDS, type IdentityChangeOptions } from './identity-lifecycle.js';
export { IDENTIFIER_PATTERN, assertIdentifier, isIdentifier, identifierFromHash } from './identifier.js';
export { IdentityVerificationError, type IdentityFailureReason } from './identity-error.js';
export type { IdentityChange, IdentityChangeData } from './identity-change.js';
export { DEFAULT_MAX_DRIFT_SECONDS, MAX_CHANGES, verifyChangeHistory } from './change-history.js';
export {
  attestPurposeKey, verifyPurposeKeyAttestation, verifySecureChannelAttestation, DEFAULT_ATTESTATION_TTL_SECONDS,
  type AttestOptions, type KeyPurpose, type PurposeKeyAttestation, type PurposePublicKey,
} from './purpose-key-attestation.js';
export { PurposeKeys, type AttestedSecureChannelKey, type AttestedSigningKey, type PurposeKeysOptions } from './purpose-keys.js';
export { MemoryPurposeKeyStore, type PurposeKeyRecord, type PurposeKeyStore } from './purpose-key-store.js';
export { nowSeconds } from './seconds.js';
