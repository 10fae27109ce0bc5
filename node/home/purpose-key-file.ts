import { dirname } from 'node:path';
import { InvalidInputError } from '../../core/errors.js';
import type { KeyPurpose } from '../../core/identity/purpose-key-attestation.js';
import type { PurposeKeyRecord, PurposeKeyStore } from '../../core/identity/purpose-key-store.js';
import { withFileLock } from './file-lock.js';
import { isObject, readJsonFile, writeJsonFileAtomic } from './json-file.js';
import { ensurePrivateDir } from './registry-files.js';

const PURPOSES: readonly string[] = ['secure-channel', 'credential-signing'];
const TYPES: readonly string[] = ['x25519', 'ed25519', 'p256'];

function isRecord(x: unknown): x is PurposeKeyRecord {
  return isObject(x) && PURPOSES.includes(x.purpose as string) && typeof x.vault === 'string' && typeof x.id === 'string'
    && TYPES.includes(x.type as string) && typeof x.attestation === 'string';
}

/**
 * A {@link PurposeKeyStore} in one JSON file (0600, atomic rewrites): which vault key
 * serves each purpose of an identity, and its latest attestation. Holds no private key
 * material, only handles and public attestations.
 */
export class FilePurposeKeyStore implements PurposeKeyStore {
  constructor(private readonly path: string) {}

  /** The record for an identity and purpose, if any. */
  async load(identifier: string, purpose: KeyPurpose): Promise<PurposeKeyRecord | undefined> {
    const record = this.read()[`${identifier}/${purpose}`];
    return isRecord(record) ? record : undefined;
  }

  /** Stores (replaces) the record for an identity and purpose. */
  async save(identifier: string, record: PurposeKeyRecord): Promise<void> {
    if (!isRecord(record)) throw new InvalidInputError('cli', 'malformed purpose-key record');
    ensurePrivateDir(dirname(this.path));
    withFileLock(this.path, () => {
      const all = { ...this.read(), [`${identifier}/${record.purpose}`]: { ...record } };
      writeJsonFileAtomic(this.path, { version: 1, keys: all });
    });
  }

  private read(): Record<string, unknown> {
    const value = readJsonFile(this.path);
    return isObject(value) && isObject(value.keys) ? value.keys : {};
  }
}
