import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AlreadyExistsError, InvalidInputError, IoError, NotFoundError, TimeoutError, UnsupportedError } from '../../core/errors.js';
import { Identity, type IdentityJSON } from '../../core/identity/identity.js';
import { createIdentity, rotateIdentity } from '../../core/identity/identity-lifecycle.js';
import type { KeyHandle, SigningKeyType } from '../../core/vault/keys.js';
import type { SigningVault } from '../../core/vault/signing-vault.js';
import { withFileLock } from './file-lock.js';
import type { Home } from './home.js';
import { isObject, readJsonFile, writeJsonFileAtomic } from './json-file.js';
import { readNodeConfig } from './node-config.js';
import { createJsonFileExclusive, ensurePrivateDir, jsonFileNames, recordPath, validateRegistryName } from './registry-files.js';
import { DEFAULT_VAULT, openVault, type OpenedVault } from './vault-registry.js';
import { vaultKind } from './vault-kinds.js';

/** Name of the identity the home creates on first use. */
export const DEFAULT_IDENTITY = 'default';

/** An identity of the home, as kept in `<home>/identities/<name>.json` (0600). */
export interface IdentityRecord {
  readonly version: 1;
  readonly name: string;
  readonly identifier: string;
  /** The vault holding the current primary key. */
  readonly vault: string;
  /** The handle of the current primary key in `vault`. */
  readonly keyHandle: KeyHandle;
  /** The full identity (change history), as Identity.toJSON() gives it. */
  readonly identity: IdentityJSON;
  readonly createdAt: string;
  readonly rotatedAt?: string;
}

/** A loaded identity: its record and the verified Identity with its key handle. */
export interface LoadedIdentity {
  readonly record: IdentityRecord;
  readonly identity: Identity;
}

/** Options of {@link createIdentityRecord}. */
export interface CreateIdentityOptions {
  /** Vault for the primary key; default the home's default file vault. */
  readonly vault?: string;
  /** Default ed25519, or p256 when the vault offers only that (Azure). */
  readonly keyType?: SigningKeyType;
  readonly signal?: AbortSignal;
}

function identitiesDir(home: Home): string {
  return join(home.root, 'identities');
}

/** Where an identity's purpose keys (CLI use: credential issuing) are recorded. */
export function identityPurposeKeysPath(home: Home, name: string): string {
  return join(identitiesDir(home), `${validateRegistryName('identity', name)}.purpose-keys.json`);
}

function parseRecord(value: unknown, path: string): IdentityRecord {
  if (!isObject(value) || typeof value.name !== 'string' || typeof value.identifier !== 'string' || typeof value.vault !== 'string'
    || !isObject(value.keyHandle) || !isObject(value.identity)) {
    throw new InvalidInputError('cli', `'${path}' is not an identity record`);
  }
  return value as unknown as IdentityRecord;
}

/** Names of the home's identities, sorted. */
export function identityNames(home: Home): string[] {
  return jsonFileNames(identitiesDir(home)).filter((n) => !n.endsWith('.purpose-keys'));
}

/** Reads identity `name`'s record; NotFoundError when missing. */
export function readIdentityRecord(home: Home, name: string): IdentityRecord {
  const path = recordPath(identitiesDir(home), 'identity', name);
  const value = readJsonFile(path);
  if (value === undefined) throw new NotFoundError('cli', `identity '${name}' does not exist (create it with: symbolon identity create ${name})`);
  return parseRecord(value, path);
}

/** Every identity record of the home, by name. */
export function listIdentities(home: Home): IdentityRecord[] {
  return identityNames(home).map((n) => readIdentityRecord(home, n));
}

/** Loads and fully verifies identity `name`, with its primary key handle attached. */
export function loadIdentity(home: Home, name: string): LoadedIdentity {
  const record = readIdentityRecord(home, name);
  const identity = Identity.fromJSON({ identifier: record.identifier, changeHistory: record.identity.changeHistory }).withPrimaryKeyHandle(record.keyHandle);
  return { record, identity };
}

/** The home's default identity name (config `defaultIdentity`, else `default`). */
export function defaultIdentityName(home: Home): string {
  const name = home.readConfig().defaultIdentity;
  return typeof name === 'string' && name !== '' ? validateRegistryName('identity', name) : DEFAULT_IDENTITY;
}

/** Names of the identities whose current primary key lives in vault `vault`. */
export function identitiesUsingVault(home: Home, vault: string): string[] {
  return listIdentities(home).filter((r) => r.vault === vault).map((r) => r.name);
}

function pickKeyType(vault: SigningVault, wanted: SigningKeyType | undefined): SigningKeyType {
  if (wanted !== undefined) {
    if (!vault.supportedKeyTypes.includes(wanted)) throw new UnsupportedError('vault', `vault '${vault.name}' cannot hold ${wanted} keys (it offers ${vault.supportedKeyTypes.join(', ')})`);
    return wanted;
  }
  const type = vault.supportedKeyTypes.includes('ed25519') ? 'ed25519' : vault.supportedKeyTypes[0];
  if (type === undefined) throw new UnsupportedError('vault', `vault '${vault.name}' offers no signing key type`);
  return type;
}

