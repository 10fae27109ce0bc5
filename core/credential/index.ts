/** Credentials: issue, verify, and the per-subject attribute store. */
export {
  issueCredential, verifyCredential, encodePresentedCredential, decodePresentedCredential, CREDENTIAL_VERSION,
  type IssueCredentialOptions, type PresentedCredential, type VerifiedCredential, type VerifyCredentialOptions,
} from './credential.js';
export { CredentialVerificationError, type CredentialFailureReason } from './credential-error.js';
export { AttributeStore, type AttributeStoreOptions, type SubjectAttributes } from './attribute-store.js';
export {
  ATTRIBUTE_NAME_PATTERN, MAX_ATTRIBUTES, MAX_ATTRIBUTE_VALUE_BYTES, RESERVED_ATTRIBUTE_NAMES, attributesProblem, checkedAttributes,
} from './attributes.js';
export { signerKeyId, isSignerKeyId } from './signer-key.js';
