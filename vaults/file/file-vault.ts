import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError, IoError, NotFoundError, assertBytes } from '../../core/errors.js';
import { checkHandle, newKeyId, throwIfAborted } from '../../core/vault/key-id.js';
import type { KeyHandle, PublicKey, Signature, SigningKeyType } from '../../core/vault/keys.js';
import type { SecureChannelVault, X25519Handle } from '../../core/vault/secure-channel-vault.js';
import type { SigningVault, VaultCallOptions } from '../../core/vault/signing-vault.js';
import { SOFTWARE_SIGNING_KEY_TYPES, SoftwareSigningKey, assertSoftwareSigningKeyType } from '../../core/vault/software-signing-key.js';
import { SoftwareX25519Key } from '../../core/vault/software-x25519-key.js';
import {
  MIN_SCRYPT_LOG_N, deriveFileKey, deriveFileKeySync, hex, openKeyRecord, parseKeyRecord, sealKeyRecord,
  type KeyFileKind, type KeyFileRecord,
} from './key-file.js';
import { READ_FLAGS, assertPrivate, syncFolder, writeFileAtomic } from './private-files.js';

/** Options of {@link FileVault}. */
export interface FileVaultOptions {
  /** The vault name in handles; default `file`. */
  readonly name?: string;
  /** Encrypts keys at rest (scrypt + XChaCha20-Poly1305). The CLI passes `SYMBOLON_VAULT_PASSPHRASE`. */
  readonly passphrase?: string;
  /** Scrypt cost exponent for new files, at least and by default 15 (N = 32768). */
  readonly scryptLogN?: number;
}

const FILE_NAME = /^(signing|x25519)-([0-9a-f]{32})\.json$/;
const MAX_KEY_FILE_BYTES = 4096;
const MAX_LABEL_LENGTH = 200;

/**
 * A vault that keeps Ed25519, P-256 and X25519 keys in one file per key under a private
 * folder (0700, files 0600, checked on every load; symlinked key files are refused).
 * Writes are atomic. Keys are cached in memory once loaded; keys another process adds
 * are loaded on first use.
 */
export class FileVault implements SigningVault, SecureChannelVault {
  /** The vault name in handles. */
  readonly name: string;
  /** Ed25519 and P-256. */
  readonly supportedKeyTypes: readonly SigningKeyType[] = SOFTWARE_SIGNING_KEY_TYPES;
  private readonly passphrase: string | undefined;
  private readonly logN: number;
  private readonly signingKeys = new Map<string, SoftwareSigningKey>();
  private readonly signingLoads = new Map<string, Promise<SoftwareSigningKey>>();
  private readonly x25519Keys = new Map<string, SoftwareX25519Key>();

  /** Opens (creating it 0700 when missing) the vault folder `directory`; refuses a folder group or others can access. */
  constructor(readonly directory: string, options: FileVaultOptions = {}) {
    this.name = options.name ?? 'file';
    if (this.name.length === 0) throw new InvalidInputError('vault', 'vault name must not be empty');
    if (options.passphrase !== undefined && options.passphrase.length === 0) throw new InvalidInputError('vault', 'vault passphrase must not be empty');
    this.passphrase = options.passphrase;
    this.logN = options.scryptLogN ?? MIN_SCRYPT_LOG_N;
    if (!Number.isInteger(this.logN) || this.logN < MIN_SCRYPT_LOG_N || this.logN > 22) {
      throw new InvalidInputError('vault', `scrypt cost exponent must be an integer from ${MIN_SCRYPT_LOG_N} to 22`);
    }
    try {
      const created = mkdirSync(directory, { recursive: true, mode: 0o700 });
      if (created !== undefined) chmodSync(directory, 0o700);
    } catch (cause) {
      throw new IoError('vault', `cannot create vault folder ${directory}: ${(cause as Error).message}`, { cause });
    }
    const stats = statSync(directory);
    if (!stats.isDirectory()) throw new InvalidInputError('vault', `vault path ${directory} is not a folder`);
    assertPrivate(stats, directory, 'folder');
  }

  /** Creates and stores a new signing key; `label` is kept in the key file. */
  async generateSigningKey(type: SigningKeyType, options: VaultCallOptions & { label?: string } = {}): Promise<KeyHandle> {
    throwIfAborted(options.signal);
    assertSoftwareSigningKeyType(type);
    const key = SoftwareSigningKey.generate(type);
    const id = newKeyId();
    await this.store('signing', id, type, hex(key.publicKey.bytes), key.exportSecret(), options.label);
    this.signingKeys.set(id, key);
    return { vault: this.name, id, type };
  }