/**
 * For a cloud vault configured with existing keys (AWS `keyIds`, Azure `keyName`): the
 * first such key of `type` no identity uses yet, so `identity create --vault` adopts it.
 */
async function unusedConfiguredKey(home: Home, opened: OpenedVault, type: SigningKeyType, signal?: AbortSignal): Promise<KeyHandle | undefined> {
  const { record } = opened;
  if (!vaultKind(record.type).hasConfiguredKeys(record.config)) return undefined;
  const used = new Set(listIdentities(home).flatMap((r) => [r.keyHandle.id]));
  const keys = await opened.signing.listSigningKeys({ signal });
  return keys.find((k) => k.type === type && !used.has(k.id));
}

/** A signing vault whose next generated key is `handle` (to adopt an existing key). */
function adopting(vault: SigningVault, handle: KeyHandle): SigningVault {
  return {
    name: vault.name, supportedKeyTypes: vault.supportedKeyTypes,
    generateSigningKey: async () => handle,
    signingPublicKey: (h, o) => vault.signingPublicKey(h, o),
    signDigest: (h, d, o) => vault.signDigest(h, d, o),
    deleteSigningKey: (h, o) => vault.deleteSigningKey(h, o),
    listSigningKeys: (o) => vault.listSigningKeys(o),
  };
}

/**
 * Creates identity `name`: a new primary key in `options.vault` (or an existing key the
 * vault is configured with and no identity uses), a signed first change, and the record
 * (written exclusively: AlreadyExistsError when the name is taken; the new key is then
 * deleted again when this call generated it).
 */
export async function createIdentityRecord(home: Home, name: string, options: CreateIdentityOptions = {}): Promise<IdentityRecord> {
  validateRegistryName('identity', name);
  const vaultName = options.vault ?? DEFAULT_VAULT;
  const path = recordPath(identitiesDir(home), 'identity', name);
  if (readJsonFile(path) !== undefined) throw new AlreadyExistsError('cli', `identity '${name}' already exists`);
  const opened = await openVault(home, vaultName);
  try {
    const keyType = pickKeyType(opened.signing, options.keyType);
    const existing = await unusedConfiguredKey(home, opened, keyType, options.signal);
    const signer = existing ? adopting(opened.signing, existing) : opened.signing;
    const identity = await createIdentity(signer, keyType, { label: `identity-${name}`, signal: options.signal });
    const handle = identity.primaryKeyHandle as KeyHandle;
    const record: IdentityRecord = {
      version: 1, name, identifier: identity.identifier, vault: vaultName, keyHandle: { ...handle },
      identity: identity.toJSON(), createdAt: new Date().toISOString(),
    };
    home.ensure();
    ensurePrivateDir(identitiesDir(home));
    try {
      createJsonFileExclusive(path, record, `identity '${name}'`);
    } catch (err) {
      if (!existing && vaultKind(opened.record.type).ownsKeys) await opened.signing.deleteSigningKey(handle).catch(() => undefined);
      throw err;
    }
    return record;
  } finally {
    await opened.close();
  }
}

/**
 * Returns identity `name` (default: the home's default identity), creating it in the
 * default file vault when missing. Concurrent callers all get the same identity.
 */
