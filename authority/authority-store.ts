import type { Attributes } from './attributes.js';
import type { AuditEntry, AuditHead, AuditRecordType, AuditSubtree, AuditValue, StoredCheckpoint } from './audit-record.js';
import type { GrantScope } from './grant-scope.js';

/** What a member may do: admins manage members and create any ticket; enrollers create member tickets. */
export type Role = 'admin' | 'enroller' | 'member';

/** A stored enrollment ticket. The code is never stored: only its hash. */
export interface TicketRecord {
  /** Lowercase hex SHA-256 of the code (see `ticketCodeHash`). */
  readonly hash: string;
  /** Attributes the enrollee receives. */
  readonly attributes: Attributes;
  /** How many redemptions the ticket admits in total. */
  readonly usageCount: number;
  /** Redemptions left. */
  readonly usesLeft: number;
  /** Milliseconds since the Unix epoch. */
  readonly expiresAt: number;
  /** Relay names the enrollee may register (sorted). */
  readonly relays: readonly string[];
  /** An enroller ticket makes the enrollee an enroller. */
  readonly enroller: boolean;
  /** What the enrollee of an enroller ticket may grant (absent: nothing). */
  readonly grants?: GrantScope;
  /** Identifier of the admin or enroller who created it (it may not redeem it). */
  readonly createdBy: string;
  readonly createdAt: number;
}

/** Why a redemption was refused. */
export type RedemptionRefusal = 'unknown' | 'expired' | 'used-up' | 'own-ticket' | 'creator-not-authorised' | 'suspended';

/** Outcome of one redemption attempt. */
export type Redemption =
  | { readonly ok: true; readonly ticket: TicketRecord }
  | { readonly ok: false; readonly reason: RedemptionRefusal };

/** A project member. */
export interface MemberRecord {
  readonly identifier: string;
  readonly attributes: Attributes;
  readonly role: Role;
  /** Identifier of the admin who added it, or of the enrollee itself when it redeemed a ticket. */
  readonly addedBy: string;
  readonly addedAt: number;
  /** Hash of the ticket it enrolled with, if it enrolled with one. */
  readonly ticketHash?: string;
  /** An enroller's scope: what its tickets may grant (absent: nothing). */
  readonly grants?: GrantScope;
}

/** Why an identity's access was revoked. */
export type RevocationKind = 'removed' | 'suspended';

/**
 * A revoked identity: every credential the authority issued to it at or before
 * `revokedAt` is refused by the project's nodes; a suspension also stops new ones.
 */
export interface RevocationRecord {
  readonly identifier: string;
  readonly kind: RevocationKind;
  /** When access ended (ms since the epoch). */
  readonly revokedAt: number;
  /** Kept until then (ms): the last expiry of a credential issued before `revokedAt`; 0 while suspended. */
  readonly until: number;
  /** Who revoked it. */
  readonly actor: string;
}

/**
 * An attested credential-signing key of the authority: one per project node (replica),
 * attested by the authority's primary key. Credentials signed by any signer that is not
 * withdrawn verify at members; a withdrawn signer's credentials are refused once members
 * hold a revocation list that names it.
 */
export interface SignerRecord {
  /** `signerKeyId` of the public key (`K` + 32 hex). */
  readonly keyId: string;
  /** The project node (replica) holding the private key in its local vault. */
  readonly replica: string;
  readonly keyType: 'ed25519' | 'p256';
  /** The public key, lowercase hex. */
  readonly publicKey: string;
  /** The latest attestation (deterministic CBOR, lowercase hex). */
  readonly attestation: string;
  /** When the latest attestation was registered, and when it expires (ms since the epoch). */
  readonly attestedAt: number;
  readonly expiresAt: number;
  /** When it was withdrawn (ms), and by whom; absent while it signs. */
  readonly withdrawnAt?: number;
  readonly withdrawnBy?: string;
}

/** Who authorised a credential: the member's enrollment ticket, or the admin who added it. */
export type CredentialAuthorisation = { readonly ticketHash: string } | { readonly admin: string };

/** One issued credential, as recorded (the credential itself is not stored, only its hash). */
export interface CredentialIssuance {
  readonly subject: string;
  readonly attributes: Attributes;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Lowercase hex SHA-256 of the encoded credential. */
  readonly credentialHash: string;
  readonly authorisedBy: CredentialAuthorisation;
  /** The signing key (`K...`) that signed it: which replica's key, so a withdrawal's reach is known. */
  readonly signerKey?: string;
}

/** Filters for reading the audit log. */
export interface AuditQuery {
  /** Only records with `seq` greater than this. */
  readonly afterSeq?: number;
  /** Only records at or after this time (ms). */
  readonly sinceTime?: number;
  /** Only records whose `subject` field is this identifier. */
  readonly subject?: string;
  /** At most this many records (default 1000). */
  readonly limit?: number;
}

/** Options of every store I/O method. */
export interface StoreCallOptions {
  readonly signal?: AbortSignal;
}

/**
 * The operations of one transaction. Every state change appends its audit record in
 * this same transaction, so a change and its record commit together or not at all.
 */
