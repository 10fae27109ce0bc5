import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RevocableCredential } from '../../core/credential/attribute-store.js';
import { SecureChannelRegistry } from '../../core/channel/secure-channel-registry.js';
import type { Identity } from '../../core/identity/identity.js';
import type { Logger } from '../../core/logger.js';
import type { Node } from '../../core/node/node.js';
import type { PublicKey, SigningKeyType } from '../../core/vault/keys.js';
import { signerKeyId } from '../../core/credential/signer-key.js';
import { verifyPurposeKeyAttestation } from '../../core/identity/purpose-key-attestation.js';
import { InvalidInputError } from '../../core/errors.js';
import {
  entryRevokes, verifyRevocationList, type RevocationEntry, type SignedRevocationList,
} from '../../authority/revocation-list.js';
import type { RevocationKind } from '../../authority/authority-store.js';
import type { RevocationListState } from '../api/project-views.js';
import { isObject, readJsonFile, writeJsonFileAtomic } from '../home/json-file.js';
import type { DaemonContext } from './service.js';

/** File in the node folder holding the last verified revocation list of each authority. */
export const REVOCATIONS_FILE = 'revocations.json';

/** Told which identities an update newly revoked (after their channels were closed). */
export type RevokedListener = (identifiers: readonly string[], authority: string) => void;
/** Told which signing keys of `authority` an update newly withdrew (after the channels of peers holding their credentials were closed). */
export type WithdrawnSignersListener = (keys: ReadonlySet<string>, authority: string) => void;

interface Held {
  readonly issuedAt: number;
  readonly entries: ReadonlyMap<string, RevocationEntry>;
  /** Withdrawn signing keys: once seen, kept (a later list that leaves one out does not restore it). */
  readonly withdrawn: ReadonlySet<string>;
  /** The signed form, kept so it can be persisted and verified again after a restart (absent for local lists). */
  readonly signed?: SignedRevocationList;
}

const instances = new WeakMap<Node, NodeRevocations>();

/**
 * The revocations a node applies: per authority it trusts, the newest revocation list
 * (fetched and verified, or read from its own store on a project node). A credential
 * from that authority about a listed identity, created at or before the revocation, yields
 * no attributes (the node's attribute store asks {@link isRevoked} on every read), so
 * policies that need a credential refuse it on open and new channels alike; and the open
 * secure channels of newly revoked identities are closed at once, which ends the portal
 * sessions over them. Verified lists are kept in `nodes/NAME/revocations.json` and applied
 * again when the node restarts, before any channel opens. Get it with {@link of}.
 */
export class NodeRevocations {
  private readonly held = new Map<string, Held>();
  private readonly listeners = new Set<RevokedListener>();
  private readonly withdrawnListeners = new Set<WithdrawnSignersListener>();

  private constructor(
    private readonly node: Node, private readonly file: string, private readonly logger: Logger,
    private readonly signedBy: (authority: string, keys: ReadonlySet<string>) => string[],
  ) {}

  /**
   * The node's instance, created on first use: it loads the persisted lists (verified again
   * against the trusted authorities) and installs itself as the revocation check of the
   * node's attribute store.
   */
  static of(ctx: DaemonContext): NodeRevocations {
    let existing = instances.get(ctx.node);
    if (existing) return existing;
    const attributes = ctx.credentials.attributes;
    existing = new NodeRevocations(ctx.node, join(ctx.home.node(ctx.name).dir, REVOCATIONS_FILE), ctx.logger.child({ component: 'revocations' }),
      (authority, keys) => attributes.subjectsSignedBy(authority, keys));
    instances.set(ctx.node, existing);
    existing.load(ctx.credentials.trustedAuthorities());
    const self = existing;
    ctx.credentials.attributes.setRevocationCheck((credential) => self.isRevoked(credential));
    ctx.onStop(() => {
      ctx.credentials.attributes.setRevocationCheck(undefined);
      instances.delete(ctx.node);
    });
    return existing;
  }

