/**
 * The memory vault. Its implementation lives in core (core's own tests and ephemeral
 * nodes use it without depending on this folder); this module is the vault's entry
 * point for the CLI and runs the vault contract suites.
 */
export { MemoryVault, type MemoryVaultOptions } from '../../core/vault/memory-vault.js';
