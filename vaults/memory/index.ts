/** The memory vault: keys in process memory. */
export { MemoryVault, type MemoryVaultOptions } from './memory-vault.js';
