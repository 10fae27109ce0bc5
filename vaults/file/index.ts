/** The file vault: keys in one private file each, optionally encrypted with a passphrase. */
export { FileVault, type FileVaultOptions } from './file-vault.js';
