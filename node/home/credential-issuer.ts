import { issueCredential, type PresentedCredential } from '../../core/credential/credential.js';
import { PurposeKeys } from '../../core/identity/purpose-keys.js';
import type { Home } from './home.js';
import { identityPurposeKeysPath, loadIdentity } from './identity-registry.js';
import { FilePurposeKeyStore } from './purpose-key-file.js';
import { DEFAULT_VAULT, openFileVault, openVault } from './vault-registry.js';

/** What {@link issueAs} needs. */
export interface IssueAsOptions {
  readonly subject: string;
  readonly attributes: Record<string, string>;
  /** Validity in milliseconds, whole seconds of it used (capped at the signing key attestation's expiry). */
  readonly ttlMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Issues a credential as identity `issuerName` of the home: its credential-signing
 * purpose key lives in the home's default file vault (created and attested by the
 * primary key on first use, re-attested before expiry, recorded in
 * `identities/<name>.purpose-keys.json`), so a KMS or HSM primary key signs only the
 * attestation. `expiresAt` of the result is in milliseconds since the epoch.
 */
export async function issueAs(home: Home, issuerName: string, options: IssueAsOptions): Promise<PresentedCredential & { expiresAt: number; issuer: string }> {
  const { record, identity } = loadIdentity(home, issuerName);
  const local = openFileVault(home, DEFAULT_VAULT);
  const primary = record.vault === DEFAULT_VAULT ? undefined : await openVault(home, record.vault);
  try {
    const keys = new PurposeKeys({
      identity, identityVault: primary?.signing ?? local, secureChannelVault: local, credentialVault: local,
      store: new FilePurposeKeyStore(identityPurposeKeysPath(home, issuerName)),
    });
    const key = await keys.credentialSigningKey(options.signal ? { signal: options.signal } : {});
    const issued = await issueCredential({
      issuer: identity, signingVault: local, signingKey: key.handle, attestation: key.attestation,
      subject: options.subject, attributes: options.attributes, ttl: Math.floor(options.ttlMs / 1000), ...(options.signal ? { signal: options.signal } : {}),
    });
    return { ...issued, expiresAt: issued.expiresAt * 1000, issuer: identity.identifier };
  } finally {
    await primary?.close();
  }
}
