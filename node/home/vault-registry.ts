import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AlreadyExistsError, InvalidInputError, NotFoundError } from '../../core/errors.js';
import type { SecureChannelVault } from '../../core/vault/secure-channel-vault.js';
import type { SigningVault, VaultCallOptions } from '../../core/vault/signing-vault.js';
import { parseAwsKmsConfig } from '../../vaults/aws-kms/aws-kms-config.js';
import { parseAzureConfig } from '../../vaults/azure/azure-config.js';
import { FileVault } from '../../vaults/file/file-vault.js';
import { parsePkcs11Config } from '../../vaults/pkcs11/pkcs11-config.js';
import type { Home } from './home.js';
import { isObject, readJsonFile, writeJsonFileAtomic } from './json-file.js';
import { ensurePrivateDir, validateRegistryName } from './registry-files.js';

/** The vault kinds the CLI can use. */
export const VAULT_TYPES = ['file', 'aws-kms', 'azure', 'pkcs11'] as const;
/** One of {@link VAULT_TYPES}. */
export type VaultType = (typeof VAULT_TYPES)[number];

/** The home's built-in file vault, at `<home>/vaults/default/`. */
export const DEFAULT_VAULT = 'default';

/** Environment variable whose value encrypts file vault keys at rest. */
export const VAULT_PASSPHRASE_ENV = 'SYMBOLON_VAULT_PASSPHRASE';

/**
 * A vault as listed in `<home>/vaults.json`. `config` holds no secrets: a PKCS#11 PIN is
 * named by environment variable (`pinEnv`) or file path (`pinFile`), cloud credentials
 * come from each provider's standard chain at run time.
 */
export interface VaultRecord {
  readonly name: string;
  readonly type: VaultType;
  readonly config: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
}

/** An opened vault: its signing capability, and for file vaults also the secure-channel one. */
export interface OpenedVault {
  readonly record: VaultRecord;
  readonly signing: SigningVault;
  /** Set for file vaults only (X25519 purpose keys stay in software). */
  readonly secureChannel?: SecureChannelVault;
  /** Releases sessions and connections (PKCS#11 sessions, HTTP agents). */
  close(): Promise<void>;
}

interface VaultsFile { readonly version: 1; readonly vaults: readonly VaultRecord[] }

function vaultsPath(home: Home): string {
  return join(home.root, 'vaults.json');
}

/** The folder of file vault `name`: `<home>/vaults/<name>/`. */
export function fileVaultDir(home: Home, name: string): string {
  return join(home.root, 'vaults', validateRegistryName('vault', name));
}

function defaultRecord(): VaultRecord {
  return { name: DEFAULT_VAULT, type: 'file', config: {}, createdAt: new Date(0).toISOString() };
}

/** Checks and normalizes a vault's config for its type (no secrets allowed); throws InvalidInputError. */
export function checkVaultConfig(type: VaultType, config: unknown): Record<string, unknown> {
  const strip = (o: object): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  switch (type) {
    case 'file':
      if (!isObject(config) || Object.keys(config).length > 0) throw new InvalidInputError('vault', 'a file vault takes no configuration');
      return {};
    case 'aws-kms': return strip(parseAwsKmsConfig(config));
    case 'azure': return strip(parseAzureConfig(config));
    case 'pkcs11': {
      if (isObject(config) && 'pin' in config) throw new InvalidInputError('vault', 'a PIN is never stored: name its environment variable (pinEnv) or file (pinFile)');
      return strip(parsePkcs11Config(config));
    }
    default: throw new InvalidInputError('vault', `unknown vault type '${String(type)}': use ${VAULT_TYPES.join(', ')}`);
  }
}

function readVaultsFile(home: Home): VaultRecord[] {
  const value = readJsonFile(vaultsPath(home));
  if (value === undefined) return [];
  if (!isObject(value) || !Array.isArray(value.vaults)) throw new InvalidInputError('cli', `'${vaultsPath(home)}' is not a vault list`);
  return value.vaults.filter((v): v is VaultRecord => isObject(v) && typeof v.name === 'string' && (VAULT_TYPES as readonly string[]).includes(v.type as string) && isObject(v.config))
    .map((v) => ({ name: v.name, type: v.type, config: v.config, createdAt: typeof v.createdAt === 'string' ? v.createdAt : new Date(0).toISOString() }));
}

function writeVaultsFile(home: Home, vaults: readonly VaultRecord[]): void {
  home.ensure();
  const body: VaultsFile = { version: 1, vaults };
  writeJsonFileAtomic(vaultsPath(home), body);
}

