import { join } from 'node:path';
import { InvalidInputError } from '../../core/errors.js';
import { AttributeStore } from '../../core/credential/attribute-store.js';
import { encodePresentedCredential, verifyCredential, type PresentedCredential, type VerifiedCredential } from '../../core/credential/credential.js';
import type { Identity } from '../../core/identity/identity.js';
import { PurposeKeys } from '../../core/identity/purpose-keys.js';
import { nowSeconds } from '../../core/identity/seconds.js';
import type { Logger } from '../../core/logger.js';
import type { AccessControl } from '../../core/node/access-control.js';
import type { PeerInfo } from '../../core/routing/message.js';
import type { KeyHandle, PublicKey } from '../../core/vault/keys.js';
import type { SecureChannelVault, X25519Handle } from '../../core/vault/secure-channel-vault.js';
import type { SigningVault } from '../../core/vault/signing-vault.js';
import { decide, type PolicySubject } from '../../policy/decide.js';
import { DecisionCounts } from '../../policy/decision-counts.js';
import { DenialLog } from '../../policy/denial-log.js';
import type { Decision } from '../../policy/policy.js';
import { PolicyAccessControl } from '../../policy/policy-access-control.js';
import { FilePolicyStore } from '../../policy/policy-store-file.js';
import type { FileVault } from '../../vaults/file/file-vault.js';
import type { Home } from '../home/home.js';
import { defaultIdentityName, ensureIdentity, loadIdentity } from '../home/identity-registry.js';
import { isObject } from '../home/json-file.js';
import { NodeConfigFile } from '../home/node-config.js';
import { projectCredential, projectOfNode, trustedAuthorities, writeProject } from '../home/project-registry.js';
import { FilePurposeKeyStore } from '../home/purpose-key-file.js';
import { validateRegistryName } from '../home/registry-files.js';
import { DEFAULT_VAULT, openFileVault, openVault, type OpenedVault } from '../home/vault-registry.js';

/** The node configuration section holding security settings (`{ identity?: NAME }`). */
export const SECURITY_SECTION = 'security';

/** A resource a policy can guard on this node. */
export interface SecurityResource {
  readonly type: string;
  readonly name: string;
}

/** The node's X25519 secure-channel key, ready for a secure channel (`SecureChannelKey` shape). */
export interface NodeSecureChannelKey {
  readonly vault: SecureChannelVault;
  readonly handle: X25519Handle;
  readonly publicKey: Uint8Array;
  readonly attestation: Uint8Array;
  readonly expiresAt: number;
}

/** The node's credential-signing key (authorities sign credentials with it). */
export interface NodeCredentialSigningKey {
  readonly vault: SigningVault;
  readonly handle: KeyHandle;
  readonly publicKey: PublicKey;
  readonly attestation: Uint8Array;
  readonly expiresAt: number;
}

/** Options of {@link NodeSecurity.open}. */
export interface NodeSecurityOptions {
  readonly home: Home;
  /** The node's name. */
  readonly node: string;
  readonly logger: Logger;
  /** Identity to run as; default: the node config's, else the home's default (created if missing). */
  readonly identity?: string;
  readonly signal?: AbortSignal;
}

/** The identity node `node` is configured to run as (`node create --identity`), if any. */
export function configuredNodeIdentity(home: Home, node: string): string | undefined {
  const section = new NodeConfigFile(home, node).section(SECURITY_SECTION);
  return isObject(section) && typeof section.identity === 'string' ? validateRegistryName('identity', section.identity) : undefined;
}

/** Records that node `node` runs as identity `identity` (read when the node starts). */
export function setConfiguredNodeIdentity(home: Home, node: string, identity: string): void {
  const config = new NodeConfigFile(home, node);
  const section = config.section(SECURITY_SECTION);
  config.setSection(SECURITY_SECTION, { ...(isObject(section) ? section : {}), identity: validateRegistryName('identity', identity) });
}