export interface AuthorityTransaction {
  /** Stores a new ticket; audits `ticket.created`. */
  createTicket(ticket: TicketRecord): Promise<void>;
  /**
   * Redeems one use of a ticket with one atomic conditional update (uses left > 0 and
   * not expired at `now`, not created by `enrollee`). Audits `ticket.redeemed`; a refusal
   * changes nothing and is returned with its reason for the caller to audit.
   */
  redeemTicket(hash: string, enrollee: string, now: number): Promise<Redemption>;
  /**
   * Audits a repeated redemption of ticket `hash` by the member that already redeemed it
   * (`ticket.redeemed` with `retry: true`); no use of the ticket is taken.
   */
  recordRedemptionRetry(hash: string, enrollee: string, usesLeft: number): Promise<void>;
  /** A ticket by hash. */
  getTicket(hash: string): Promise<TicketRecord | undefined>;
  /** A member; on Postgres the row is share-locked until the transaction ends. */
  getMember(identifier: string): Promise<MemberRecord | undefined>;
  /** All members, ordered by identifier. */
  listMembers(): Promise<MemberRecord[]>;
  /** Adds or replaces a member; audits `member.added` with `actor`. */
  putMember(member: MemberRecord, actor: string): Promise<void>;
  /** Removes a member; audits `member.removed` (with `extra` fields) when it existed. Returns the removed member. */
  removeMember(identifier: string, actor: string, extra?: Record<string, AuditValue>): Promise<MemberRecord | undefined>;
  /** Stores (or replaces) the revocation of an identity; the caller audits it. */
  putRevocation(revocation: RevocationRecord): Promise<void>;
  /** The revocation of an identity, if any. */
  getRevocation(identifier: string): Promise<RevocationRecord | undefined>;
  /** Deletes an identity's revocation; true when there was one. */
  deleteRevocation(identifier: string): Promise<boolean>;
  /** The latest expiry (ms) of any credential recorded for `subject` (0 when none). */
  latestCredentialExpiry(subject: string): Promise<number>;
  /**
   * Appends an audit record for a change made with the operations above (`member.suspended`,
   * `member.resumed`), or about one recorded before (`credential.undelivered`: the answer
   * carrying an issued credential could not be delivered).
   */
  recordChange(type: Extract<AuditRecordType, 'member.suspended' | 'member.resumed' | 'credential.undelivered'>, actor: string, fields: Record<string, AuditValue>): Promise<void>;
  /** Records an issued credential; audits `credential.issued` with `actor`. */
  recordCredentialIssued(issuance: CredentialIssuance, actor: string): Promise<void>;
  /**
   * Stores a signer's (new or renewed) attestation; audits `signer.attested` with `actor`.
   * A withdrawn signer stays withdrawn: its row is left unchanged and nothing is audited.
   */
  putSigner(signer: SignerRecord, actor: string): Promise<void>;
  /** A signer by key id. */
  getSigner(keyId: string): Promise<SignerRecord | undefined>;
  /**
   * Withdraws a signer at `at` (ms); audits `signer.withdrawn` with `actor`. Returns the
   * record as it now is, or undefined when the key is unknown. Withdrawing twice changes nothing.
   */
  withdrawSigner(keyId: string, actor: string, at: number): Promise<SignerRecord | undefined>;
  /** Audits a refused request that changes no state (`access.refused`, `credential.refused`, `ticket.refused`, `refusals.aggregated`). */
  recordRefusal(type: Extract<AuditRecordType, 'access.refused' | 'credential.refused' | 'ticket.refused' | 'refusals.aggregated'>, actor: string, fields: Record<string, AuditValue>): Promise<void>;
}

/** The authority's persistent state: tickets, members, credential records and the audit log. */
export interface AuthorityStore {
  /**
   * Runs `fn` in one transaction, committing when it resolves and rolling back when it
   * throws. `fn` must only use `tx` (it may be retried after a serialization conflict).
   */
  withTransaction<T>(fn: (tx: AuthorityTransaction) => Promise<T>, options?: StoreCallOptions): Promise<T>;
  /** Revocations still in force at `now` (ms): suspensions, and removals until their `until`. */
  listRevocations(now: number, options?: StoreCallOptions): Promise<RevocationRecord[]>;
  /** Every signer, oldest attestation first (withdrawn ones too). */
  listSigners(options?: StoreCallOptions): Promise<SignerRecord[]>;
  /** A member, read outside any write transaction (a snapshot that may change right after). */
  getMember(identifier: string, options?: StoreCallOptions): Promise<MemberRecord | undefined>;
  /** The newest record's position and hash. */
  auditHead(options?: StoreCallOptions): Promise<AuditHead>;
  /** Audit records in `seq` order. */
  readAudit(query?: AuditQuery, options?: StoreCallOptions): Promise<AuditEntry[]>;
  /**
   * The `seq` and `hash` of at most `limit` records after `afterSeq`, in `seq` order: what
   * hashing the Merkle tree needs, without the rest of each record.
   */
  readAuditHashes(afterSeq: number, limit: number, options?: StoreCallOptions): Promise<AuditHead[]>;
  /** Stores a signed checkpoint (a second one for the same `seq` is ignored, unless it adds the tree head a version 1 checkpoint lacks). */
  saveCheckpoint(checkpoint: StoredCheckpoint, options?: StoreCallOptions): Promise<void>;
  /** Checkpoints in `seq` order, optionally only those at or below `upToSeq`. */
  checkpoints(upToSeq?: number, options?: StoreCallOptions): Promise<StoredCheckpoint[]>;
  /** Checkpoints with `afterSeq < seq <= upToSeq`, in `seq` order (one export page's worth). */
  checkpointsBetween(afterSeq: number, upToSeq: number, options?: StoreCallOptions): Promise<StoredCheckpoint[]>;
  /** Stores Merkle subtree heads of the log; one already stored at the same position is replaced. */
  saveAuditSubtrees(subtrees: readonly AuditSubtree[], options?: StoreCallOptions): Promise<void>;
  /** The stored subtree heads among `positions` (any order; those not stored are left out). */
  auditSubtrees(positions: readonly { readonly level: number; readonly index: number }[], options?: StoreCallOptions): Promise<AuditSubtree[]>;
  /** Closes connections. */
  close(): Promise<void>;
}
