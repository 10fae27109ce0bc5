import {
  createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type JsonWebKey, type KeyObject,
} from 'node:crypto';
import { assertBytes, InvalidInputError } from '../../errors.js';
import { x25519PublicKeyObject } from '../../vault/software-x25519-key.js';

/** Noise `DHLEN` for Curve25519. */
export const DHLEN = 32;

/** DER prefix that wraps a raw 32-byte X25519 private key (RFC 8410 PKCS#8). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * The local static key of a handshake. The private half may live in a vault: the
 * handshake only calls `dh`, which must return X25519(private, peerPublic) and throw
 * on an all-zero result (see `SecureChannelVault.x25519Derive`).
 */
export interface LocalStaticKey {
  readonly publicKey: Uint8Array;
  dh(peerPublic: Uint8Array): Uint8Array;
}

/**
 * Imports a raw 32-byte X25519 public key (JWK, cached per key bytes: this runs for every
 * DH of every handshake, and the peer's ephemeral key serves two of them).
 */
function importPublicKey(publicKey: Uint8Array): KeyObject {
  return x25519PublicKeyObject(publicKey, 'channel');
}

/** `generateKeyPairSync` with a JWK public key (node:crypto supports it; its typings lack this overload). */
const generateWithJwk = generateKeyPairSync as unknown as (
  type: 'x25519', options: { publicKeyEncoding: { format: 'jwk' } },
) => { privateKey: KeyObject; publicKey: JsonWebKey };

/** The raw 32-byte public key of a KeyObject. */
function rawPublicKey(key: KeyObject): Uint8Array {
  const x = key.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new InvalidInputError('channel', 'X25519 key has no public part');
  return new Uint8Array(Buffer.from(x, 'base64url'));
}

/** True when every byte of `bytes` is zero, in time independent of the content. */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

/**
 * Noise `DH(key_pair, public_key)` with a private key already imported.
 * Policy: an all-zero shared secret (low-order peer point) is refused with
 * InvalidInputError, whichever library would have returned it.
 */
function derive(privateKey: KeyObject, peerPublic: Uint8Array): Uint8Array {
  const publicKey = importPublicKey(peerPublic);
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch (cause) {
    // OpenSSL itself refuses an all-zero X25519 result.
    throw new InvalidInputError('channel', 'X25519 produced an all-zero shared secret', { cause });
  }
  if (isAllZero(shared)) throw new InvalidInputError('channel', 'X25519 produced an all-zero shared secret');
  return shared;
}

/**
 * An X25519 key pair held as a node:crypto KeyObject: used for ephemeral keys (generated,
 * or injected from test vectors) and for software static keys. The private key never
 * sits in a JavaScript buffer once imported; `destroy()` drops it.
 */
export class X25519KeyPair implements LocalStaticKey {
  private privateKey: KeyObject | null;

  private constructor(privateKey: KeyObject, readonly publicKey: Uint8Array) {
    this.privateKey = privateKey;
  }

  /**
   * A fresh random key pair (Noise `GENERATE_KEYPAIR()`). The public key comes out of the
   * generation already encoded: exporting it afterwards from the generated KeyObject can
   * deadlock the process on Node 20 (the export holds the key's mutex while it allocates; a
   * garbage collection then may destroy the finished generation job, whose destructor takes
   * the same mutex: the main thread waits on itself forever, as a stress test reproduced
   * after some 20,000 keys).
   */
  static generate(): X25519KeyPair {
    const { privateKey, publicKey } = generateWithJwk('x25519', { publicKeyEncoding: { format: 'jwk' } });
    const x = publicKey.x;
    if (typeof x !== 'string') throw new InvalidInputError('channel', 'X25519 key generation gave no public key');
    return new X25519KeyPair(privateKey, new Uint8Array(Buffer.from(x, 'base64url')));
  }

  /** Imports a raw 32-byte private key; the temporary DER copy is zeroed. */
  static fromPrivateKey(privateKey: Uint8Array): X25519KeyPair {
    assertBytes(privateKey, DHLEN, 'X25519 private key', 'channel');
    const der = Buffer.concat([PKCS8_PREFIX, privateKey]);
    try {
      const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      return new X25519KeyPair(key, rawPublicKey(createPublicKey(key)));
    } finally {
      der.fill(0);
    }
  }

  /** X25519(private, peerPublic); throws InvalidInputError on an all-zero result. */
  dh(peerPublic: Uint8Array): Uint8Array {
    if (this.privateKey === null) throw new InvalidInputError('channel', 'X25519 key pair was destroyed');
    return derive(this.privateKey, peerPublic);
  }

  /** Drops the private key; later `dh` calls throw. */
  destroy(): void {
    this.privateKey = null;
  }
}

/** One-shot X25519 on raw keys (used by tests and vectors). */
export function x25519(privateKey: Uint8Array, peerPublic: Uint8Array): Uint8Array {
  const pair = X25519KeyPair.fromPrivateKey(privateKey);
  try {
    return pair.dh(peerPublic);
  } finally {
    pair.destroy();
  }
}
