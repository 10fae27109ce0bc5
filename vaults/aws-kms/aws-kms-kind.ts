import type { VaultKind } from '../../core/vault/vault-kind.js';
import { parseAwsKmsConfig } from './aws-kms-config.js';

/** AWS KMS (or a KMS-compatible endpoint): signing keys that never leave the service. */
export const awsKmsVaultKind: VaultKind = {
  type: 'aws-kms',
  title: 'AWS KMS',
  flags: [
    { flag: 'region', field: 'region', description: 'AWS region, e.g. eu-west-1' },
    { flag: 'endpoint', field: 'endpoint', description: 'endpoint of a KMS-compatible service' },
    { flag: 'key-id', field: 'keyIds', description: 'existing key id, alias or ARN to use (repeatable)', value: 'strings' },
  ],
  keepsFiles: false,
  ownsKeys: false,
  parseConfig: (config) => ({ ...parseAwsKmsConfig(config) }),
  hasConfiguredKeys: (config) => Array.isArray(config.keyIds) && config.keyIds.length > 0,
  async open(place, config) {
    const { createAwsKmsVault } = await import('./aws-kms-vault.js');
    const vault = createAwsKmsVault(place.name, config);
    return { signing: vault, close: async () => { await vault.close?.(); } };
  },
  describe: () => [],
};