  /**
   * True when the credential's issuer revoked its subject at or after the credential was
   * created, or withdrew the key that signed it.
   */
  isRevoked(credential: RevocableCredential): boolean {
    const held = this.held.get(credential.issuer);
    if (held === undefined) return false;
    if (held.withdrawn.size > 0 && held.withdrawn.has(credential.signerKey)) return true;
    const entry = held.entries.get(credential.subject);
    return entry !== undefined && entryRevokes(entry, credential.createdAt);
  }

  /** True when `authority` withdrew signing key `keyId` (as far as this node knows). */
  isWithdrawnSigner(authority: string, keyId: string): boolean {
    return this.held.get(authority)?.withdrawn.has(keyId) === true;
  }

  /**
   * The revocation that makes this node refuse `peer` whatever its policies say, or
   * undefined: an authority the node trusts (other than `except`) lists the peer's
   * identifier, and the peer holds no live credential from that authority (a member added
   * again after a removal presents a newer credential, which the list does not revoke; a
   * suspended one holds none). A plain lookup per trusted authority: no I/O, no allocation
   * unless refused.
   */
  revocationOf(peer: { readonly identifier: string; readonly authority?: string }, except?: string): { readonly authority: string; readonly kind: RevocationKind } | undefined {
    for (const [authority, held] of this.held) {
      if (authority === except) continue;
      const entry = held.entries.get(peer.identifier);
      if (entry !== undefined && peer.authority !== authority) return { authority, kind: entry.kind };
    }
    return undefined;
  }

  /** True when `authority` lists `identifier` at all (suspended, or removed). */
  lists(authority: string, identifier: string): boolean {
    return this.held.get(authority)?.entries.has(identifier) === true;
  }

  /**
   * Verifies a list signed by `authority` and applies it unless an equally new or newer
   * one is in force. Returns the identities it newly revoked (their channels are closing).
   * Throws InvalidInputError when the list does not verify.
   */
  async applySigned(signed: SignedRevocationList, authority: Identity, now = Date.now()): Promise<string[]> {
    const list = verifyRevocationList(signed, authority, now);
    const ownKey = signerKeyId(verifyPurposeKeyAttestation(signed.attestation, authority, 'credential-signing', Math.floor(now / 1000), { maxDriftSeconds: 60 }).publicKey as PublicKey);
    if (this.isWithdrawnSigner(authority.identifier, ownKey)) {
      throw new InvalidInputError('authority', `revocation list refused: signed by the withdrawn key ${ownKey}`);
    }
    return await this.replace(authority.identifier, list.issuedAt, list.entries, list.withdrawnSigners.map((w) => w.key), signed);
  }

  /** Applies the revocations and withdrawn signing keys of this node's own authority, read from its store. */
  async applyLocal(authority: string, entries: readonly RevocationEntry[], withdrawnSigners: readonly string[] = [], now = Date.now()): Promise<string[]> {
    return await this.replace(authority, now, entries, withdrawnSigners);
  }

  /** Calls `listener` with the signing keys each update newly withdrew. Returns an unsubscribe function. */
  onWithdrawnSigners(listener: WithdrawnSignersListener): () => void {
    this.withdrawnListeners.add(listener);
    return () => { this.withdrawnListeners.delete(listener); };
  }

