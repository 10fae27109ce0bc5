import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { InvalidInputError, assertBytes } from '../errors.js';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

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

  /** Generates a fresh key. */
  static generate(): SoftwareX25519Key {
    return new SoftwareX25519Key(generateKeyPairSync('x25519').privateKey);
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
      const publicKey = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, peerPublic]), format: 'der', type: 'spki' });
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
