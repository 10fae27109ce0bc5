import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { AbortedError, InvalidInputError, NotFoundError, UnsupportedError, assertBytes } from '../../core/errors.js';
import type { KeyHandle, PublicKey, Signature, SigningKeyType } from '../../core/vault/keys.js';
import type { SigningVault, VaultCallOptions } from '../../core/vault/signing-vault.js';
import { EC_PARAMS, publicKeyFromEcPoint } from './ec-point.js';
import { parsePkcs11Config, readPin, type Pkcs11VaultConfig } from './pkcs11-config.js';
import { mapPkcs11Error } from './pkcs11-errors.js';
import { acquireModule, findSlotByLabel, releaseModule } from './pkcs11-module.js';
import { SessionPool } from './session-pool.js';

/** PKCS#11 3.0 values that pkcs11js does not name. */
export const CKK_EC_EDWARDS = 0x40;
/** Ed25519 key pair generation (PKCS#11 3.0). */
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
/** Pure EdDSA signing (PKCS#11 3.0). */
export const CKM_EDDSA = 0x1057;

const MECHANISMS: Readonly<Record<SigningKeyType, { readonly gen: number; readonly sign: number; readonly keyType: number }>> = {
  p256: { gen: pkcs11js.CKM_EC_KEY_PAIR_GEN, sign: pkcs11js.CKM_ECDSA, keyType: pkcs11js.CKK_EC },
  ed25519: { gen: CKM_EC_EDWARDS_KEY_PAIR_GEN, sign: CKM_EDDSA, keyType: CKK_EC_EDWARDS },
};
const ID = /^[0-9a-f]{2,128}$/;
const EDWARDS25519_NAME = Buffer.from('130c656477617264733235353139', 'hex'); // PrintableString "edwards25519"

interface CachedKey {
  readonly privateKey: pkcs11js.Handle;
  readonly type: SigningKeyType;
}

/**
 * A signing vault on a PKCS#11 token (HSM, smart card, SoftHSM). Keys are generated on
 * the token as sensitive, non-extractable, private token objects with a random CKA_ID
 * (the handle id, in hex) and a CKA_LABEL. P-256 signs the digest with CKM_ECDSA (the
 * token returns r||s); Ed25519 uses CKM_EDDSA with the digest as message, when the
 * token's mechanism list has it. One logged-in session pool serves all calls.
 */
export class Pkcs11Vault implements SigningVault {
  readonly supportedKeyTypes: readonly SigningKeyType[];
  private readonly keys = new Map<string, CachedKey>();
  private closed = false;

  private constructor(
    readonly name: string,
    private readonly config: Pkcs11VaultConfig,
    private readonly moduleKey: string,
    private readonly lib: pkcs11js.PKCS11,
    private readonly pool: SessionPool,
    mechanisms: ReadonlySet<number>,
  ) {
    this.supportedKeyTypes = (['p256', 'ed25519'] as const).filter((t) => mechanisms.has(MECHANISMS[t].gen) && mechanisms.has(MECHANISMS[t].sign));
  }

  /** Loads the module, finds the token by label, reads the PIN and logs in. */
  static open(name: string, config: Pkcs11VaultConfig): Pkcs11Vault {
    const pin = readPin(config);
    const { key, lib } = acquireModule(config.module);
    try {
      const slot = findSlotByLabel(lib, config.tokenLabel);
      let mechanisms: Set<number>;
      try {
        mechanisms = new Set(lib.C_GetMechanismList(slot));
      } catch (error) {
        throw mapPkcs11Error(error, config.tokenLabel, 'reading the mechanism list');
      }
      const pool = SessionPool.open(lib, slot, config.tokenLabel, config.sessions ?? 4, pin);
      return new Pkcs11Vault(name, config, key, lib, pool, mechanisms);
    } catch (error) {
      releaseModule(key);
      throw error;
    }
  }

