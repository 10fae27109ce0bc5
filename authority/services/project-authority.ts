import { issueCredential } from '../../core/credential/credential.js';
import type { Identity } from '../../core/identity/identity.js';
import type { AttestedSigningKey } from '../../core/identity/purpose-keys.js';
import type { Node } from '../../core/node/node.js';
import type { SigningVault } from '../../core/vault/signing-vault.js';
import { InvalidInputError } from '../../core/errors.js';
import { signerKeyId } from '../../core/credential/signer-key.js';
import type { Logger } from '../../core/logger.js';
import { ReplicaSigner, type ReplicaPurposeKeys } from '../replica-signer.js';
import type { AuthorityStore } from '../authority-store.js';
import { Authority, type SignCredential, type SignDigest, type SignRevocationList } from '../authority.js';
import { startAuthorityServices, type AuthorityServices, type AuthorityServicesOptions } from './start-authority-services.js';

/** Options of {@link createProjectAuthority}. */
export interface ProjectAuthorityOptions {
  /** The project node the services run on. */
  readonly node: Node;
  /** The authority's identity; `primaryKeyHandle` must be set (it signs audit checkpoints). */
  readonly identity: Identity;
  /** The vault holding the identity's primary key (may be a KMS or HSM: called once per checkpoint). */
  readonly identityVault: SigningVault;
  /**
   * The identity's credential-signing purpose key (`PurposeKeys.credentialSigningKey`),
   * re-attested as needed. With `replica`, it must also replace keys (`PurposeKeys`), and
   * the key is registered in the signer list (see {@link ReplicaSigner}).
   */
  readonly purposeKeys: { credentialSigningKey(options?: { signal?: AbortSignal }): Promise<AttestedSigningKey> } | ReplicaPurposeKeys;
  /**
   * The name of this project node (replica): its credential-signing key is registered in
   * the signer list under it at start, and replaced after a withdrawal.
   */
  readonly replica?: string;
  readonly logger?: Logger;
  /** The vault holding the credential-signing key (the node's local vault). */
  readonly credentialVault: SigningVault;
  readonly store: AuthorityStore;
  readonly projectName: string;
  /** Route text enrollees use to reach the project node, e.g. `/ip4/127.0.0.1/tcp/4000`. */
  readonly projectRoute: string;
  /** Route text enrollees use to reach the project node over WebSocket, when it has one (tickets carry it too). */
  readonly projectWsRoute?: string;
  /** Route to the project node over UDP, printed into tickets when the project has one. */
  readonly projectUdpRoute?: string;
  /** Routes of all the project's replicas, for tickets (see AuthorityOptions.project.routes). */
  readonly projectRoutes?: () => readonly string[] | Promise<readonly string[]>;
  /** The live replicas' routes as last read, served to members (see AuthorityOptions.project.knownRoutes). */
  readonly projectKnownRoutes?: () => readonly string[];
  /** Made the first admin when the project has none (the project's creator). */
  readonly admin?: string;
  /** Credential lifetime in ms (default 1 h). */
  readonly credentialTtlMs?: number;
  readonly checkpointEvery?: number;
  /** Milliseconds since the epoch (default `Date.now`). */
  readonly clock?: () => number;
  readonly accessControl?: AuthorityServicesOptions['accessControl'];
  readonly addresses?: AuthorityServicesOptions['addresses'];
}

/** A running project authority. */
export interface ProjectAuthority {
  readonly authority: Authority;
  readonly services: AuthorityServices;
  /** The registered signing key of this replica (with `replica`). */
  readonly signer?: ReplicaSigner;
  /** Stops the services (the store stays open: its owner closes it). */
  stop(): Promise<void>;
}

/**
 * Signs credentials with `issueCredential` and the identity's attested credential-signing
 * key. The Authority counts in milliseconds, credentials in whole seconds: the lifetime is
 * rounded down to seconds and the result's times are converted back to milliseconds.
 */
