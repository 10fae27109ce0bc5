import type { VaultCallOptions } from '../vault/signing-vault.js';
import type { KeyPurpose } from './purpose-key-attestation.js';

/** What is kept about a purpose key between runs (JSON-friendly). */
export interface PurposeKeyRecord {
  readonly purpose: KeyPurpose;
  /** Vault name and key id of the purpose key. */
  readonly vault: string;
  readonly id: string;
  readonly type: 'x25519' | 'ed25519' | 'p256';
  /** The encoded attestation, hex. */
  readonly attestation: string;
}

/** Where {@link PurposeKeys} remembers its keys and attestations (the CLI keeps them in the node's state). */
export interface PurposeKeyStore {
  load(identifier: string, purpose: KeyPurpose, options?: VaultCallOptions): Promise<PurposeKeyRecord | undefined>;
  save(identifier: string, record: PurposeKeyRecord, options?: VaultCallOptions): Promise<void>;
}

/** A {@link PurposeKeyStore} in process memory. */
export class MemoryPurposeKeyStore implements PurposeKeyStore {
  private readonly records = new Map<string, PurposeKeyRecord>();

  /** The record for an identity and purpose, if any. */
  async load(identifier: string, purpose: KeyPurpose): Promise<PurposeKeyRecord | undefined> {
    return this.records.get(`${identifier}/${purpose}`);
  }

  /** Stores (replaces) the record for an identity and purpose. */
  async save(identifier: string, record: PurposeKeyRecord): Promise<void> {
    this.records.set(`${identifier}/${record.purpose}`, { ...record });
  }
}