type Parts = {
  readonly options: NodeSecurityOptions;
  readonly identityName: string;
  readonly identity: Identity;
  readonly identityVault: OpenedVault;
  readonly localVault: FileVault;
  readonly policies: FilePolicyStore;
};

/**
 * The security runtime of one node process: who the node is (identity, primary key
 * vault, purpose keys in the home's default file vault), whom it trusts (every project's
 * authority), what it holds (its member credential), what it learned about peers (the
 * attribute store) and what it allows (the node's policy store, denial log and the
 * access controls built on them). Built once when the daemon starts; `close` releases
 * vault sessions.
 */
export class NodeSecurity {
  /** The node's name. */
  readonly node: string;
  /** The name of the identity the node runs as. */
  readonly identityName: string;
  /** The verified identity, with its primary key handle. */
  readonly identity: Identity;
  /** The vault holding the identity's primary key (may be a KMS or HSM). */
  readonly identityVault: SigningVault;
  /** The primary key's handle in `identityVault`. */
  readonly keyHandle: KeyHandle;
  /** The home's default file vault: X25519 and credential-signing purpose keys. */
  readonly localVault: FileVault;
  /** Purpose keys and their attestations, persisted in `nodes/<name>/purpose-keys.json`. */
  readonly purposeKeys: PurposeKeys;
  /** Verified peer attributes (secure channels put, access controls read). */
  readonly attributes = new AttributeStore();
  /** The node's policies (`nodes/<name>/policies.json`). */
  readonly policies: FilePolicyStore;
  /** Denials: logged on the node logger, kept and counted. */
  readonly denials: DenialLog;
  /** Decisions by resource type, allowed and denied (for the node's metrics). */
  readonly decisions = new DecisionCounts();
  private readonly home: Home;
  private readonly logger: Logger;
  private readonly openedIdentityVault: OpenedVault;
  private readonly listeners = new Set<(credential: PresentedCredential | undefined) => void>();
  private authorities: ReadonlyMap<string, Identity> = new Map();
  private authorityIds: readonly string[] = [];
  private current: PresentedCredential | undefined;

  private constructor(parts: Parts) {
    const { options } = parts;
    this.home = options.home;
    this.node = options.node;
    this.logger = options.logger;
    this.identityName = parts.identityName;
    this.identity = parts.identity;
    this.openedIdentityVault = parts.identityVault;
    this.identityVault = parts.identityVault.signing;
    this.keyHandle = parts.identity.primaryKeyHandle as KeyHandle;
    this.localVault = parts.localVault;
    this.policies = parts.policies;
    this.denials = new DenialLog({ logger: options.logger });
    this.purposeKeys = new PurposeKeys({
      identity: parts.identity,
      identityVault: this.identityVault,
      secureChannelVault: parts.localVault,
      credentialVault: parts.localVault,
      store: new FilePurposeKeyStore(join(options.home.node(options.node).dir, 'purpose-keys.json')),
    });
  }

  /**
   * Builds the runtime: loads (or, for the home default, creates) the identity, opens its
   * vault and the default file vault, loads the policy store, trusted authorities and the
   * node's credential, and makes sure the secure-channel key is attested (so a broken
   * vault fails the start, not the first handshake).
   */
  static async open(options: NodeSecurityOptions): Promise<NodeSecurity> {
    const { home, node, signal } = options;
    const configured = options.identity ?? configuredNodeIdentity(home, node);
    const identityName = configured ?? defaultIdentityName(home);
    if (configured === undefined) await ensureIdentity(home, undefined, signal ? { signal } : {});
    const { identity, record } = loadIdentity(home, identityName);
    const localVault = openFileVault(home, DEFAULT_VAULT);
    const identityVault = record.vault === DEFAULT_VAULT
      ? { record: { name: DEFAULT_VAULT, type: 'file' as const, config: {}, createdAt: '' }, signing: localVault, secureChannel: localVault, close: async () => undefined }
      : await openVault(home, record.vault);
    try {
      const policies = await FilePolicyStore.open(join(home.node(node).dir, 'policies.json'), signal ? { signal } : {});
      const security = new NodeSecurity({ options, identityName, identity, identityVault, localVault, policies });
      security.reload();
      await security.secureChannelKey(signal ? { signal } : {});
      options.logger.info({ identity: identityName, identifier: identity.identifier, vault: record.vault, trustedAuthorities: security.authorityIds.length }, 'security ready');
      return security;
    } catch (err) {
      await identityVault.close();
      throw err;
    }
  }

