import { InvalidInputError } from '../errors.js';
import { nowSeconds } from '../identity/seconds.js';
import type { VerifiedCredential } from './credential.js';

/** Attributes a peer holds, and the authority that vouched for them. */
export interface SubjectAttributes {
  readonly attributes: Readonly<Record<string, string>>;
  readonly authority: string;
  readonly expiresAt: number;
}

/** What a revocation check sees of a verified credential. */
export interface RevocableCredential {
  readonly subject: string;
  readonly issuer: string;
  /** Seconds since the epoch. */
  readonly createdAt: number;
  /** Hex of the credential's random id. */
  readonly id: string;
  /** Id of the attested key that signed it (`signerKeyId`). */
  readonly signerKey: string;
}

/** Answers true for a credential its issuer revoked: it then yields no attributes. */
export type RevocationCheck = (credential: RevocableCredential) => boolean;

/** Options of {@link AttributeStore}. */
export interface AttributeStoreOptions {
  /** Most subjects kept; the oldest entry is evicted beyond it. Default 10 000. */
  readonly maxSubjects?: number;
  /** Current time in seconds; default the system clock. */
  readonly clock?: () => number;
}

/**
 * Verified attributes per subject identifier, until their credential expires. Secure
 * channels `put` what `verifyCredential` returned and read `peerAttributes` to fill
 * `PeerInfo.attributes` / `authority`. A newer credential for a subject replaces the
 * previous one, whichever authority issued it.
 */
export class AttributeStore {
  private readonly entries = new Map<string, SubjectAttributes & { readonly credential: RevocableCredential }>();
  private readonly maxSubjects: number;
  private readonly clock: () => number;
  private revoked: RevocationCheck | undefined;

  constructor(options: AttributeStoreOptions = {}) {
    this.maxSubjects = options.maxSubjects ?? 10_000;
    if (!Number.isInteger(this.maxSubjects) || this.maxSubjects < 1) throw new InvalidInputError('credential', 'maxSubjects must be a positive integer');
    this.clock = options.clock ?? nowSeconds;
  }

  /**
   * Sets the check that tells revoked credentials apart (the node's revocation lists): a
   * revoked credential yields no attributes from the next read on, for as long as it is
   * revoked (it is kept, so lifting a suspension restores it without a new handshake).
   */
  setRevocationCheck(check: RevocationCheck | undefined): void {
    this.revoked = check;
  }

  /** Records a verified credential for its subject. */
  put(verified: VerifiedCredential): void {
    this.entries.delete(verified.subject);
    if (verified.expiresAt <= this.clock()) return;
    const credential: RevocableCredential = { subject: verified.subject, issuer: verified.issuer, createdAt: verified.createdAt, id: verified.id, signerKey: verified.signerKey };
    this.entries.set(verified.subject, { attributes: verified.attributes, authority: verified.issuer, expiresAt: verified.expiresAt, credential });
    while (this.entries.size > this.maxSubjects) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** The subject's current attributes, or undefined when none, expired or revoked. */
  get(subject: string): SubjectAttributes | undefined {
    const entry = this.entries.get(subject);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock()) {
      this.entries.delete(subject);
      return undefined;
    }
    if (this.revoked !== undefined && this.revoked(entry.credential)) return undefined;
    return entry;
  }

  /** `PeerInfo` fields for a subject: its attributes and authority, or `{ attributes: {} }`. */
  peerAttributes(subject: string): { attributes: Readonly<Record<string, string>>; authority?: string } {
    const entry = this.get(subject);
    return entry ? { attributes: entry.attributes, authority: entry.authority } : { attributes: {} };
  }

  /**
   * The subjects whose held credential `issuer` signed with one of `signerKeys` (to close
   * their channels when the issuer withdraws those keys).
   */
  subjectsSignedBy(issuer: string, signerKeys: ReadonlySet<string>): string[] {
    const found: string[] = [];
    for (const [subject, entry] of this.entries) {
      if (entry.credential.issuer === issuer && signerKeys.has(entry.credential.signerKey)) found.push(subject);
    }
    return found;
  }

  /** Forgets a subject; true when it was known. */
  delete(subject: string): boolean {
    return this.entries.delete(subject);
  }

  /** Drops every expired entry; returns how many. */
  purgeExpired(): number {
    const now = this.clock();
    let dropped = 0;
    for (const [subject, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.entries.delete(subject);
        dropped++;
      }
    }
    return dropped;
  }

  /** Number of subjects held (expired ones included until read or purged). */
  get size(): number {
    return this.entries.size;
  }
}
