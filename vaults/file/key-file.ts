import { randomBytes, scrypt, scryptSync } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { InvalidInputError, UnauthorizedError } from '../../core/errors.js';
import { KEY_ID_PATTERN } from '../../core/vault/key-id.js';

/** What a key file holds: a signing key (Ed25519 / P-256) or an X25519 key. */
export type KeyFileKind = 'signing' | 'x25519';
/** Algorithm of the key in a file. */
export type KeyFileType = 'ed25519' | 'p256' | 'x25519';

/** Scrypt and cipher parameters of an encrypted key file. */
export interface KeyFileEncryption {
  readonly kdf: 'scrypt';
  readonly logN: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
  readonly cipher: 'xchacha20poly1305';
  readonly nonce: string;
}

/** The JSON document stored per key. `secret` (hex) is either plain or the AEAD ciphertext. */
export interface KeyFileRecord {
  readonly version: 1;
  readonly kind: KeyFileKind;
  readonly type: KeyFileType;
  readonly id: string;
  readonly label?: string;
  readonly publicKey: string;
  readonly secret: string;
  readonly encryption?: KeyFileEncryption;
}

/** Default and minimum scrypt cost exponent (N = 2^15). */
export const MIN_SCRYPT_LOG_N = 15;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const HEX = /^(?:[0-9a-f]{2})*$/;

/** Additional data binding a ciphertext to its key id, kind and type. */
function associatedData(record: Pick<KeyFileRecord, 'kind' | 'type' | 'id'>): Uint8Array {
  return new TextEncoder().encode(`symbolon-vault-key/1/${record.kind}/${record.type}/${record.id}`);
}

function scryptOptions(logN: number): { N: number; r: number; p: number; maxmem: number } {
  const N = 2 ** logN;
  return { N, r: SCRYPT_R, p: SCRYPT_P, maxmem: 256 * N * SCRYPT_R };
}

/** Derives the 32-byte file key (async, off the main thread). */
export function deriveFileKey(passphrase: string, salt: Uint8Array, logN: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salt, 32, scryptOptions(logN), (error, key) => (error ? reject(error) : resolve(new Uint8Array(key))));
  });
}

/** Derives the 32-byte file key synchronously (for the synchronous X25519 path). */
export function deriveFileKeySync(passphrase: string, salt: Uint8Array, logN: number): Uint8Array {
  return new Uint8Array(scryptSync(passphrase, salt, 32, scryptOptions(logN)));
}

/**
 * Builds the record for a new key. With a passphrase the secret is encrypted with
 * XChaCha20-Poly1305 under scrypt(passphrase, fresh salt).
 */
export async function sealKeyRecord(
  header: Pick<KeyFileRecord, 'kind' | 'type' | 'id' | 'label' | 'publicKey'>,
  secret: Uint8Array,
  passphrase: string | undefined,
  logN: number,
): Promise<KeyFileRecord> {
  const base = { version: 1 as const, ...header };
  if (passphrase === undefined) return { ...base, secret: hex(secret) };
  const salt = randomBytes(16);
  const nonce = randomBytes(24);
  const key = await deriveFileKey(passphrase, salt, logN);
  const ciphertext = xchacha20poly1305(key, nonce, associatedData(header)).encrypt(secret);
  key.fill(0);
  const encryption: KeyFileEncryption = {
    kdf: 'scrypt', logN, r: SCRYPT_R, p: SCRYPT_P, salt: hex(salt), cipher: 'xchacha20poly1305', nonce: hex(nonce),
  };
  return { ...base, secret: hex(ciphertext), encryption };
}

/** Decrypts (or copies) the secret of a parsed record, given the derived file key when encrypted. */
export function openKeyRecord(record: KeyFileRecord, fileKey: Uint8Array | undefined, path: string): Uint8Array {
  const stored = unhex(record.secret);
  if (!record.encryption) return stored;
  if (!fileKey) throw new UnauthorizedError('vault', `key file ${path} is encrypted; a vault passphrase is required`);
  try {
    return xchacha20poly1305(fileKey, unhex(record.encryption.nonce), associatedData(record)).decrypt(stored);
  } catch (cause) {
    throw new UnauthorizedError('vault', `cannot decrypt key file ${path}: wrong passphrase or the file was modified`, { cause });
  }
}

/** Parses and validates a key file; `expected` is what its name says it holds. */
export function parseKeyRecord(bytes: Uint8Array, path: string, expected: { kind: KeyFileKind; id: string }): KeyFileRecord {
  const bad = (why: string): InvalidInputError => new InvalidInputError('vault', `key file ${path} is corrupt: ${why}`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad('not JSON');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw bad('not an object');
  const r = doc as Record<string, unknown>;
  if (r.version !== 1) throw bad(`unknown version ${String(r.version)}`);
  if (r.kind !== expected.kind) throw bad(`kind ${String(r.kind)} does not match its name`);
  if (r.id !== expected.id || typeof r.id !== 'string' || !KEY_ID_PATTERN.test(r.id)) throw bad('id does not match its name');
  const validType = r.kind === 'x25519' ? r.type === 'x25519' : r.type === 'ed25519' || r.type === 'p256';
  if (!validType) throw bad(`type ${String(r.type)} is not valid for ${String(r.kind)} keys`);
  if (r.label !== undefined && typeof r.label !== 'string') throw bad('label is not a string');
  const pubLength = r.type === 'p256' ? 65 : 32;
  if (!isHex(r.publicKey, pubLength)) throw bad('public key has the wrong form');
  if (r.encryption === undefined) {
    if (!isHex(r.secret, 32)) throw bad('secret has the wrong form');
  } else {
    const e = r.encryption as Record<string, unknown>;
    if (e === null || typeof e !== 'object') throw bad('encryption is not an object');
    if (e.kdf !== 'scrypt' || e.cipher !== 'xchacha20poly1305') throw bad('unknown encryption scheme');
    if (typeof e.logN !== 'number' || !Number.isInteger(e.logN) || e.logN < MIN_SCRYPT_LOG_N || e.logN > 22) throw bad('scrypt cost out of range');
    if (e.r !== SCRYPT_R || e.p !== SCRYPT_P) throw bad('unexpected scrypt parameters');
    if (!isHex(e.salt, 16) || !isHex(e.nonce, 24)) throw bad('salt or nonce has the wrong form');
    if (!isHex(r.secret, 48)) throw bad('ciphertext has the wrong form');
  }
  return r as unknown as KeyFileRecord;
}

function isHex(value: unknown, byteLength: number): value is string {
  return typeof value === 'string' && value.length === byteLength * 2 && HEX.test(value);
}

/** Lowercase hex of bytes. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes of a lowercase hex string (validated by the caller). */
export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}