export async function ensureIdentity(home: Home, name?: string, { signal }: { signal?: AbortSignal } = {}): Promise<IdentityRecord> {
  const target = name ?? defaultIdentityName(home);
  try {
    return readIdentityRecord(home, target);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  try {
    const record = await createIdentityRecord(home, target, signal ? { signal } : {});
    if (name === undefined && home.readConfig().defaultIdentity === undefined) home.updateConfig((c) => ({ ...c, defaultIdentity: target }));
    return record;
  } catch (err) {
    if (err instanceof AlreadyExistsError) return readIdentityRecord(home, target);
    throw err;
  }
}

/** How often {@link rotateIdentityRecord} starts over when other writers changed the identity meanwhile. */
const ROTATE_ATTEMPTS = 20;

/**
 * Rotates identity `name` to a new primary key in `options.vault` (default: its current
 * vault), signed by the old and the new key; the identifier stays the same.
 *
 * The new key is made and signed without holding the record's lock (a KMS or HSM may take
 * seconds); the record is then replaced under its lock only if it still holds the history
 * the rotation started from (compare and swap). When another process rotated it meanwhile,
 * the new key is deleted again (when the vault owns its keys) and the rotation starts over
 * from the newer history, so concurrent rotations each add their change and none is lost.
 */
export async function rotateIdentityRecord(home: Home, name: string, options: CreateIdentityOptions = {}): Promise<IdentityRecord> {
  const path = recordPath(identitiesDir(home), 'identity', name);
  for (let attempt = 1; ; attempt++) {
    const { record, identity } = loadIdentity(home, name);
    const newVaultName = options.vault ?? record.vault;
    const oldVault = await openVault(home, record.vault);
    try {
      const newVault = newVaultName === record.vault ? oldVault : await openVault(home, newVaultName);
      try {
        const keyType = pickKeyType(newVault.signing, options.keyType ?? (newVault.signing.supportedKeyTypes.includes(identity.currentPublicKey.type) ? identity.currentPublicKey.type : undefined));
        const rotated = await rotateIdentity(identity, oldVault.signing, newVault.signing, keyType, { label: `identity-${name}`, signal: options.signal });
        const handle = rotated.primaryKeyHandle as KeyHandle;
        const next: IdentityRecord = {
          ...record, vault: newVaultName, keyHandle: { ...handle }, identity: rotated.toJSON(), rotatedAt: new Date().toISOString(),
        };
        const swapped = withFileLock(path, () => {
          const current = readJsonFile(path);
          if (current === undefined) throw new NotFoundError('cli', `identity '${name}' was deleted while it was being rotated`);
          if (JSON.stringify(parseRecord(current, path).identity) !== JSON.stringify(record.identity)) return false;
          writeJsonFileAtomic(path, next);
          return true;
        });
        if (swapped) return next;
        if (vaultKind(newVault.record.type).ownsKeys) await newVault.signing.deleteSigningKey(handle).catch(() => undefined);
        if (attempt >= ROTATE_ATTEMPTS) throw new TimeoutError('cli', `identity '${name}' kept changing while it was being rotated (${attempt} attempts): try again`);
      } finally {
        if (newVault !== oldVault) await newVault.close();
      }
    } finally {
      await oldVault.close();
    }
  }
}

/**
 * Names of the home's nodes that run as identity `name`: configured with it
 * (`node create --identity`), or configured with no identity while `name` is the home's
 * default identity (a node without one runs as the default). A node whose configuration
 * cannot be read counts as using it: deleting an identity must never guess.
 */
export function nodesUsingIdentity(home: Home, name: string): string[] {
  const isDefault = defaultIdentityName(home) === name;
  return home.nodeNames().filter((n) => {
    try {
      const section = readNodeConfig(home, n).sections.security;
      const configured = isObject(section) && typeof section.identity === 'string' ? section.identity : undefined;
      return configured === undefined ? isDefault : configured === name;
    } catch {
      return true;
    }
  });
}

/**
 * Deletes identity `name`'s record and purpose-key record. Its primary key is deleted too
 * when it lives in a file vault; keys in a KMS or HSM are left for their owner to remove.
 * Refused while a node is configured with this identity.
 */
export async function deleteIdentityRecord(home: Home, name: string): Promise<{ record: IdentityRecord; keyDeleted: boolean }> {
  const record = readIdentityRecord(home, name);
  const nodes = nodesUsingIdentity(home, name);
  if (nodes.length > 0) {
    throw new InvalidInputError('cli', `identity '${name}' is used by node ${nodes.map((n) => `'${n}'`).join(', ')}: delete ${nodes.length === 1 ? 'that node' : 'those nodes'} first (symbolon node delete NAME)`);
  }
  let keyDeleted = false;
  const opened = await openVault(home, record.vault).catch(() => undefined);
  if (opened) {
    try {
      if (vaultKind(opened.record.type).ownsKeys) {
        await opened.signing.deleteSigningKey(record.keyHandle).catch(() => undefined);
        keyDeleted = true;
      }
    } finally {
      await opened.close();
    }
  }
  rmSync(recordPath(identitiesDir(home), 'identity', name), { force: true });
  rmSync(identityPurposeKeysPath(home, name), { force: true });
  if (home.readConfig().defaultIdentity === name) home.updateConfig(({ defaultIdentity: _d, ...rest }) => ({ ...rest, version: 1 }));
  return { record, keyDeleted };
}

/**
 * Reads a public identity from a file: the output of `identity show --json`, an identity
 * record, or plain Identity JSON ({ identifier, changeHistory }). Fully verified; any key
 * handle in the file is ignored.
 */
export function readIdentityFile(path: string): Identity {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new IoError('cli', `cannot read identity file '${path}': ${(cause as Error).message}`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InvalidInputError('cli', `identity file '${path}' is not JSON`, { cause });
  }
  const json = isObject(value) && isObject(value.identity) ? value.identity : value;
  if (!isObject(json) || typeof json.changeHistory !== 'string' || typeof json.identifier !== 'string') {
    throw new InvalidInputError('cli', `identity file '${path}' holds no identity (expected the output of: symbolon identity show NAME --json)`);
  }
  return Identity.fromJSON({ identifier: json.identifier, changeHistory: json.changeHistory });
}