export function credentialSigner(options: Pick<ProjectAuthorityOptions, 'identity' | 'purposeKeys' | 'credentialVault' | 'clock'>): SignCredential {
  const clock = options.clock ?? Date.now;
  return async (subject, attributes, ttlMs) => {
    const key = await options.purposeKeys.credentialSigningKey();
    const now = Math.floor(clock() / 1000);
    const issued = await issueCredential({
      issuer: options.identity, signingVault: options.credentialVault, signingKey: key.handle, attestation: key.attestation,
      subject, attributes: { ...attributes }, ttl: Math.max(1, Math.floor(ttlMs / 1000)), now,
    });
    const signerKey = 'keyId' in key && typeof key.keyId === 'string' ? key.keyId : signerKeyId(key.publicKey);
    return { credential: issued.credential, attestation: issued.attestation, createdAt: now * 1000, expiresAt: issued.expiresAt * 1000, signerKey };
  };
}

/** Signs revocation list digests with the identity's attested credential-signing key (a local key: cheap to call often). */
export function revocationListSigner(options: Pick<ProjectAuthorityOptions, 'purposeKeys' | 'credentialVault'>): SignRevocationList {
  return async (digest) => {
    const key = await options.purposeKeys.credentialSigningKey();
    return { signature: await options.credentialVault.signDigest(key.handle, digest), attestation: key.attestation };
  };
}

/** Signs audit checkpoint digests with the identity's primary key (checked against its public key). */
export function checkpointSigner(identity: Identity, identityVault: SigningVault): SignDigest {
  return async (digest) => await identity.sign(identityVault, digest);
}

/**
 * Bootstraps a project authority on `node`: builds the {@link Authority} over `store`
 * (credentials signed by the credential purpose key, checkpoints by the primary key,
 * tickets carrying the identity's change history), makes `admin` the first admin when the
 * project has none, and starts the authority services.
 */
export async function createProjectAuthority(options: ProjectAuthorityOptions): Promise<ProjectAuthority> {
  const { identity } = options;
  if (identity.primaryKeyHandle === undefined) throw new InvalidInputError('authority', `authority identity ${identity.identifier} has no local primary key handle`);
  let signer: ReplicaSigner | undefined;
  let keys = options.purposeKeys;
  if (options.replica !== undefined) {
    if (!('replaceCredentialSigningKey' in keys)) throw new InvalidInputError('authority', 'a replica signer needs purpose keys that can replace the signing key');
    // Registration goes through the Authority built below (it is only called after that).
    let authorityRef: Authority | undefined;
    signer = new ReplicaSigner({
      register: { registerSigner: (r, o) => (authorityRef as Authority).registerSigner(r, o) },
      replica: options.replica, purposeKeys: keys, ...(options.logger ? { logger: options.logger } : {}),
    });
    keys = signer;
    const authority = await buildAuthority({ ...options, purposeKeys: keys });
    authorityRef = authority;
    authority.onSignerWithdrawn((keyId) => signer?.markWithdrawn(keyId));
    await signer.credentialSigningKey();
    return await startProject(authority, options, signer);
  }
  return await startProject(await buildAuthority(options), options, undefined);
}

async function buildAuthority(options: ProjectAuthorityOptions): Promise<Authority> {
  const { identity } = options;
  return new Authority({
    store: options.store,
    identifier: identity.identifier,
    project: {
      name: options.projectName, route: options.projectRoute, authorityChangeHistory: identity.exportChangeHistory(),
      ...(options.projectWsRoute === undefined ? {} : { wsRoute: options.projectWsRoute }),
      ...(options.projectUdpRoute === undefined ? {} : { udpRoute: options.projectUdpRoute }),
      ...(options.projectRoutes === undefined ? {} : { routes: options.projectRoutes }),
      ...(options.projectKnownRoutes === undefined ? {} : { knownRoutes: options.projectKnownRoutes }),
    },
    signCredential: credentialSigner(options),
    signDigest: checkpointSigner(identity, options.identityVault),
    signRevocationList: revocationListSigner(options),
    publicKey: identity.currentPublicKey,
    credentialTtlMs: options.credentialTtlMs,
    checkpointEvery: options.checkpointEvery,
    clock: options.clock,
  });
}

async function startProject(authority: Authority, options: ProjectAuthorityOptions, signer: ReplicaSigner | undefined): Promise<ProjectAuthority> {
  if (options.admin !== undefined) await authority.bootstrap(options.admin);
  const services = await startAuthorityServices(options.node, { authority, accessControl: options.accessControl, addresses: options.addresses });
  return { authority, services, ...(signer ? { signer } : {}), stop: async () => { await services.stop(); await authority.close(); } };
}