  /** The public key of a handle. */
  async signingPublicKey(handle: KeyHandle, options: VaultCallOptions = {}): Promise<PublicKey> {
    throwIfAborted(options.signal);
    return (await this.signingKey(handle)).publicKey;
  }

  /** Signs a 32-byte digest. */
  async signDigest(handle: KeyHandle, digest: Uint8Array, options: VaultCallOptions = {}): Promise<Signature> {
    throwIfAborted(options.signal);
    assertBytes(digest, 32, 'digest', 'vault');
    return (await this.signingKey(handle)).signDigest(digest);
  }

  /** Deletes a signing key's file. */
  async deleteSigningKey(handle: KeyHandle, options: VaultCallOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    checkHandle(handle, this.name);
    this.signingKeys.delete(handle.id);
    await this.remove('signing', handle.id);
  }

  /** Handles of every signing key file in the folder. */
  async listSigningKeys(options: VaultCallOptions = {}): Promise<KeyHandle[]> {
    throwIfAborted(options.signal);
    const handles: KeyHandle[] = [];
    for (const id of await this.ids('signing')) {
      const record = await this.readRecord('signing', id);
      if (record) handles.push({ vault: this.name, id, type: record.type as SigningKeyType });
    }
    return handles;
  }

  /** Creates and stores a new X25519 key. */
  async generateX25519Key(): Promise<X25519Handle> {
    const key = SoftwareX25519Key.generate();
    const id = newKeyId();
    await this.store('x25519', id, 'x25519', hex(key.publicKey), key.exportSecret(), undefined);
    this.x25519Keys.set(id, key);
    return { vault: this.name, id };
  }

  /** 32-byte public key of a handle (loads the key synchronously on first use). */
  x25519PublicKey(handle: X25519Handle): Uint8Array {
    return this.x25519Key(handle).publicKey;
  }

  /** X25519(private(handle), peerPublic); throws on an all-zero result. */
  x25519Derive(handle: X25519Handle, peerPublic: Uint8Array): Uint8Array {
    return this.x25519Key(handle).derive(peerPublic);
  }

  /** Deletes an X25519 key's file. */
  async deleteX25519Key(handle: X25519Handle): Promise<void> {
    checkHandle(handle, this.name);
    this.x25519Keys.delete(handle.id);
    await this.remove('x25519', handle.id);
  }

  /** Handles of every X25519 key file in the folder. */
  async listX25519Keys(): Promise<X25519Handle[]> {
    return (await this.ids('x25519')).map((id) => ({ vault: this.name, id }));
  }

  private async signingKey(handle: KeyHandle): Promise<SoftwareSigningKey> {
    checkHandle(handle, this.name);
    let key = this.signingKeys.get(handle.id);
    if (!key) {
      let loading = this.signingLoads.get(handle.id);
      if (!loading) {
        loading = this.loadSigningKey(handle.id).finally(() => this.signingLoads.delete(handle.id));
        this.signingLoads.set(handle.id, loading);
      }
      key = await loading;
    }
    if (key.type !== handle.type) throw new InvalidInputError('vault', `signing key ${handle.id} is ${key.type}, not ${String(handle.type)}`);
    return key;
  }

  private async loadSigningKey(id: string): Promise<SoftwareSigningKey> {
    const record = await this.readRecord('signing', id);
    if (!record) throw new NotFoundError('vault', `signing key ${id} not found in vault ${this.name}`);
    const fileKey = record.encryption && this.passphrase !== undefined
      ? await deriveFileKey(this.passphrase, Buffer.from(record.encryption.salt, 'hex'), record.encryption.logN)
      : undefined;
    const key = SoftwareSigningKey.fromSecret(record.type as SigningKeyType, this.secretOf(record, fileKey));
    this.checkPublicKey(record, key.publicKey.bytes);
    this.signingKeys.set(id, key);
    return key;
  }

  private x25519Key(handle: X25519Handle): SoftwareX25519Key {
    checkHandle(handle, this.name);
    const cached = this.x25519Keys.get(handle.id);
    if (cached) return cached;
    const record = this.readRecordSync('x25519', handle.id);
    if (!record) throw new NotFoundError('vault', `X25519 key ${handle.id} not found in vault ${this.name}`);
    const fileKey = record.encryption && this.passphrase !== undefined
      ? deriveFileKeySync(this.passphrase, Buffer.from(record.encryption.salt, 'hex'), record.encryption.logN)
      : undefined;
    const key = SoftwareX25519Key.fromSecret(this.secretOf(record, fileKey));
    this.checkPublicKey(record, key.publicKey);
    this.x25519Keys.set(handle.id, key);
    return key;
  }

