import type { Identity } from '../core/identity/identity.js';
import type { IdentityRecord } from '../node/home/identity-registry.js';

/** One change of an identity's history, for display. */
export interface ChangeView {
  readonly index: number;
  readonly keyType: string;
  readonly publicKey: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** Hex of this change's hash. */
  readonly hash: string;
  /** Hex of the previous change's hash; null for the first change. */
  readonly previousChangeHash: string | null;
  /** True when the previous key also signed this change (a rotation). */
  readonly signedByPreviousKey: boolean;
}

/** What `identity show --json` prints; its `identity` field is importable as an identity file. */
export interface IdentityView {
  readonly name: string;
  readonly identifier: string;
  readonly vault: string;
  readonly keyType: string;
  readonly publicKey: string;
  readonly keyHandle: { readonly vault: string; readonly id: string; readonly type: string };
  readonly isDefault: boolean;
  readonly createdAt: string;
  readonly rotatedAt: string | null;
  readonly expiresAt: string;
  readonly changes: readonly ChangeView[];
  /** The public identity: `{ identifier, changeHistory }` (hex), as Identity.toJSON() without a key handle. */
  readonly identity: { readonly identifier: string; readonly changeHistory: string };
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The display form of an identity record and its verified identity. */
export function identityView(record: IdentityRecord, identity: Identity, isDefault: boolean): IdentityView {
  const { changeHistory } = identity.toJSON();
  return {
    name: record.name,
    identifier: identity.identifier,
    vault: record.vault,
    keyType: identity.currentPublicKey.type,
    publicKey: hex(identity.currentPublicKey.bytes),
    keyHandle: { ...record.keyHandle },
    isDefault,
    createdAt: record.createdAt,
    rotatedAt: record.rotatedAt ?? null,
    expiresAt: iso(identity.expiresAt),
    changes: identity.changes.map((c, index) => ({
      index,
      keyType: c.data.primaryPublicKey.type,
      publicKey: hex(c.data.primaryPublicKey.bytes),
      createdAt: iso(c.data.createdAt),
      expiresAt: iso(c.data.expiresAt),
      hash: hex(c.hash),
      previousChangeHash: c.data.previousChangeHash ? hex(c.data.previousChangeHash) : null,
      signedByPreviousKey: c.previousSignature !== undefined,
    })),
    identity: { identifier: identity.identifier, changeHistory },
  };
}
