import { randomBytes } from 'node:crypto';
import type { AttributeStore } from '../credential/attribute-store.js';
import type { Logger } from '../logger.js';
import type { Node } from '../node/node.js';
import type { PeerInfo } from '../routing/message.js';
import { nowSeconds } from '../identity/seconds.js';
import { encodeHandshakePayload } from './handshake-payload.js';
import type { PeerVerificationContext } from './peer-verification.js';
import { SecureChannelRegistry } from './secure-channel-registry.js';
import type { SecureChannelKey, SecureChannelOptions } from './secure-channel-options.js';

/** Fresh, hard to guess addresses for one channel: encryptor `sc-<hex>`, decryptor `scd-<hex>`. */
export function channelAddresses(node: Node): { address: string; decryptorAddress: string } {
  for (;;) {
    const id = randomBytes(8).toString('hex');
    const address = `sc-${id}`;
    const decryptorAddress = `scd-${id}`;
    if (!node.hasWorker(address) && !node.hasWorker(decryptorAddress)) return { address, decryptorAddress };
  }
}

/** This side's handshake payload: change history, key attestation, current credential. */
export function ownPayload(options: SecureChannelOptions, key: SecureChannelKey): Uint8Array {
  const credential = options.credentials?.();
  return encodeHandshakePayload({
    changeHistory: options.identity.exportChangeHistory(),
    attestation: key.attestation,
    credentials: credential ? [credential] : [],
  });
}

/** Shared per-handshake context derived from the options. */
export interface HandshakeContext {
  readonly registry: SecureChannelRegistry;
  readonly attributeStore: AttributeStore;
  readonly clock: () => number;
  readonly logger: Logger;
  verification(): PeerVerificationContext;
}

/** Builds the context of a handshake on `node`. */
export function handshakeContext(node: Node, options: SecureChannelOptions, logger: Logger): HandshakeContext {
  const registry = SecureChannelRegistry.of(node);
  const attributeStore = options.attributeStore ?? registry.attributeStore;
  const clock = options.clock ?? nowSeconds;
  const trustedAuthorities = options.trustedAuthorities ?? new Map();
  return {
    registry, attributeStore, clock, logger,
    verification: () => ({ now: clock(), trustedAuthorities, attributeStore, logger }),
  };
}

/** The PeerInfo of an authenticated peer, with its current attributes. */
export function peerInfo(store: AttributeStore, identifier: string, channel: string): PeerInfo {
  const { attributes, authority } = store.peerAttributes(identifier);
  return { identifier, attributes, ...(authority === undefined ? {} : { authority }), channel };
}

/** Runs an authorize hook; a throw or rejection is a denial (logged). */
export async function runAuthorize(
  hook: ((peer: PeerInfo) => boolean | Promise<boolean>),
  peer: PeerInfo,
  logger: Logger,
): Promise<boolean> {
  try {
    return (await hook(peer)) === true;
  } catch (error) {
    logger.warn({ peer: peer.identifier, err: error }, 'secure channel authorize hook failed; denying');
    return false;
  }
}
