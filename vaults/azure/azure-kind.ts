import type { VaultKind } from '../../core/vault/vault-kind.js';
import { parseAzureConfig } from './azure-config.js';

/** Azure Key Vault: P-256 signing keys that never leave the service. */
export const azureVaultKind: VaultKind = {
  type: 'azure',
  title: 'Azure Key Vault',
  flags: [
    { flag: 'vault-url', field: 'vaultUrl', description: 'https://NAME.vault.azure.net' },
    { flag: 'key-name', field: 'keyName', description: 'existing P-256 key to use' },
    { flag: 'key-version', field: 'keyVersion', description: 'pin --key-name to one version' },
    { flag: 'insecure-test-endpoint', field: 'insecureTestEndpoint', description: 'TESTS ONLY: plain HTTP to a loopback endpoint; needs SYMBOLON_AZURE_INSECURE_TEST=1', value: 'boolean' },
  ],
  keepsFiles: false,
  ownsKeys: false,
  parseConfig: (config) => ({ ...parseAzureConfig(config) }),
  hasConfiguredKeys: (config) => typeof config.keyName === 'string',
  async open(place, config) {
    const { createAzureKeyVault } = await import('./azure-key-vault.js');
    const vault = await createAzureKeyVault(place.name, config);
    return { signing: vault, close: async () => { await vault.close?.(); } };
  },
  describe: () => [],
};
