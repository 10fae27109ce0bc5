import { randomFillSync } from 'node:crypto';
import type { AttributeStore } from '../credential/attribute-store.js';
import type { Logger } from '../logger.js';
import type { Node } from '../node/node.js';
import type { PeerInfo } from '../routing/message.js';
import { nowSeconds } from '../identity/seconds.js';
import { encodeHandshakePayload } from './handshake-payload.js';
import type { PeerVerificationContext } from './peer-verification.js';
import { SecureChannelRegistry } from './secure-channel-registry.js';
import type { SecureChannelKey, SecureChannelOptions } from './secure-channel-options.js';

/** Random bytes drawn from the CSPRNG in blocks, 8 per channel id (one call per 128 ids). */
const ID_BYTES = 8;
const idPool = Buffer.alloc(ID_BYTES * 128);
let idOffset = idPool.length;

/** 16 hex characters from the CSPRNG; each pool byte is used once. */
function randomId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const id = idPool.toString('hex', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return id;
}

/** Fresh, hard to guess addresses for one channel: encryptor `sc-<hex>`, decryptor `scd-<hex>`. */
export function channelAddresses(node: Node): { address: string; decryptorAddress: string } {
  for (;;) {
    const id = randomId();
    const address = `sc-${id}`;
    const decryptorAddress = `scd-${id}`;
    if (!node.hasWorker(address) && !node.hasWorker(decryptorAddress)) return { address, decryptorAddress };
  }
}

/** The last payload encoded for an options object, with the inputs it was built from. */
interface EncodedPayload {
  readonly identity: SecureChannelOptions['identity'];
  readonly attestation: Uint8Array;
  readonly credential: Uint8Array | undefined;
  readonly credentialAttestation: Uint8Array | undefined;
  readonly bytes: Uint8Array;
}
const encodedPayloads = new WeakMap<SecureChannelOptions, EncodedPayload>();

/**
 * This side's handshake payload: change history, key attestation, current credential.
 * Re-encoded only when one of those changed (a new identity, key attestation or
 * credential object), so a listener or client does not rebuild the same bytes per handshake.
 */
export function ownPayload(options: SecureChannelOptions, key: SecureChannelKey): Uint8Array {
  const presented = options.credentials?.();
  const { identity } = options;
  const last = encodedPayloads.get(options);
  if (last !== undefined && last.identity === identity && last.attestation === key.attestation
    && last.credential === presented?.credential && last.credentialAttestation === presented?.attestation) {
    return last.bytes;
  }
  const bytes = encodeHandshakePayload({
    changeHistory: identity.exportChangeHistory(),
    attestation: key.attestation,
    credentials: presented ? [presented] : [],
  });
  encodedPayloads.set(options, {
    identity, attestation: key.attestation, credential: presented?.credential, credentialAttestation: presented?.attestation, bytes,
  });
  return bytes;
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
