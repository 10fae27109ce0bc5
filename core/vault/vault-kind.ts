import type { SecureChannelVault } from './secure-channel-vault.js';
import type { SigningVault } from './signing-vault.js';

/** One `vault create` flag of a vault kind: it sets one field of the kind's config. */
export interface VaultKindFlag {
  /** The flag without dashes, e.g. `key-id`. */
  readonly flag: string;
  /** The config field it sets, e.g. `keyIds`. */
  readonly field: string;
  /** Help text (the CLI prefixes the kind's type). */
  readonly description: string;
  /** `string` (default), `strings` (repeatable, a list) or `boolean` (a switch, stored only when set). */
  readonly value?: 'string' | 'strings' | 'boolean';
}

/** Where a vault lives in a home, as its kind needs it. */
export interface VaultPlace {
  /** The vault's name in the home. */
  readonly name: string;
  /** A private folder (0700) of this vault in the home; it exists for kinds with `keepsFiles`. */
  readonly folder: string;
  /** The environment to read settings from (e.g. a passphrase). */
  readonly env: NodeJS.ProcessEnv;
}

/** What opening a vault yields: its signing capability, and for software vaults the secure-channel one. */
export interface OpenedVaultParts {
  readonly signing: SigningVault;
  /** Set for vaults that also hold X25519 purpose keys (the file vault). */
  readonly secureChannel?: SecureChannelVault;
  /** Releases sessions and connections (PKCS#11 sessions, HTTP agents). */
  close(): Promise<void>;
}

/**
 * One kind of vault (file, AWS KMS, Azure Key Vault, PKCS#11 ...), as a descriptor: the
 * home's vault registry and `vault create` iterate a list of these (node/home/vault-kinds.ts),
 * so a new kind is one descriptor beside its implementation plus one line in that list.
 * A config never holds a secret: credentials come from the provider's standard chain, a
 * PIN from a named environment variable or file.
 */
export interface VaultKind {
  /** The `--type` value and the `type` stored in the home, e.g. `aws-kms`. */
  readonly type: string;
  /** A few words for help texts, e.g. `AWS KMS`. */
  readonly title: string;
  /** Flags of `vault create` for this kind, in help order. */
  readonly flags: readonly VaultKindFlag[];
  /** True when the kind keeps its keys in files under the vault's folder (created and removed with the vault). */
  readonly keepsFiles: boolean;
  /**
   * True when keys this kind generates belong to the home, so deleting an identity deletes
   * its key; false for keys in a KMS or HSM, which are left to their owner.
   */
  readonly ownsKeys: boolean;
  /** Checks and normalizes a config (from the home or from flags); throws InvalidInputError, refuses secrets. */
  parseConfig(config: unknown): Record<string, unknown>;
  /** True when the config names existing keys that `identity create` should adopt before generating one. */
  hasConfiguredKeys(config: Readonly<Record<string, unknown>>): boolean;
  /** Opens the vault from its checked config. Implementations are loaded here, on first use. */
  open(place: VaultPlace, config: Readonly<Record<string, unknown>>): Promise<OpenedVaultParts>;
  /** Rows for `vault show` beyond the config fields themselves (never a secret). */
  describe(place: VaultPlace, config: Readonly<Record<string, unknown>>): Array<[string, string]>;
}