  /** Calls `listener` with the identities each update newly revoked. Returns an unsubscribe function. */
  onRevoked(listener: RevokedListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** One summary per authority. */
  state(): RevocationListState[] {
    return [...this.held].map(([authority, h]) => ({ authority, issuedAt: h.issuedAt, entries: h.entries.size, withdrawnSigners: [...h.withdrawn].sort() }));
  }

  /** Closes every open secure channel whose peer is `identifier`; returns how many. */
  async closeChannelsOf(identifiers: ReadonlySet<string>): Promise<number> {
    const registry = SecureChannelRegistry.of(this.node);
    const doomed = registry.list().filter((c) => identifiers.has(c.peer));
    await Promise.all(doomed.map((c) => registry.close(c.address).catch(() => false)));
    return doomed.length;
  }

  private async replace(authority: string, issuedAt: number, entries: readonly RevocationEntry[], withdrawnKeys: readonly string[], signed?: SignedRevocationList): Promise<string[]> {
    const previous = this.held.get(authority);
    if (previous !== undefined && previous.issuedAt > issuedAt) return [];
    const map = new Map(entries.map((e) => [e.identifier, e]));
    const newlyWithdrawn = new Set(withdrawnKeys.filter((k) => previous?.withdrawn.has(k) !== true));
    const withdrawn = newlyWithdrawn.size === 0 ? previous?.withdrawn ?? new Set<string>() : new Set([...(previous?.withdrawn ?? []), ...newlyWithdrawn]);
    this.held.set(authority, { issuedAt, entries: map, withdrawn, ...(signed ? { signed } : {}) });
    const added = entries
      .filter((e) => { const before = previous?.entries.get(e.identifier); return before === undefined || before.revokedAt !== e.revokedAt || before.kind !== e.kind; })
      .map((e) => e.identifier);
    if (signed !== undefined && (previous === undefined || added.length > 0 || newlyWithdrawn.size > 0 || previous.entries.size !== map.size)) this.persist();
    if (newlyWithdrawn.size > 0) await this.withdrawSigners(authority, newlyWithdrawn);
    if (added.length === 0) return added;
    const closed = await this.closeChannelsOf(new Set(added));
    this.logger.warn({ authority, revoked: added, channelsClosed: closed }, 'revoked identities: their channels are closed and their credentials refused');
    for (const listener of [...this.listeners]) {
      try {
        listener(added, authority);
      } catch (err) {
        this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'revocation listener failed');
      }
    }
    return added;
  }

  /** Closes the channels of peers whose credential a newly withdrawn key signed, and tells the listeners. */
  private async withdrawSigners(authority: string, keys: ReadonlySet<string>): Promise<void> {
    const subjects = new Set(this.signedBy(authority, keys));
    const closed = subjects.size === 0 ? 0 : await this.closeChannelsOf(subjects);
    this.logger.warn({ authority, withdrawnSigners: [...keys], peers: [...subjects], channelsClosed: closed }, 'withdrawn signing keys: credentials they signed are refused');
    for (const listener of [...this.withdrawnListeners]) {
      try {
        listener(keys, authority);
      } catch (err) {
        this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'withdrawn-signer listener failed');
      }
    }
  }

  private persist(): void {
    const lists = [...this.held].flatMap(([authority, h]) => (h.signed === undefined ? [] : [{
      authority, list: Buffer.from(h.signed.list).toString('base64'), signatureType: h.signed.signature.type,
      signature: Buffer.from(h.signed.signature.bytes).toString('base64'), attestation: Buffer.from(h.signed.attestation).toString('base64'),
    }]));
    try {
      writeJsonFileAtomic(this.file, { version: 1, lists });
    } catch (err) {
      this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot save the revocation lists');
    }
  }

  /** Applies the persisted lists of authorities still trusted; a list that no longer verifies is dropped and logged. */
  private load(trusted: ReadonlyMap<string, Identity>): void {
    if (!existsSync(this.file)) return;
    let value: unknown;
    try {
      value = readJsonFile(this.file);
    } catch (err) {
      this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot read the saved revocation lists');
      return;
    }
    const lists = isObject(value) && Array.isArray(value.lists) ? value.lists : [];
    for (const item of lists) {
      if (!isObject(item) || typeof item.authority !== 'string') continue;
      const authority = trusted.get(item.authority);
      if (authority === undefined) continue;
      try {
        const signed: SignedRevocationList = {
          list: Buffer.from(String(item.list), 'base64'),
          signature: { type: String(item.signatureType) as SigningKeyType, bytes: Buffer.from(String(item.signature), 'base64') },
          attestation: Buffer.from(String(item.attestation), 'base64'),
        };
        const list = verifyRevocationList(signed, authority, Date.now());
        this.held.set(authority.identifier, {
          issuedAt: list.issuedAt, entries: new Map(list.entries.map((e) => [e.identifier, e])), withdrawn: new Set(list.withdrawnSigners.map((w) => w.key)), signed,
        });
        this.logger.info({ authority: authority.identifier, entries: list.entries.length, issuedAt: new Date(list.issuedAt).toISOString() }, 'saved revocation list applied');
      } catch (err) {
        this.logger.error({ authority: item.authority, err: err instanceof Error ? err.message : String(err) }, 'saved revocation list does not verify: ignored');
      }
    }
  }
}
