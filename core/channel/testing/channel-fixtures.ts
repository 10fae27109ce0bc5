/**
 * In-process fixtures for tests and benchmarks of secure channels: an authority that
 * issues credentials, and actors (node + TCP listener on 127.0.0.1 + identity + attested
 * X25519 key in a memory vault). Not used by the product itself.
 */
import { AttributeStore } from '../../credential/attribute-store.js';
import { issueCredential, type PresentedCredential } from '../../credential/credential.js';
import { createIdentity } from '../../identity/identity-lifecycle.js';
import type { Identity } from '../../identity/identity.js';
import { attestPurposeKey } from '../../identity/purpose-key-attestation.js';
import { PurposeKeys } from '../../identity/purpose-keys.js';
import { allowSecureChannelOrLocal } from '../../node/access-control.js';
import { EchoWorker } from '../../node/echo-worker.js';
import { Node } from '../../node/node.js';
import type { NodeOptions } from '../../node/node.js';
import { TcpTransport } from '../../transport/tcp-transport.js';
import type { KeyHandle } from '../../vault/keys.js';
import { MemoryVault } from '../../vault/memory-vault.js';
import type { SecureChannelListenerOptions } from '../secure-channel-listener.js';
import type { SecureChannelKey } from '../secure-channel-options.js';

/** An authority able to issue credentials (tests and benchmarks). */
export interface TestAuthority {
  readonly identity: Identity;
  issue(subject: string, attributes: Record<string, string>, ttl?: number): Promise<PresentedCredential>;
}

/** Creates an authority with a credential-signing key in a memory vault. */
export async function testAuthority(): Promise<TestAuthority> {
  const vault = new MemoryVault();
  const identity = await createIdentity(vault, 'ed25519');
  const key: KeyHandle = await vault.generateSigningKey('ed25519');
  const attestation = await attestPurposeKey(identity, vault, undefined, 'credential-signing', await vault.signingPublicKey(key));
  return {
    identity,
    issue: (subject, attributes, ttl = 3600) =>
      issueCredential({ issuer: identity, signingVault: vault, signingKey: key, attestation, subject, attributes, ttl }),
  };
}

/** A node on 127.0.0.1 with an identity, an attested X25519 key and (optionally) a credential. */
export interface TestActor {
  readonly node: Node;
  readonly transport: TcpTransport;
  /** `host:port` of its TCP listener. */
  readonly address: string;
  readonly identity: Identity;
  readonly vault: MemoryVault;
  readonly key: SecureChannelKey;
  readonly attributeStore: AttributeStore;
  /** The credential its provider returns; replace to refresh. */
  credential: PresentedCredential | undefined;
  /** Channel options for this actor (add `authorize` etc. as needed). */
  options(extra?: Partial<SecureChannelListenerOptions>): SecureChannelListenerOptions;
}

/** Starts an actor: node, TCP listener, `echo` worker (channel or local callers). Stop with `actor.node.stop()`. */
export async function testActor(
  name: string,
  authority: TestAuthority | undefined,
  attributes: Record<string, string>,
  trusted: readonly TestAuthority[],
  nodeOptions: Omit<NodeOptions, 'name'> = {},
): Promise<TestActor> {
  const node = new Node({ ...nodeOptions, name });
  const transport = new TcpTransport(node);
  const { address } = await transport.listen('127.0.0.1:0');
  await node.startWorker('echo', new EchoWorker(), { incoming: allowSecureChannelOrLocal });
  const vault = new MemoryVault();
  const identity = await createIdentity(vault, 'ed25519');
  const attested = await new PurposeKeys({ identity, identityVault: vault, secureChannelVault: vault }).secureChannelKey();
  const key: SecureChannelKey = { vault, handle: attested.handle, attestation: attested.attestation };
  const attributeStore = new AttributeStore();
  const trustedAuthorities = new Map(trusted.map((a) => [a.identity.identifier, a.identity]));
  const actor: TestActor = {
    node, transport, address, identity, vault, key, attributeStore,
    credential: authority ? await authority.issue(identity.identifier, attributes) : undefined,
    options: (extra = {}) => ({
      identity, secureChannelKey: key, credentials: () => actor.credential, trustedAuthorities, attributeStore, transport,
      handshakeTimeoutMs: 5_000, ...extra,
    }),
  };
  return actor;
}
