import { createPrivateKey, randomBytes, sign as nodeSign, type KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { InvalidInputError, UnsupportedError, assertBytes } from '../errors.js';
import type { PublicKey, Signature, SigningKeyType } from './keys.js';
import { DIGEST_LENGTH } from './verify.js';

/** Key types a software vault supports. */
export const SOFTWARE_SIGNING_KEY_TYPES: readonly SigningKeyType[] = ['ed25519', 'p256'];

/**
 * A signing private key held in process memory, used by the memory and file vaults.
 * Ed25519 signs with node:crypto (pure Ed25519, the digest as message). P-256 signs the
 * digest as the hashed message `e` with @noble/curves (RFC 6979 nonces, low-S), since
 * node:crypto always hashes its input itself.
 */
export class SoftwareSigningKey {
  /** The public key. */
  readonly publicKey: PublicKey;
  private readonly secret: Uint8Array;
  private readonly nodeKey: KeyObject | undefined;

  private constructor(readonly type: SigningKeyType, secret: Uint8Array) {
    this.secret = Uint8Array.from(secret);
    if (type === 'ed25519') {
      const jwk = createPrivateKey({ key: pkcs8Ed25519(secret), format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
      this.nodeKey = createPrivateKey({ key: jwk, format: 'jwk' });
      this.publicKey = { type, bytes: new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url')) };
    } else {
      this.nodeKey = undefined;
      this.publicKey = { type, bytes: p256.getPublicKey(secret, false) };
    }
  }

  /** Generates a fresh key; UnsupportedError for any type other than ed25519 or p256. */
  static generate(type: SigningKeyType): SoftwareSigningKey {
    assertSoftwareSigningKeyType(type);
    return new SoftwareSigningKey(type, type === 'ed25519' ? randomBytes(32) : p256.utils.randomSecretKey());
  }

  /** Rebuilds a key from the 32-byte secret that {@link exportSecret} returned. */
  static fromSecret(type: SigningKeyType, secret: Uint8Array): SoftwareSigningKey {
    assertSoftwareSigningKeyType(type);
    assertBytes(secret, 32, `${type} secret key`, 'vault');
    try {
      return new SoftwareSigningKey(type, secret);
    } catch (cause) {
      throw new InvalidInputError('vault', `invalid ${type} secret key`, { cause });
    }
  }

  /** Signs a 32-byte digest. */
  signDigest(digest: Uint8Array): Signature {
    assertBytes(digest, DIGEST_LENGTH, 'digest', 'vault');
    if (this.type === 'ed25519') {
      return { type: 'ed25519', bytes: new Uint8Array(nodeSign(null, digest, this.nodeKey as KeyObject)) };
    }
    return { type: 'p256', bytes: p256.sign(digest, this.secret, { prehash: false, lowS: true, format: 'compact' }) };
  }

  /** A copy of the 32-byte secret (Ed25519 seed or P-256 scalar), for vault storage only. */
  exportSecret(): Uint8Array {
    return Uint8Array.from(this.secret);
  }
}

/** Throws UnsupportedError unless `type` is a key type software vaults implement. */
export function assertSoftwareSigningKeyType(type: unknown): asserts type is SigningKeyType {
  if (!SOFTWARE_SIGNING_KEY_TYPES.includes(type as SigningKeyType)) {
    throw new UnsupportedError('vault', `unsupported signing key type ${String(type)}`);
  }
}

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function pkcs8Ed25519(seed: Uint8Array): Buffer {
  return Buffer.concat([ED25519_PKCS8_PREFIX, seed]);
}
