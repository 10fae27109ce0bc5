import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AlreadyExistsError, InvalidInputError, NotFoundError } from '../../core/errors.js';
import type { SecureChannelVault } from '../../core/vault/secure-channel-vault.js';
import type { SigningVault, VaultCallOptions } from '../../core/vault/signing-vault.js';
import type { VaultPlace } from '../../core/vault/vault-kind.js';
import type { FileVault } from '../../vaults/file/file-vault.js';
import { FILE_VAULT_PASSPHRASE_ENV, openFileVaultIn } from '../../vaults/file/file-vault-kind.js';
import type { Home } from './home.js';
import { isObject, readJsonFile, writeJsonFileAtomic } from './json-file.js';
import { withFileLock } from './file-lock.js';
import { ensurePrivateDir, validateRegistryName } from './registry-files.js';
import { VAULT_TYPES, vaultKind } from './vault-kinds.js';

export { VAULT_KINDS, VAULT_TYPES, vaultKind } from './vault-kinds.js';

/** The `type` of a vault kind (see vault-kinds.ts). */
export type VaultType = string;

/** The home's built-in file vault, at `<home>/vaults/default/`. */
export const DEFAULT_VAULT = 'default';

/** Environment variable whose value encrypts file vault keys at rest. */
export const VAULT_PASSPHRASE_ENV = FILE_VAULT_PASSPHRASE_ENV;

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

/**
 * The built-in vault: it has no record, so its creation time is that of its folder (made
 * with the home's first key), or of the home, or now when neither exists yet.
 */
function defaultRecord(home: Home): VaultRecord {
  return { name: DEFAULT_VAULT, type: 'file', config: {}, createdAt: folderTime(fileVaultDir(home, DEFAULT_VAULT)) ?? folderTime(home.root) ?? new Date().toISOString() };
}

/** When the folder at `path` was created (its birth time, else its change time), or undefined when it does not exist. */
function folderTime(path: string): string | undefined {
  try {
    const s = statSync(path);
    return (s.birthtimeMs > 0 ? s.birthtime : s.ctime).toISOString();
  } catch {
    return undefined;
  }
}

/** Checks and normalizes a vault's config for its type (no secrets allowed); throws InvalidInputError. */
export function checkVaultConfig(type: VaultType, config: unknown): Record<string, unknown> {
  const checked = vaultKind(type).parseConfig(config);
  return Object.fromEntries(Object.entries(checked).filter(([, v]) => v !== undefined));
}

/** Where vault `name` lives in the home, as its kind sees it. */
function placeOf(home: Home, name: string, env: NodeJS.ProcessEnv = process.env): VaultPlace {
  return { name, folder: fileVaultDir(home, name), env };
}

function readVaultsFile(home: Home): VaultRecord[] {
  const value = readJsonFile(vaultsPath(home));
  if (value === undefined) return [];
  if (!isObject(value) || !Array.isArray(value.vaults)) throw new InvalidInputError('cli', `'${vaultsPath(home)}' is not a vault list`);
  return value.vaults.filter((v): v is VaultRecord => isObject(v) && typeof v.name === 'string' && VAULT_TYPES.includes(v.type as string) && isObject(v.config))
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
  return [defaultRecord(home), ...listed];
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
  home.ensure();
  return withFileLock(vaultsPath(home), () => {
    const vaults = readVaultsFile(home);
    if (vaults.some((v) => v.name === name)) throw new AlreadyExistsError('cli', `vault '${name}' already exists`);
    const record: VaultRecord = { name, type, config: checked, createdAt: new Date().toISOString() };
    if (vaultKind(type).keepsFiles) ensurePrivateDir(fileVaultDir(home, name));
    writeVaultsFile(home, [...vaults, record]);
    return record;
  });
}

/**
 * Removes vault `name` from the home (a file vault's folder and keys too). The caller
 * checks first that no identity uses it. The built-in default vault cannot be removed.
 */
export function removeVault(home: Home, name: string): VaultRecord {
  const record = getVault(home, name);
  if (name === DEFAULT_VAULT) throw new InvalidInputError('cli', `vault '${DEFAULT_VAULT}' is built in and cannot be deleted`);
  withFileLock(vaultsPath(home), () => writeVaultsFile(home, readVaultsFile(home).filter((v) => v.name !== name)));
  if (vaultKind(record.type).keepsFiles) rmSync(fileVaultDir(home, name), { recursive: true, force: true });
  return record;
}

/** Opens the file vault `name` (the default one is created on first use). */
export function openFileVault(home: Home, name: string = DEFAULT_VAULT, env: NodeJS.ProcessEnv = process.env): FileVault {
  home.ensure();
  ensurePrivateDir(join(home.root, 'vaults'));
  const dir = fileVaultDir(home, name);
  if (name !== DEFAULT_VAULT && !existsSync(dir)) throw new NotFoundError('cli', `folder of file vault '${name}' is missing: ${dir}`);
  return openFileVaultIn(dir, name, env);
}

/**
 * Opens vault `name` of the home with its kind's descriptor: a FileVault (signing and
 * secure channel), or an AWS KMS, Azure Key Vault or PKCS#11 signing vault built from its
 * stored config.
 */
export async function openVault(home: Home, name: string, _options: VaultCallOptions = {}): Promise<OpenedVault> {
  const record = getVault(home, name);
  const kind = vaultKind(record.type);
  if (kind.keepsFiles) {
    home.ensure();
    ensurePrivateDir(join(home.root, 'vaults'));
    const dir = fileVaultDir(home, name);
    if (name !== DEFAULT_VAULT && !existsSync(dir)) throw new NotFoundError('cli', `folder of ${kind.title} vault '${name}' is missing: ${dir}`);
  }
  const parts = await kind.open(placeOf(home, name), record.config);
  return { record, ...parts };
}

/** A vault's config with every field as text, for `vault show` (there are no secrets in it). */
export function describeVaultConfig(record: VaultRecord, home: Home): Array<[string, string]> {
  const rows = vaultKind(record.type).describe(placeOf(home, record.name), record.config);
  for (const [k, v] of Object.entries(record.config)) rows.push([k, Array.isArray(v) ? v.join(', ') : String(v)]);
  return rows;
}
