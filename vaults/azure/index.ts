/** Azure Key Vault signing vault: factory, class and persisted config. */
export { AzureKeyVault, createAzureKeyVault, AZURE_INSECURE_TEST_TOKEN, type AzureKeyVaultOptions } from './azure-key-vault.js';
export { parseAzureConfig, AZURE_INSECURE_TEST_ENV, type AzureKeyVaultConfig } from './azure-config.js';
