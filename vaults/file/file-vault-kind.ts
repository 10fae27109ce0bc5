import { InvalidInputError } from '../../core/errors.js';
import type { VaultKind } from '../../core/vault/vault-kind.js';
import { FileVault } from './file-vault.js';

/** Environment variable whose value encrypts file vault keys at rest. */
export const FILE_VAULT_PASSPHRASE_ENV = 'SYMBOLON_VAULT_PASSPHRASE';

/** Opens the file vault kept in `folder`, encrypted at rest when the passphrase variable is set. */
export function openFileVaultIn(folder: string, name: string, env: NodeJS.ProcessEnv): FileVault {
  const passphrase = env[FILE_VAULT_PASSPHRASE_ENV];
  return new FileVault(folder, { name, ...(passphrase ? { passphrase } : {}) });
}

/** The file vault: keys in the vault's folder of the home; it takes no configuration. */
export const fileVaultKind: VaultKind = {
  type: 'file',
  title: 'file',
  flags: [],
  keepsFiles: true,
  ownsKeys: true,
  parseConfig(config) {
    if (typeof config !== 'object' || config === null || Array.isArray(config) || Object.keys(config).length > 0) {
      throw new InvalidInputError('vault', 'a file vault takes no configuration');
    }
    return {};
  },
  hasConfiguredKeys: () => false,
  async open(place) {
    const vault = openFileVaultIn(place.folder, place.name, place.env);
    return { signing: vault, secureChannel: vault, close: async () => undefined };
  },
  describe(place) {
    return [
      ['folder', place.folder],
      ['encrypted at rest', place.env[FILE_VAULT_PASSPHRASE_ENV] ? `yes (${FILE_VAULT_PASSPHRASE_ENV})` : `no (set ${FILE_VAULT_PASSPHRASE_ENV})`],
    ];
  },
};