  private secretOf(record: KeyFileRecord, fileKey: Uint8Array | undefined): Uint8Array {
    const path = this.pathOf(record.kind, record.id);
    if (!record.encryption && this.passphrase !== undefined) {
      throw new InvalidInputError('vault', `key file ${path} is not encrypted but the vault has a passphrase`);
    }
    try {
      return openKeyRecord(record, fileKey, path);
    } finally {
      fileKey?.fill(0);
    }
  }

  private checkPublicKey(record: KeyFileRecord, actual: Uint8Array): void {
    if (hex(actual) !== record.publicKey) {
      throw new InvalidInputError('vault', `key file ${this.pathOf(record.kind, record.id)} is corrupt: secret and public key do not match`);
    }
  }

  private async store(kind: KeyFileKind, id: string, type: KeyFileRecord['type'], publicKey: string, secret: Uint8Array, label: string | undefined): Promise<void> {
    if (label !== undefined && (typeof label !== 'string' || label.length > MAX_LABEL_LENGTH)) {
      throw new InvalidInputError('vault', `key label must be a string of at most ${MAX_LABEL_LENGTH} characters`);
    }
    const header = label === undefined ? { kind, type, id, publicKey } : { kind, type, id, publicKey, label };
    const record = await sealKeyRecord(header, secret, this.passphrase, this.logN);
    secret.fill(0);
    await writeFileAtomic(this.directory, fileName(kind, id), new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`));
  }

  private async remove(kind: KeyFileKind, id: string): Promise<void> {
    try {
      await unlink(this.pathOf(kind, id));
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('vault', `${kind} key ${id} not found in vault ${this.name}`);
      throw new IoError('vault', `cannot delete ${this.pathOf(kind, id)}: ${(cause as Error).message}`, { cause });
    }
    syncFolder(this.directory);
  }

  private async ids(kind: KeyFileKind): Promise<string[]> {
    const names = await readdir(this.directory).catch((cause: unknown) => {
      throw new IoError('vault', `cannot read vault folder ${this.directory}: ${(cause as Error).message}`, { cause });
    });
    return idsIn(names, kind);
  }

  private async readRecord(kind: KeyFileKind, id: string): Promise<KeyFileRecord | undefined> {
    const path = this.pathOf(kind, id);
    let handle;
    try {
      handle = await open(path, READ_FLAGS);
    } catch (cause) {
      return missingOrThrow(cause, path);
    }
    try {
      const stats = await handle.stat();
      checkKeyFileStats(stats, path);
      return parseKeyRecord(await handle.readFile(), path, { kind, id });
    } finally {
      await handle.close();
    }
  }

  private readRecordSync(kind: KeyFileKind, id: string): KeyFileRecord | undefined {
    const path = this.pathOf(kind, id);
    let fd: number;
    try {
      fd = openSync(path, READ_FLAGS);
    } catch (cause) {
      return missingOrThrow(cause, path);
    }
    try {
      checkKeyFileStats(fstatSync(fd), path);
      return parseKeyRecord(readFileSync(fd), path, { kind, id });
    } finally {
      closeSync(fd);
    }
  }

  private pathOf(kind: KeyFileKind, id: string): string {
    return join(this.directory, fileName(kind, id));
  }
}

function fileName(kind: KeyFileKind, id: string): string {
  return `${kind}-${id}.json`;
}

function idsIn(names: string[], kind: KeyFileKind): string[] {
  const ids: string[] = [];
  for (const name of names) {
    const match = FILE_NAME.exec(name);
    if (match && match[1] === kind && match[2] !== undefined) ids.push(match[2]);
  }
  return ids;
}

function checkKeyFileStats(stats: Stats, path: string): void {
  if (!stats.isFile()) throw new InvalidInputError('vault', `key file ${path} is not a regular file`);
  assertPrivate(stats, path, 'key file');
  if (stats.size > MAX_KEY_FILE_BYTES) throw new InvalidInputError('vault', `key file ${path} is corrupt: too large`);
}

function missingOrThrow(cause: unknown, path: string): undefined {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return undefined;
  if (code === 'ELOOP') throw new InvalidInputError('vault', `key file ${path} is a symbolic link; refusing to follow it`);
  throw new IoError('vault', `cannot open ${path}: ${(cause as Error).message}`, { cause });
}