  /** The node's identifier (`I` + hex). */
  get identifier(): string {
    return this.identity.identifier;
  }

  /** The attested X25519 key for secure channels (re-attested before expiry). */
  async secureChannelKey(options: { signal?: AbortSignal } = {}): Promise<NodeSecureChannelKey> {
    const key = await this.purposeKeys.secureChannelKey(options);
    return { vault: this.localVault, handle: key.handle, publicKey: key.publicKey, attestation: key.attestation, expiresAt: key.expiresAt };
  }

  /** The attested credential-signing key (created on first use; re-attested before expiry). */
  async credentialSigningKey(options: { signal?: AbortSignal } = {}): Promise<NodeCredentialSigningKey> {
    const key = await this.purposeKeys.credentialSigningKey(options);
    return { vault: this.localVault, handle: key.handle, publicKey: key.publicKey, attestation: key.attestation, expiresAt: key.expiresAt };
  }

  /** Trusted authorities by identifier: every project's authority in the home. */
  trustedAuthorities(): ReadonlyMap<string, Identity> {
    return this.authorities;
  }

  /** Identifiers of the trusted authorities. */
  trustedAuthorityIdentifiers(): readonly string[] {
    return this.authorityIds;
  }

  /**
   * Re-reads the projects of the home: trusted authorities, and the node's credential
   * when its project record holds a different one than the node has.
   */
  reload(): void {
    this.authorities = trustedAuthorities(this.home);
    this.authorityIds = Object.freeze([...this.authorities.keys()]);
    try {
      const project = projectOfNode(this.home, this.node);
      const stored = project ? projectCredential(project) : undefined;
      if (stored && !sameCredential(stored, this.current)) this.notify(stored);
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot read the node credential from its project');
    }
  }

  /** The node's current credential from its authority, if it holds one. */
  credential(): PresentedCredential | undefined {
    return this.current;
  }

  /** The node's credential verified against the trusted authorities, or undefined (none, or not valid now). */
  verifiedCredential(now: number = nowSeconds()): VerifiedCredential | undefined {
    if (!this.current) return undefined;
    try {
      return verifyCredential(this.current, { subject: this.identifier, trustedIssuers: this.authorities, now });
    } catch {
      return undefined;
    }
  }

  /**
   * Replaces the node's credential (e.g. after a refresh from the authority), stores it in
   * the node's project record when there is one, and tells the listeners.
   */
  setCredential(credential: PresentedCredential | undefined): void {
    if (credential !== undefined && (!(credential.credential instanceof Uint8Array) || !(credential.attestation instanceof Uint8Array))) {
      throw new InvalidInputError('credential', 'a credential needs credential and attestation bytes');
    }
    const project = projectOfNode(this.home, this.node);
    if (project) {
      const { credential: _old, ...rest } = project;
      writeProject(this.home, credential ? { ...rest, credential: Buffer.from(encodePresentedCredential(credential)).toString('base64') } : rest);
    }
    this.notify(credential);
  }