  /** Generates a key pair on the token; the private half is sensitive and never extractable. */
  async generateSigningKey(type: SigningKeyType, options: VaultCallOptions & { label?: string } = {}): Promise<KeyHandle> {
    const mech = MECHANISMS[type as SigningKeyType] as (typeof MECHANISMS)[SigningKeyType] | undefined;
    if (!mech) throw new UnsupportedError('vault', `PKCS#11 vault cannot create ${String(type)} keys`);
    if (!this.supportedKeyTypes.includes(type)) {
      throw new UnsupportedError('vault', `token "${this.config.tokenLabel}" does not offer ${type === 'ed25519' ? 'CKM_EC_EDWARDS_KEY_PAIR_GEN/CKM_EDDSA' : 'CKM_EC_KEY_PAIR_GEN/CKM_ECDSA'} for ${type} keys`);
    }
    const label = options.label ?? this.config.keyLabel ?? 'symbolon';
    if (label.length === 0 || Buffer.byteLength(label) > 128) throw new InvalidInputError('vault', 'key label must be 1-128 bytes');
    const id = randomBytes(16);
    const common = [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_KEY_TYPE, value: mech.keyType },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_ID, value: id },
    ];
    const publicTemplate = [
      ...common,
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_PRIVATE, value: false },
      { type: pkcs11js.CKA_VERIFY, value: true },
      { type: pkcs11js.CKA_EC_PARAMS, value: EC_PARAMS[type] },
    ];
    const privateTemplate = [
      ...common,
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_SIGN, value: true },
    ];
    const pair = await this.pool.run(async (session) => {
      try {
        return await this.lib.C_GenerateKeyPairAsync(session, { mechanism: mech.gen }, publicTemplate, privateTemplate);
      } catch (error) {
        throw mapPkcs11Error(error, this.config.tokenLabel, `${type} key generation`);
      }
    }, options.signal);
    const hex = id.toString('hex');
    this.keys.set(hex, { privateKey: pair.privateKey, type });
    return { vault: this.name, id: hex, type };
  }

  /** The public key, from the public key object's CKA_EC_POINT. */
  async signingPublicKey(handle: KeyHandle, options: VaultCallOptions = {}): Promise<PublicKey> {
    this.checkHandle(handle);
    return this.pool.run((session) => {
      const found = this.find(session, pkcs11js.CKO_PUBLIC_KEY, handle.id);
      if (found.length === 0) throw new NotFoundError('vault', `no public key with id ${handle.id} on token "${this.config.tokenLabel}"`);
      try {
        const [point] = this.lib.C_GetAttributeValue(session, found[0]!, [{ type: pkcs11js.CKA_EC_POINT }]);
        return { type: handle.type, bytes: publicKeyFromEcPoint(point!.value as Buffer, handle.type) };
      } catch (error) {
        throw mapPkcs11Error(error, this.config.tokenLabel, 'reading a public key');
      }
    }, options.signal);
  }

  /** Signs a 32-byte digest on the token (CKM_ECDSA or CKM_EDDSA). */
  async signDigest(handle: KeyHandle, digest: Uint8Array, options: VaultCallOptions = {}): Promise<Signature> {
    this.checkHandle(handle);
    assertBytes(digest, 32, 'digest', 'vault');
    const bytes = await this.pool.run(async (session) => {
      const key = this.privateKey(session, handle);
      try {
        this.lib.C_SignInit(session, { mechanism: MECHANISMS[handle.type].sign }, key.privateKey);
        return await this.lib.C_SignAsync(session, Buffer.from(digest), Buffer.alloc(64));
      } catch (error) {
        const mapped = mapPkcs11Error(error, this.config.tokenLabel, `${handle.type} signing`);
        if (mapped.kind === 'not-found') this.keys.delete(handle.id);
        throw mapped;
      }
    }, options.signal);
    if (bytes.length !== 64) throw new InvalidInputError('vault', `token "${this.config.tokenLabel}" returned a ${bytes.length}-byte signature`);
    return { type: handle.type, bytes: new Uint8Array(bytes) };
  }

  /** Destroys the private and public key objects with the handle's CKA_ID. */
  async deleteSigningKey(handle: KeyHandle, options: VaultCallOptions = {}): Promise<void> {
    this.checkHandle(handle);
    await this.pool.run((session) => {
      const objects = [...this.find(session, pkcs11js.CKO_PRIVATE_KEY, handle.id), ...this.find(session, pkcs11js.CKO_PUBLIC_KEY, handle.id)];
      if (objects.length === 0) throw new NotFoundError('vault', `no key with id ${handle.id} on token "${this.config.tokenLabel}"`);
      this.keys.delete(handle.id);
      try {
        for (const object of objects) this.lib.C_DestroyObject(session, object);
      } catch (error) {
        throw mapPkcs11Error(error, this.config.tokenLabel, 'key deletion');
      }
    }, options.signal);
  }

  /** Every signing key on the token (with the configured key label, if any) that this vault can use. */
  async listSigningKeys(options: VaultCallOptions = {}): Promise<KeyHandle[]> {
    return this.pool.run((session) => {
      const template: pkcs11js.Template = [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_SIGN, value: true }];
      if (this.config.keyLabel !== undefined) template.push({ type: pkcs11js.CKA_LABEL, value: this.config.keyLabel });
      const handles: KeyHandle[] = [];
      for (const object of this.findAll(session, template)) {
        const [id, keyType, params] = this.lib.C_GetAttributeValue(session, object, [
          { type: pkcs11js.CKA_ID }, { type: pkcs11js.CKA_KEY_TYPE }, { type: pkcs11js.CKA_EC_PARAMS },
        ]).map((a) => a.value as Buffer);
        const type = keyTypeOf(ulong(keyType!), params!);
        if (type && id && id.length > 0) handles.push({ vault: this.name, id: id.toString('hex'), type });
      }
      return handles;
    }, options.signal);
  }

  /** Closes the sessions (logging out) and releases the module. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
    releaseModule(this.moduleKey);
  }

  private checkHandle(handle: KeyHandle): void {
    if (this.closed) throw new AbortedError('vault', `vault ${this.name} is closed`);
    if (handle.vault !== this.name) throw new InvalidInputError('vault', `key handle belongs to vault ${handle.vault}, not ${this.name}`);
    if (handle.type !== 'p256' && handle.type !== 'ed25519') throw new UnsupportedError('vault', `PKCS#11 vault cannot use ${String(handle.type)} keys`);
    if (!ID.test(handle.id)) throw new InvalidInputError('vault', 'PKCS#11 key id must be hex');
  }

  private privateKey(session: pkcs11js.Handle, handle: KeyHandle): CachedKey {
    const cached = this.keys.get(handle.id);
    if (cached) {
      if (cached.type !== handle.type) throw new InvalidInputError('vault', `key ${handle.id} is ${cached.type}, but the handle says ${handle.type}`);
      return cached;
    }
    const found = this.find(session, pkcs11js.CKO_PRIVATE_KEY, handle.id);
    if (found.length === 0) throw new NotFoundError('vault', `no private key with id ${handle.id} on token "${this.config.tokenLabel}"`);
    const [keyType, params] = this.lib.C_GetAttributeValue(session, found[0]!, [{ type: pkcs11js.CKA_KEY_TYPE }, { type: pkcs11js.CKA_EC_PARAMS }]).map((a) => a.value as Buffer);
    const type = keyTypeOf(ulong(keyType!), params!);
    if (type !== handle.type) throw new InvalidInputError('vault', `key ${handle.id} on token "${this.config.tokenLabel}" is not a ${handle.type} key`);
    const key = { privateKey: found[0]!, type };
    this.keys.set(handle.id, key);
    return key;
  }

  private find(session: pkcs11js.Handle, cls: number, idHex: string): pkcs11js.Handle[] {
    return this.findAll(session, [{ type: pkcs11js.CKA_CLASS, value: cls }, { type: pkcs11js.CKA_ID, value: Buffer.from(idHex, 'hex') }]);
  }

  private findAll(session: pkcs11js.Handle, template: pkcs11js.Template): pkcs11js.Handle[] {
    try {
      this.lib.C_FindObjectsInit(session, template);
      try {
        const out: pkcs11js.Handle[] = [];
        for (;;) {
          const batch = this.lib.C_FindObjects(session, 64);
          out.push(...batch);
          if (batch.length < 64) return out;
        }
      } finally {
        this.lib.C_FindObjectsFinal(session);
      }
    } catch (error) {
      throw mapPkcs11Error(error, this.config.tokenLabel, 'object search');
    }
  }
}

function ulong(b: Buffer): number {
  if (b.length >= 8) return Number(b.readBigUInt64LE(0));
  if (b.length >= 4) return b.readUInt32LE(0);
  return -1;
}

function keyTypeOf(keyType: number, params: Buffer): SigningKeyType | undefined {
  if (keyType === pkcs11js.CKK_EC && params.equals(EC_PARAMS.p256)) return 'p256';
  if (keyType === CKK_EC_EDWARDS && (params.equals(EC_PARAMS.ed25519) || params.equals(EDWARDS25519_NAME))) return 'ed25519';
  return undefined;
}

/**
 * Opens a PKCS#11 vault from its persisted JSON config (validated here): loads the
 * module, selects the token by label, reads the PIN from `pinEnv` or `pinFile`, logs in.
 */
export async function createPkcs11Vault(name: string, config: unknown): Promise<Pkcs11Vault> {
  return Pkcs11Vault.open(name, parsePkcs11Config(config));
}
