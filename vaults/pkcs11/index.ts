/** PKCS#11 signing vault: factory, class and persisted config. */
export { Pkcs11Vault, createPkcs11Vault, CKK_EC_EDWARDS, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA } from './pkcs11-vault.js';
export { parsePkcs11Config, readPin, type Pkcs11VaultConfig } from './pkcs11-config.js';