  /** Calls `listener` with each new credential; returns a function that unsubscribes. */
  onCredential(listener: (credential: PresentedCredential | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** True when a policy applies to the resource (by name, else by type). */
  hasPolicy(resource: SecurityResource): boolean {
    return this.policies.policyFor(resource) !== undefined;
  }

  /**
   * Core access control for a resource of this node, backed by its policies (resource,
   * then resource type, then the default: a credential from a trusted authority).
   * Local messages pass. With `openWithoutPolicy`, every message passes while no policy
   * applies to the resource (used by `echo`: see docs/policies.md).
   */
  accessControl(resource: SecurityResource, action: string, options: { openWithoutPolicy?: boolean } = {}): AccessControl {
    const guard = new PolicyAccessControl({
      resource: { type: resource.type, name: resource.name, node: this.node },
      action,
      store: this.policies,
      trustedAuthorities: () => this.authorityIds,
      denials: this.denials,
      decisions: this.decisions,
    });
    if (!options.openWithoutPolicy) return guard;
    const lookup = { type: resource.type, name: resource.name };
    return { isAuthorized: (request) => this.policies.policyFor(lookup) === undefined || guard.isAuthorized(request) };
  }

  /**
   * One decision for an enforcement point that is not message based (a listener deciding
   * a handshake). A denial is logged and counted with its reason; callers tell the peer nothing.
   */
  decide(subject: PolicySubject | undefined, resource: SecurityResource, action: string): Decision {
    const full = { type: resource.type, name: resource.name, node: this.node };
    const now = new Date();
    let decision: Decision;
    try {
      decision = decide({ subject, resource: full, action, now }, { policies: this.policies, trustedAuthorities: this.authorityIds });
    } catch (err) {
      decision = { allowed: false, reason: `denied: ${err instanceof Error ? err.message : String(err)}` };
    }
    this.decisions.count(resource.type, decision.allowed);
    if (!decision.allowed) {
      this.denials.record({
        at: now.toISOString(), resource: full, action, reason: decision.reason,
        ...(subject?.identifier !== undefined ? { subject: subject.identifier } : {}),
        ...(decision.policy !== undefined ? { policy: decision.policy } : {}),
      });
    }
    return decision;
  }

  /**
   * For an enforcement point with its own default rule: a policy for the resource (by
   * name, else type) decides when one exists (see `decide`); otherwise `fallback.allowed`
   * decides and a refusal is recorded with `fallback.reason`. Synchronous when the
   * fallback is; a fallback that throws or rejects denies.
   */
  decideOr(
    subject: PolicySubject | undefined, resource: SecurityResource, action: string,
    fallback: { readonly allowed: () => boolean | Promise<boolean>; readonly reason: string },
  ): boolean | Promise<boolean> {
    if (this.hasPolicy(resource)) return this.decide(subject, resource, action).allowed;
    const settle = (allowed: boolean): boolean => {
      this.decisions.count(resource.type, allowed);
      if (!allowed) this.recordDenial(subject, resource, action, fallback.reason);
      return allowed;
    };
    let result: boolean | Promise<boolean>;
    try {
      result = fallback.allowed();
    } catch {
      return settle(false);
    }
    return typeof result === 'boolean' ? settle(result) : result.then((ok) => settle(ok === true), () => settle(false));
  }

  /** Records a refusal decided outside the policy store (a default rule) in the denial log. */
  recordDenial(subject: PolicySubject | undefined, resource: SecurityResource, action: string, reason: string): void {
    this.denials.record({
      at: new Date().toISOString(), resource: { type: resource.type, name: resource.name, node: this.node }, action, reason,
      ...(subject?.identifier !== undefined ? { subject: subject.identifier } : {}),
    });
  }

  /** An authorize hook for a secure-channel listener or initiator: `decide` for the peer. */
  authorize(resource: SecurityResource, action = 'handshake'): (peer: PeerInfo) => boolean {
    return (peer) => this.decide(peer, resource, action).allowed;
  }

  /** Releases the identity vault's sessions. */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.openedIdentityVault.close();
  }

  private notify(credential: PresentedCredential | undefined): void {
    this.current = credential;
    for (const listener of [...this.listeners]) {
      try {
        listener(credential);
      } catch (err) {
        this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'credential listener failed');
      }
    }
  }
}

function sameCredential(a: PresentedCredential, b: PresentedCredential | undefined): boolean {
  return b !== undefined && Buffer.from(a.credential).equals(b.credential) && Buffer.from(a.attestation).equals(b.attestation);
}
