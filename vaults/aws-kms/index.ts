/** AWS KMS signing vault: factory, class and persisted config. */
export { AwsKmsVault, createAwsKmsVault, type AwsKmsVaultOptions } from './aws-kms-vault.js';
export { parseAwsKmsConfig, type AwsKmsVaultConfig } from './aws-kms-config.js';
