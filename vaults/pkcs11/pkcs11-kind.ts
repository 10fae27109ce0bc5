import { InvalidInputError } from '../../core/errors.js';
import type { VaultKind } from '../../core/vault/vault-kind.js';
import { parsePkcs11Config } from './pkcs11-config.js';

/** A PKCS#11 token (an HSM, SoftHSM): signing keys that never leave the token. */
export const pkcs11VaultKind: VaultKind = {
  type: 'pkcs11',
  title: 'PKCS#11 token',
  flags: [
    { flag: 'module', field: 'module', description: 'path of the PKCS#11 module' },
    { flag: 'token-label', field: 'tokenLabel', description: 'label of the token' },
    { flag: 'pin-env', field: 'pinEnv', description: 'name of the environment variable holding the user PIN' },
    { flag: 'pin-file', field: 'pinFile', description: 'path of a file (mode 0600) holding the user PIN' },
    { flag: 'key-label', field: 'keyLabel', description: 'CKA_LABEL of keys created on the token' },
  ],
  keepsFiles: false,
  ownsKeys: false,
  parseConfig(config) {
    if (typeof config === 'object' && config !== null && 'pin' in config) {
      throw new InvalidInputError('vault', 'a PIN is never stored: name its environment variable (pinEnv) or file (pinFile)');
    }
    return { ...parsePkcs11Config(config) };
  },
  hasConfiguredKeys: () => false,
  async open(place, config) {
    const { createPkcs11Vault } = await import('./pkcs11-vault.js');
    const vault = await createPkcs11Vault(place.name, config);
    return { signing: vault, close: async () => { await vault.close?.(); } };
  },
  describe: () => [],
};
