import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { InvalidInputError, assertBytes } from '../errors.js';
import { LruCache } from './lru-cache.js';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
/** Most X25519 public KeyObjects kept (peers' static keys stay; ephemeral ones cycle out). */
const PUBLIC_KEY_CAPACITY = 1024;
const publicKeys = new LruCache<string, KeyObject>(PUBLIC_KEY_CAPACITY);

/**
 * The node:crypto KeyObject of a raw 32-byte X25519 public key. Imported through JWK
 * (node's DER decoder costs several times more) and kept in a bounded LRU keyed by the
 * key bytes, so a peer's static key, or an ephemeral key used twice in one handshake,
 * is imported once. Throws InvalidInputError (origin `origin`) on a wrong length.
 */
export function x25519PublicKeyObject(raw: Uint8Array, origin: 'vault' | 'channel' = 'vault'): KeyObject {
  assertBytes(raw, 32, 'X25519 public key', origin);
  const x = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url');
  let key = publicKeys.get(x);
  if (key === undefined) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
    publicKeys.set(x, key);
  }
  return key;
}

/**
 * An X25519 private key held in process memory (node:crypto), used by the memory and
 * file vaults for Noise handshakes.
 */
export class SoftwareX25519Key {
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array;
  private readonly privateKey: KeyObject;

  private constructor(privateKey: KeyObject) {
    this.privateKey = privateKey;
    const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    this.publicKey = new Uint8Array(spki.subarray(SPKI_PREFIX.length));
  }

  /**
   * Generates a fresh key. The secret comes out of the generation encoded and is imported
   * anew: exporting from the generated KeyObject later (public key, `exportSecret`) can
   * deadlock the process on Node 20 (the export holds the key's mutex while it allocates,
   * and a garbage collection then may run the finished generation job's destructor, which
   * takes the same mutex).
   */
  static generate(): SoftwareX25519Key {
    const { privateKey } = generateKeyPairSync('x25519', {
      publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' },
    });
    try {
      return SoftwareX25519Key.fromSecret(privateKey.subarray(PKCS8_PREFIX.length));
    } finally {
      privateKey.fill(0);
    }
  }

  /** Rebuilds a key from the 32-byte secret that {@link exportSecret} returned. */
  static fromSecret(secret: Uint8Array): SoftwareX25519Key {
    assertBytes(secret, 32, 'x25519 secret key', 'vault');
    return new SoftwareX25519Key(createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' }));
  }

  /** X25519 with `peerPublic`; InvalidInputError on a wrong length or an all-zero result. */
  derive(peerPublic: Uint8Array): Uint8Array {
    assertBytes(peerPublic, 32, 'peer X25519 public key', 'vault');
    let shared: Uint8Array;
    try {
      const publicKey = x25519PublicKeyObject(peerPublic);
      shared = new Uint8Array(diffieHellman({ privateKey: this.privateKey, publicKey }));
    } catch (cause) {
      throw new InvalidInputError('vault', 'X25519 agreement failed (low-order peer key)', { cause });
    }
    if (shared.every((b) => b === 0)) throw new InvalidInputError('vault', 'X25519 agreement gave an all-zero secret');
    return shared;
  }

  /** A copy of the 32-byte secret, for vault storage only. */
  exportSecret(): Uint8Array {
    const der = this.privateKey.export({ format: 'der', type: 'pkcs8' });
    return new Uint8Array(der.subarray(PKCS8_PREFIX.length));
  }
}
