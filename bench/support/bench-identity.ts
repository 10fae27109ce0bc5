/**
 * Identities for the benchmark's nodes: a throw-away authority in the parent process
 * that issues one credential per node, and, in each node process, an identity with an
 * attested X25519 secure-channel key (all keys in memory vaults).
 */
import { Identity, PurposeKeys, createIdentity } from '../../core/identity/index.js';
import type { IdentityJSON } from '../../core/identity/index.js';
import { issueCredential } from '../../core/credential/index.js';
import type { PresentedCredential } from '../../core/credential/index.js';
import { MemoryVault } from '../../core/vault/memory-vault.js';
import type { SecureChannelKey } from '../../core/channel/secure-channel-options.js';

/** Credential validity for benchmark nodes: one hour. */
const CREDENTIAL_TTL_SECONDS = 3600;

/** The authority side: its public identity and a function issuing credentials to node identities. */
export interface BenchAuthority {
  readonly identity: IdentityJSON;
  issue(subject: IdentityJSON, attributes: Record<string, string>): Promise<PresentedCredential>;
}

/** Creates an in-memory authority (Ed25519 primary key, attested Ed25519 credential-signing key). */
export async function createBenchAuthority(): Promise<BenchAuthority> {
  const vault = new MemoryVault({ name: 'bench-authority' });
  const identity = await createIdentity(vault, 'ed25519');
  const keys = new PurposeKeys({ identity, identityVault: vault, secureChannelVault: vault, credentialVault: vault });
  const signing = await keys.credentialSigningKey();
  return {
    identity: identity.toJSON(),
    issue: async (subject, attributes) => {
      const { credential, attestation } = await issueCredential({
        issuer: identity, signingVault: vault, signingKey: signing.handle, attestation: signing.attestation,
        subject: Identity.fromJSON(subject).identifier, attributes, ttl: CREDENTIAL_TTL_SECONDS,
      });
      return { credential, attestation };
    },
  };
}

/** What a node process holds to take part in secure channels. */
export interface BenchMember {
  readonly identity: Identity;
  readonly secureChannelKey: SecureChannelKey;
}

/** Creates a node identity with an attested secure-channel key, in memory. */
export async function createBenchMember(): Promise<BenchMember> {
  const vault = new MemoryVault({ name: 'bench-node' });
  const identity = await createIdentity(vault, 'ed25519');
  const keys = new PurposeKeys({ identity, identityVault: vault, secureChannelVault: vault });
  const attested = await keys.secureChannelKey();
  return { identity, secureChannelKey: { vault, handle: attested.handle, attestation: attested.attestation } };
}