/** Every vault of the home, the built-in `default` file vault first, then by name. */
export function listVaults(home: Home): VaultRecord[] {
  const listed = readVaultsFile(home).filter((v) => v.name !== DEFAULT_VAULT).sort((a, b) => (a.name < b.name ? -1 : 1));
  return [defaultRecord(), ...listed];
}

/** The record of vault `name`; NotFoundError when the home has no such vault. */
export function getVault(home: Home, name: string): VaultRecord {
  validateRegistryName('vault', name);
  const found = listVaults(home).find((v) => v.name === name);
  if (!found) throw new NotFoundError('cli', `vault '${name}' does not exist (create it with: symbolon vault create ${name} --type file)`);
  return found;
}

/**
 * Adds vault `name` of `type` with `config` (validated, secrets refused) to the home.
 * A file vault's folder is created (0700). AlreadyExistsError when the name is taken.
 */
export function addVault(home: Home, name: string, type: VaultType, config: unknown = {}): VaultRecord {
  validateRegistryName('vault', name);
  if (name === DEFAULT_VAULT) throw new AlreadyExistsError('cli', `vault '${DEFAULT_VAULT}' is built in`);
  const checked = checkVaultConfig(type, config);
  const vaults = readVaultsFile(home);
  if (vaults.some((v) => v.name === name)) throw new AlreadyExistsError('cli', `vault '${name}' already exists`);
  const record: VaultRecord = { name, type, config: checked, createdAt: new Date().toISOString() };
  if (type === 'file') ensurePrivateDir(fileVaultDir(home, name));
  writeVaultsFile(home, [...vaults, record]);
  return record;
}

/**
 * Removes vault `name` from the home (a file vault's folder and keys too). The caller
 * checks first that no identity uses it. The built-in default vault cannot be removed.
 */
export function removeVault(home: Home, name: string): VaultRecord {
  const record = getVault(home, name);
  if (name === DEFAULT_VAULT) throw new InvalidInputError('cli', `vault '${DEFAULT_VAULT}' is built in and cannot be deleted`);
  writeVaultsFile(home, readVaultsFile(home).filter((v) => v.name !== name));
  if (record.type === 'file') rmSync(fileVaultDir(home, name), { recursive: true, force: true });
  return record;
}

/** Opens the file vault `name` (the default one is created on first use). */
export function openFileVault(home: Home, name: string = DEFAULT_VAULT, env: NodeJS.ProcessEnv = process.env): FileVault {
  home.ensure();
  ensurePrivateDir(join(home.root, 'vaults'));
  const dir = fileVaultDir(home, name);
  if (name !== DEFAULT_VAULT && !existsSync(dir)) throw new NotFoundError('cli', `folder of file vault '${name}' is missing: ${dir}`);
  const passphrase = env[VAULT_PASSPHRASE_ENV];
  return new FileVault(dir, { name, ...(passphrase ? { passphrase } : {}) });
}

/**
 * Opens vault `name` of the home: a FileVault (signing and secure channel), or an AWS
 * KMS, Azure Key Vault or PKCS#11 signing vault built from its stored config.
 */
export async function openVault(home: Home, name: string, _options: VaultCallOptions = {}): Promise<OpenedVault> {
  const record = getVault(home, name);
  switch (record.type) {
    case 'file': {
      const vault = openFileVault(home, name);
      return { record, signing: vault, secureChannel: vault, close: async () => undefined };
    }
    case 'aws-kms': {
      const { createAwsKmsVault } = await import('../../vaults/aws-kms/aws-kms-vault.js');
      const vault = createAwsKmsVault(name, record.config);
      return { record, signing: vault, close: async () => { await vault.close?.(); } };
    }
    case 'azure': {
      const { createAzureKeyVault } = await import('../../vaults/azure/azure-key-vault.js');
      const vault = await createAzureKeyVault(name, record.config);
      return { record, signing: vault, close: async () => { await vault.close?.(); } };
    }
    case 'pkcs11': {
      const { createPkcs11Vault } = await import('../../vaults/pkcs11/pkcs11-vault.js');
      const vault = await createPkcs11Vault(name, record.config);
      return { record, signing: vault, close: async () => { await vault.close?.(); } };
    }
  }
}

/** A vault's config with every field as text, for `vault show` (there are no secrets in it). */
export function describeVaultConfig(record: VaultRecord, home: Home): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  if (record.type === 'file') rows.push(['folder', fileVaultDir(home, record.name)], ['encrypted at rest', process.env[VAULT_PASSPHRASE_ENV] ? `yes (${VAULT_PASSPHRASE_ENV})` : `no (set ${VAULT_PASSPHRASE_ENV})`]);
  for (const [k, v] of Object.entries(record.config)) rows.push([k, Array.isArray(v) ? v.join(', ') : String(v)]);
  return rows;
}
