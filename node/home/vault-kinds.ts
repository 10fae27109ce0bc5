import { InvalidInputError } from '../../core/errors.js';
import type { VaultKind } from '../../core/vault/vault-kind.js';
import { awsKmsVaultKind } from '../../vaults/aws-kms/aws-kms-kind.js';
import { azureVaultKind } from '../../vaults/azure/azure-kind.js';
import { fileVaultKind } from '../../vaults/file/file-vault-kind.js';
import { pkcs11VaultKind } from '../../vaults/pkcs11/pkcs11-kind.js';

/**
 * The vault kinds a home can use, in help order. The vault registry and `vault create`
 * iterate this list: a new kind is one descriptor (core/vault/vault-kind.ts) beside its
 * implementation in vaults/, plus one line here.
 */
export const VAULT_KINDS: readonly VaultKind[] = [
  fileVaultKind,
  awsKmsVaultKind,
  azureVaultKind,
  pkcs11VaultKind,
];

/** The `type` of every vault kind. */
export const VAULT_TYPES: readonly string[] = VAULT_KINDS.map((k) => k.type);

/** The kind of `type`; InvalidInputError naming the known types otherwise. */
export function vaultKind(type: string): VaultKind {
  const kind = VAULT_KINDS.find((k) => k.type === type);
  if (!kind) throw new InvalidInputError('vault', `unknown vault type '${String(type)}': use ${VAULT_TYPES.join(', ')}`);
  return kind;
}
